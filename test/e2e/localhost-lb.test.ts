import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NodeList, PutTopologyResponse } from "../../shared/api-schemas.ts";
import { Fleet, reach, waitFor, type Node, EVERY_ROLE } from "./fleet.ts";
import { nginxNode, plainNode } from "./nginx.ts";

const CLUSTER = "lab";
const SP = 16443;
/** Each non-master listens on its own ports (host vars), so two nginx can share this machine. */
const N1 = { ip: "127.0.0.31", sp: 26443, health: 28081 };
const N2 = { ip: "127.0.0.32", sp: 26444, health: 28082 };

const topology = (masters: string[]) => ({
  hosts: {
    m1: { ip: "127.0.0.11" },
    m2: { ip: "127.0.0.12" },
    m3: { ip: "127.0.0.13" },
    m9: { ip: "127.0.0.99" },
    e1: { ip: "127.0.0.21" },
    n1: {
      ip: N1.ip,
      vars: { kube_apiserver_port: N1.sp, loadbalancer_apiserver_healthcheck_port: N1.health },
    },
    n2: {
      ip: N2.ip,
      vars: { kube_apiserver_port: N2.sp, loadbalancer_apiserver_healthcheck_port: N2.health },
    },
  },
  groups: {
    "kube-master": { hosts: masters, children: [] },
    etcd: { hosts: ["e1"], children: [] },
    "kube-node": { hosts: ["n1", "n2"], children: [] },
  },
  vars: { loadbalancer_apiserver_localhost: true, kube_apiserver_port: SP },
});

const fleet = new Fleet();
let n1: Node;
let n2: Node;
let m1: Node;

beforeAll(async () => {
  await fleet.start();
  for (const [name, ip] of [
    ["m1", "127.0.0.11"],
    ["m2", "127.0.0.12"],
    ["m3", "127.0.0.13"],
  ] as const) {
    await fleet.apiserver(name, ip, SP);
  }
  // All at once, tolerating one failed node: the scenarios below are about nginx, not waves.
  await fleet.createCluster(CLUSTER, {
    canary: 0,
    waves: ["100%"],
    bakeSeconds: 0,
    maxFailures: 1,
  });
  expect(
    (await fleet.api("PUT", `/v1/clusters/${CLUSTER}/topology`, topology(["m1", "m2"]))).status,
  ).toBe(200);
}, 120_000);
afterAll(() => fleet.stop());

const nginxPid = (n: Node) => Number(n.file("nginx.pid")?.trim());
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Sends `count` new connections through a node's localhost LB; returns the set of apiservers reached. */
async function through(port: number, count = 12): Promise<Set<string>> {
  const names = new Set<string>();
  for (let i = 0; i < count; i++) names.add(await reach("127.0.0.1", port));
  return names;
}

describe("a localhost LB fleet with real nginx", () => {
  it("from zero: agents join, files match roles, traffic reaches a master, every node applied", async () => {
    const token = await fleet.joinToken(CLUSTER, { ...EVERY_ROLE, maxUses: 3 });
    n1 = nginxNode(fleet, "n1", N1.health);
    n2 = nginxNode(fleet, "n2", N2.health, " && ! grep -q 127.0.0.99 {staged}");
    m1 = plainNode(fleet, "m1");
    n1.join(token, N1.ip);
    n2.join(token, N2.ip);
    m1.join(token, "127.0.0.11");
    [n1, n2, m1].forEach((n) => n.run());
    await fleet.converged(CLUSTER, ["n1", "n2", "m1"]);

    const conf = n1.file("etc/nginx/nginx.conf") ?? "";
    expect(conf).toContain("server 127.0.0.11:16443");
    expect(conf).toContain("server 127.0.0.12:16443");
    expect(conf).toContain(`listen 127.0.0.1:${N1.sp} reuseport;`);
    expect(n1.file("etc/halo/etcd-proxy.env")).toContain("ETCD_GATEWAY_ENDPOINTS=127.0.0.21:2379");
    expect(JSON.parse(n1.file("etc/halo/endpoints.json") ?? "{}").apiserver).toEqual({
      url: `https://localhost:${N1.sp}`,
      via: "localhost-lb",
    });
    expect(m1.file("etc/nginx/nginx.conf")).toBeNull();
    expect(JSON.parse(m1.file("etc/halo/endpoints.json") ?? "{}").apiserver).toEqual({
      url: "http://localhost:8080",
      via: "local",
    });
    expect(n1.file("etc/hosts")).toMatch(/^127\.0\.0\.1 localhost\n127\.0\.1\.1 n1\n# BEGIN halo/);

    const reached = await through(N1.sp);
    expect([...reached].every((n) => ["m1", "m2"].includes(n))).toBe(true);
    const { body: nodes } = await fleet.call(NodeList, "GET", `/v1/clusters/${CLUSTER}/nodes`);
    for (const h of ["n1", "n2", "m1"])
      expect(nodes.nodes.find((n) => n.host === h)).toMatchObject({
        status: "applied",
        connected: true,
      });
  }, 60_000);

  it("replacing a master: every non-master's upstreams follow, nginx reloads in place, traffic reaches only live masters", async () => {
    const pids = [nginxPid(n1), nginxPid(n2)];
    const put = await fleet.call(
      PutTopologyResponse,
      "PUT",
      `/v1/clusters/${CLUSTER}/topology`,
      topology(["m3", "m2"]),
    );
    expect(put.body.changed).toEqual(["m1", "m2", "m3", "n1", "n2"]);
    const started = Date.now();
    await fleet.converged(CLUSTER, ["n1", "n2"]);
    const seconds = (Date.now() - started) / 1000;
    expect(seconds).toBeLessThan(10);
    for (const n of [n1, n2]) {
      const conf = n.file("etc/nginx/nginx.conf") ?? "";
      expect(conf).toContain("server 127.0.0.13:16443");
      expect(conf).not.toContain("127.0.0.11");
    }
    expect([nginxPid(n1), nginxPid(n2)]).toEqual(pids);
    expect(pids.every(alive)).toBe(true);
    const reached = await waitFor("only live masters", async () => {
      const names = await through(N1.sp);
      return [...names].every((x) => x === "m2" || x === "m3") && names;
    });
    expect(reached.has("m1")).toBe(false);
  }, 60_000);

  it("a change one node's check rejects: that node reports failed and keeps serving; the others apply", async () => {
    const before = n2.file("etc/nginx/nginx.conf");
    await fleet.api("PUT", `/v1/clusters/${CLUSTER}/topology`, topology(["m3", "m2", "m9"]));
    await fleet.converged(CLUSTER, ["n1"]);
    const failed = await waitFor("n2 failed", async () => {
      const { body } = await fleet.call(NodeList, "GET", `/v1/clusters/${CLUSTER}/nodes`);
      const n = body.nodes.find((x) => x.host === "n2");
      return n?.status === "failed" && n;
    });
    expect(failed.lastError).toMatch(/^check: nginx: /);
    expect(n2.file("etc/nginx/nginx.conf")).toBe(before);
    expect(n1.file("etc/nginx/nginx.conf")).toContain("127.0.0.99");
    const names = await through(N2.sp, 6);
    expect([...names].every((x) => x === "m2" || x === "m3")).toBe(true);
  }, 60_000);
});
