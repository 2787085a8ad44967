import { compileCluster } from "../shared/bundle.ts";
import type { Topology } from "../shared/topology/schema.ts";
import { JSON_OUTPUT } from "./report.ts";

/** A cluster of `size` hosts: 3 masters, 3 etcd members (on the masters), the rest nodes. */
export function syntheticCluster(size: number, vars: Record<string, unknown> = {}): Topology {
  const hosts: Topology["hosts"] = {};
  const masters: string[] = [];
  const nodes: string[] = [];
  for (let i = 0; i < size; i++) {
    const name = i < 3 ? `master${i}` : `node${i}`;
    // Loopback addresses: nothing here is dialled, but nothing could leave the machine if it were.
    const n = i + 16;
    hosts[name] = { ip: `127.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}` };
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

/**
 * The shape that was quadratic: `masters` masters and the rest nodes, every host with vars of
 * its own (labels, say) that halo does not read.
 */
export function perHostVarsCluster(size: number, masters: number): Topology {
  const t = syntheticCluster(size, { loadbalancer_apiserver_localhost: true });
  const names = Object.keys(t.hosts);
  const m = names.slice(0, masters);
  t.groups["kube-master"] = { hosts: m, children: [] };
  t.groups.etcd = { hosts: m.slice(0, 3), children: [] };
  t.groups["kube-node"] = { hosts: names.slice(masters), children: [] };
  names.forEach((h, i) => {
    const host = t.hosts[h];
    if (host) host.vars = { node_labels: `rack=${i % 40}`, halo_inventory_id: i };
  });
  return t;
}

function bestOf(t: Topology, runs = 3): { ms: number; distinct: number } {
  let ms = Infinity;
  let distinct = 0;
  for (let run = 0; run < runs; run++) {
    const start = performance.now();
    const r = compileCluster(t, 1);
    ms = Math.min(ms, performance.now() - start);
    if (!r.ok) throw new Error(JSON.stringify(r.error));
    distinct = new Set([...r.value.values()].map((p) => p.bundle.hash)).size;
  }
  return { ms, distinct };
}

/** Times every node's bundle for clusters of 10 to 5,000 hosts (best of a few runs). */
export function benchCompile(): void {
  for (const size of [10, 100, 1000, 5000]) {
    const { ms: best, distinct } = bestOf(
      syntheticCluster(size, { loadbalancer_apiserver_localhost: true }),
      5,
    );
    console.log(
      `compile ${String(size).padStart(5)} nodes: ${best.toFixed(1).padStart(7)} ms total, ` +
        `${((best * 1000) / size).toFixed(1).padStart(6)} µs/node, ${distinct} distinct bundles`,
    );
    if (JSON_OUTPUT)
      console.log(
        JSON.stringify({
          figure: `compile ${size} nodes`,
          value: Number(best.toFixed(2)),
          unit: "ms",
          target: null,
          ok: null,
        }),
      );
  }
}

/** 5,000 hosts with vars of their own: 3 masters, then 3,000 masters; both beside the plain 5,000. */
export function benchCompilePerHostVars(): void {
  const plain = bestOf(syntheticCluster(5000, { loadbalancer_apiserver_localhost: true }));
  for (const masters of [3, 3000]) {
    const r = bestOf(perHostVarsCluster(5000, masters));
    console.log(
      `compile  5000 hosts, each with own vars, ${String(masters).padStart(4)} masters: ` +
        `${r.ms.toFixed(1).padStart(7)} ms (${(r.ms / plain.ms).toFixed(1)}x the plain 5,000-node cluster's ` +
        `${plain.ms.toFixed(1)} ms), ${r.distinct} distinct bundles`,
    );
    if (JSON_OUTPUT)
      console.log(
        JSON.stringify({
          figure: `compile 5000 hosts with own vars, ${masters} masters`,
          value: Number(r.ms.toFixed(2)),
          unit: "ms",
          target: null,
          ok: null,
        }),
      );
  }
}
