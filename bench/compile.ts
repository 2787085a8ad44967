import { compileCluster } from "../shared/bundle.ts";
import type { Topology } from "../shared/topology/schema.ts";

/** A cluster of `size` hosts: 3 masters, 3 etcd members (on the masters), the rest nodes. */
export function syntheticCluster(size: number, vars: Record<string, unknown> = {}): Topology {
  const hosts: Topology["hosts"] = {};
  const masters: string[] = [];
  const nodes: string[] = [];
  for (let i = 0; i < size; i++) {
    const name = i < 3 ? `master${i}` : `node${i}`;
    hosts[name] = { ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}` };
    (i < 3 ? masters : nodes).push(name);
  }
  return {
    hosts,
    groups: {
      "kube-master": { hosts: masters, children: [] },
      etcd: { hosts: masters, children: [] },
      "kube-node": { hosts: nodes, children: [] },
    },
    vars,
  };
}

/** Times every node's bundle for clusters of 10 to 5,000 hosts (best of a few runs). */
export function benchCompile(): void {
  for (const size of [10, 100, 1000, 5000]) {
    const t = syntheticCluster(size, { loadbalancer_apiserver_localhost: true });
    let best = Infinity;
    let distinct = 0;
    for (let run = 0; run < 5; run++) {
      const start = performance.now();
      const r = compileCluster(t, 1);
      best = Math.min(best, performance.now() - start);
      if (!r.ok) throw new Error(JSON.stringify(r.error));
      distinct = new Set([...r.value.values()].map((p) => p.bundle.hash)).size;
    }
    console.log(
      `compile ${String(size).padStart(5)} nodes: ${best.toFixed(1).padStart(7)} ms total, ` +
        `${((best * 1000) / size).toFixed(1).padStart(6)} µs/node, ${distinct} distinct bundles`,
    );
  }
}
