import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ClusterSummary, RolloutDetail } from "../../shared/api-schemas.ts";
import { Fleet, type Node } from "./fleet.ts";

const CLUSTER = "waves";
const POLICY = {
  canary: 1,
  waves: ["100%"],
  bakeSeconds: 1,
  waveDeadlineSeconds: 30,
  autoRevert: true,
};
const topology = (port: number) => ({
  hosts: {
    m1: { ip: "127.0.0.71" },
    n1: { ip: "127.0.0.72" },
    n2: { ip: "127.0.0.73" },
    n3: { ip: "127.0.0.74" },
  },
  groups: {
    "kube-master": { hosts: ["m1"], children: [] },
    etcd: { hosts: ["m1"], children: [] },
    "kube-node": { hosts: ["n1", "n2", "n3"], children: [] },
  },
  vars: { kube_apiserver_port: port },
});

const fleet = new Fleet();
const nodes: Record<string, Node> = {};

/** Plain nodes; the canary n1's check refuses any endpoints file naming port 9443. */
function node(host: string): Node {
  const check = host === "n1" ? "! grep -q 9443 {staged}" : null;
  return fleet.node(host, {
    hosts: { path: "/etc/hosts" },
    endpoints: { path: "/etc/halo/endpoints.json", check },
    "etcd-proxy": { path: "/etc/halo/etcd-proxy.env", check: null, reload: null, health: null },
  });
}

beforeAll(async () => {
  await fleet.start();
  await fleet.createCluster(CLUSTER, POLICY);
  await fleet.api("PUT", `/v1/clusters/${CLUSTER}/topology`, topology(6443));
  const token = await fleet.joinToken(CLUSTER);
  for (const [h, ip] of [
    ["n1", "127.0.0.72"],
    ["n2", "127.0.0.73"],
    ["n3", "127.0.0.74"],
  ] as const) {
    nodes[h] = node(h);
    nodes[h].join(token, ip);
    nodes[h].run();
  }
  await fleet.converged(CLUSTER, ["n1", "n2", "n3"]);
}, 120_000);
afterAll(() => fleet.stop());

const url = (n: Node | undefined) =>
  JSON.parse(n?.file("etc/halo/endpoints.json") ?? "{}").apiserver?.url;
const appliedAt = (n: Node | undefined, version: number) => {
  const line = n
    ?.output()
    .split("\n")
    .find((l) => l.includes(`applied version ${version} `));
  return line ? Date.parse(line.slice(0, 24)) : NaN;
};

describe("rollouts with real agents", () => {
  it("a change whose check fails on the canary stops there and reverts; the others never receive it", async () => {
    await fleet.api("PUT", `/v1/clusters/${CLUSTER}/topology`, topology(9443));
    const r = await fleet.rollout(CLUSTER, ["reverted"]);
    expect(r.state).toBe("reverted");
    for (const h of ["n1", "n2", "n3"]) expect(url(nodes[h])).toBe("https://127.0.0.71:6443");
    expect(nodes.n1?.output()).toContain("version 2 failed at check");
    expect(nodes.n2?.output()).not.toContain("version 2");
    expect(nodes.n3?.output()).not.toContain("version 2");
    const { body } = await fleet.call(ClusterSummary, "GET", `/v1/clusters/${CLUSTER}`);
    expect(body.stableVersion).toBe(1);
  });

  it("a good change completes wave by wave: the canary bakes before the rest get it", async () => {
    await fleet.api("PUT", `/v1/clusters/${CLUSTER}/topology`, topology(7443));
    const r = await fleet.rollout(CLUSTER, ["completed"]);
    for (const h of ["n1", "n2", "n3"]) expect(url(nodes[h])).toBe("https://127.0.0.71:7443");
    const detail = await fleet.call(
      RolloutDetail,
      "GET",
      `/v1/clusters/${CLUSTER}/rollouts/${r.id}`,
    );
    expect(detail.body.waves.map((w) => [w.name, w.state, w.nodes.map((n) => n.host)])).toEqual([
      ["canary", "done", ["n1"]],
      ["wave 1", "done", ["n2", "n3"]],
    ]);
    const canary = appliedAt(nodes.n1, 3);
    expect(appliedAt(nodes.n2, 3) - canary).toBeGreaterThanOrEqual(1000);
    expect(appliedAt(nodes.n3, 3) - canary).toBeGreaterThanOrEqual(1000);
  });
});
