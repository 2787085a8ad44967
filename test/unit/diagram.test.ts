import { describe, expect, it } from "vitest";
import { trafficDiagram } from "../../shared/diagram.ts";
import { plans, seedCluster } from "../support/topologies.ts";

const seed = seedCluster;

describe("the traffic diagram", () => {
  it("draws the Kargo document's example cluster: masters, etcd members, the LB's name, VIP and hosts, each path", () => {
    const d = trafficDiagram(plans(seed()));
    expect(d.masters).toEqual([
      { host: "master1", address: "10.10.1.11:443" },
      { host: "master2", address: "10.10.1.12:443" },
    ]);
    expect(d.lb).toEqual({
      name: "lb-apiserver.kubernetes.local",
      address: "10.10.1.100:8383",
      hosts: ["lb1"],
    });
    expect(d.etcd.members).toEqual(["etcd3", "master1", "master2"]);
    expect(d.etcd.endpoints).toEqual([
      "http://10.10.1.11:2379",
      "http://10.10.1.12:2379",
      "http://10.10.1.13:2379",
    ]);
    // With an external LB every k8s node, masters included, dials the LB name (the Kargo endpoint table).
    const nodes = d.paths.find((p) => p.role === "node");
    expect(nodes).toMatchObject({
      via: "external-lb",
      url: "https://lb-apiserver.kubernetes.local:8383",
      etcd: { via: "proxy", endpoints: ["http://127.0.0.1:2379"] },
      hosts: ["node1", "node2", "node3"],
    });
    expect(
      d.paths
        .filter((p) => p.role === "master")
        .flatMap((p) => p.hosts)
        .sort(),
    ).toEqual(["master1", "master2"]);
    // lb1 is not in k8s-cluster: it is the LB, not a path.
    expect(d.paths.flatMap((p) => p.hosts)).not.toContain("lb1");
  });

  it("groups 1,000 identical nodes into one path with the localhost LB's software named", () => {
    const hosts: Record<string, { ip: string }> = {
      m1: { ip: "10.0.0.1" },
      m2: { ip: "10.0.0.2" },
    };
    const workers = Array.from({ length: 1000 }, (_, i) => `n${i}`);
    workers.forEach((h, i) => (hosts[h] = { ip: `10.1.${i >> 8}.${i & 255}` }));
    const d = trafficDiagram(
      plans({
        hosts,
        groups: {
          "kube-master": { hosts: ["m1", "m2"], children: [] },
          etcd: { hosts: ["m1"], children: [] },
          "kube-node": { hosts: workers, children: [] },
        },
        vars: { loadbalancer_apiserver_localhost: true, loadbalancer_apiserver_type: "haproxy" },
      }),
    );
    const nodePaths = d.paths.filter((p) => p.role === "node");
    expect(nodePaths).toHaveLength(1);
    expect(nodePaths[0]).toMatchObject({ via: "localhost-lb", proxy: "haproxy" });
    expect(nodePaths[0]?.hosts).toHaveLength(1000);
    expect(d.lb).toBeNull();
  });

  it("without any LB names m[0] as every node's direct path", () => {
    const d = trafficDiagram(plans({ ...seedWithoutLb() }));
    const node = d.paths.find((p) => p.role === "node");
    expect(node).toMatchObject({ via: "direct", url: "https://10.10.1.11:443" });
  });
});

function seedWithoutLb() {
  const t = seed();
  const { loadbalancer_apiserver: _lb, ...vars } = t.vars;
  return { ...t, vars };
}
