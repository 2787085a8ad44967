import { readFileSync } from "node:fs";
import { compileCluster, type NodePlan } from "../../shared/bundle.ts";
import { importTopology } from "../../shared/topology/import.ts";
import type { Topology } from "../../shared/topology/schema.ts";
import { parseTopology } from "../../shared/topology/validate.ts";

/** Two masters, three etcd members (two on the masters), two nodes; vars given per test. */
export function cluster(
  vars: Record<string, unknown> = {},
  extra: Partial<Topology> = {},
): Topology {
  return {
    hosts: {
      m1: { ip: "10.0.0.1" },
      m2: { ip: "10.0.0.2", access_ip: "172.16.0.2" },
      e3: { ip: "10.0.0.3" },
      n1: { ip: "10.0.1.1" },
      n2: { ip: "10.0.1.2", access_ip: "172.16.1.2" },
      lb1: { ip: "10.0.2.1" },
      ...extra.hosts,
    },
    groups: {
      "kube-master": { hosts: ["m1", "m2"], children: [] },
      etcd: { hosts: ["m1", "m2", "e3"], children: [] },
      "kube-node": { hosts: ["n1", "n2"], children: [] },
      "k8s-cluster": { hosts: [], children: ["kube-master", "kube-node"] },
      lb: { hosts: ["lb1"], children: [] },
      ...extra.groups,
    },
    vars,
  };
}

/** Validates and compiles, failing the test with the issues if either step refuses. */
export function plans(t: unknown, version = 1): Map<string, NodePlan> {
  const parsed = parseTopology(t);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.error));
  const compiled = compileCluster(parsed.value, version);
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.error));
  return compiled.value;
}

export function plan(t: unknown, host: string): NodePlan {
  const p = plans(t).get(host);
  if (!p) throw new Error(`no plan for ${host}`);
  return p;
}

/** The Kargo document's example cluster, as `examples/kargo-cluster.ini` declares it. */
export function seedCluster(): Topology {
  const r = importTopology(
    readFileSync(new URL("../../examples/kargo-cluster.ini", import.meta.url), "utf8"),
    "ini",
  );
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  return r.value;
}
