import type { Server } from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Fleet, reach, waitFor, type Node } from "./fleet.ts";
import { haproxyNode as haproxyNode_, plainNode } from "./nginx.ts";

const CLUSTER = "ext";
const SP = 16443;
const VIP = { address: "127.0.0.100", port: 18383 };
const HEALTH = 28090;

const TOPOLOGY = {
  hosts: {
    m1: { ip: "127.0.0.41" },
    m2: { ip: "127.0.0.42" },
    lb1: { ip: "127.0.0.40" },
    n1: { ip: "127.0.0.43" },
  },
  groups: {
    "kube-master": { hosts: ["m1", "m2"], children: [] },
    etcd: { hosts: ["m1"], children: [] },
    "kube-node": { hosts: ["n1"], children: [] },
    lb: { hosts: ["lb1"], children: [] },
  },
  vars: {
    kube_apiserver_port: SP,
    loadbalancer_apiserver: VIP,
    loadbalancer_apiserver_healthcheck_port: HEALTH,
    etcd_multiaccess: true,
  },
};

const fleet = new Fleet();
const apiservers: Record<string, Server> = {};
let lb1: Node;
let n1: Node;
let m1: Node;

/** The lb host runs real HAProxy. */
const haproxyNode = (): Node => haproxyNode_(fleet, "lb1", HEALTH);

beforeAll(async () => {
  await fleet.start();
  apiservers.m1 = await fleet.apiserver("m1", "127.0.0.41", SP);
  apiservers.m2 = await fleet.apiserver("m2", "127.0.0.42", SP);
  await fleet.createCluster(CLUSTER);
  expect((await fleet.api("PUT", `/v1/clusters/${CLUSTER}/topology`, TOPOLOGY)).status).toBe(200);
  const token = await fleet.joinToken(CLUSTER);
  lb1 = haproxyNode();
  n1 = plainNode(fleet, "n1");
  m1 = plainNode(fleet, "m1");
  lb1.join(token, "127.0.0.40");
  n1.join(token, "127.0.0.43");
  m1.join(token, "127.0.0.41");
  [lb1, n1, m1].forEach((n) => n.run());
  await fleet.converged(CLUSTER, ["lb1", "n1", "m1"]);
}, 120_000);
afterAll(() => fleet.stop());

describe("the Kargo document's external LB with real HAProxy", () => {
  it("maps the LB name to the VIP in every k8s-cluster node's hosts file", () => {
    for (const n of [n1, m1]) {
      expect(n.file("etc/hosts")).toContain(`\n${VIP.address} lb-apiserver.kubernetes.local\n`);
      expect(JSON.parse(n.file("etc/halo/endpoints.json") ?? "{}").apiserver).toEqual({
        url: `https://lb-apiserver.kubernetes.local:${VIP.port}`,
        via: "external-lb",
      });
    }
  });

  it("renders the Kargo document's listen block on the lb host and forwards to the masters", async () => {
    const cfg = lb1.file("etc/haproxy/haproxy.cfg") ?? "";
    expect(cfg).toContain(
      `listen kubernetes-apiserver-https\n  bind ${VIP.address}:${VIP.port}\n  mode tcp\n  timeout client 3h\n  timeout server 3h\n  option httpchk\n`,
    );
    expect(cfg).toContain("  http-check expect rstatus ^(200|401|403)$\n");
    expect(cfg).toContain("  balance roundrobin\n");
    const names = await waitFor("both masters reached", async () => {
      const seen = new Set<string>();
      for (let i = 0; i < 8; i++) seen.add(await reach(VIP.address, VIP.port));
      return seen.size === 2 && seen;
    });
    expect([...names].sort()).toEqual(["m1", "m2"]);
  });

  it("drops a stopped master after its health checks fail", async () => {
    apiservers.m2?.close();
    const only = await waitFor(
      "HAProxy to mark m2 down",
      async () => {
        const seen = new Set<string>();
        for (let i = 0; i < 6; i++)
          seen.add(await reach(VIP.address, VIP.port).catch(() => "refused"));
        return seen.size === 1 && seen.has("m1") && seen;
      },
      30_000,
    );
    expect([...only]).toEqual(["m1"]);
  });
});
