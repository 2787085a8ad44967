import { compileCluster, type NodePlan } from "../shared/bundle.ts";
import type { Topology } from "../shared/topology/schema.ts";
import { invalid } from "./errors.ts";

const cache = new Map<string, Map<string, NodePlan>>();
const MAX_CACHED = 32;

/**
 * Every node's plan for a topology version. Versions never change once written, so an
 * isolate keeps the last few compiled.
 */
export function plansFor(
  cluster: { name: string; createdAt: number },
  version: number,
  topology: Topology | null,
) {
  if (topology === null) return new Map<string, NodePlan>();
  const key = `${cluster.name}@${cluster.createdAt}@${version}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const compiled = compileCluster(topology, version);
  if (!compiled.ok) throw invalid(compiled.error);
  if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value ?? "");
  cache.set(key, compiled.value);
  return compiled.value;
}

/** Checks that a candidate topology compiles; throws a 422 naming the fields if not. */
export function checkCompiles(topology: Topology): Map<string, NodePlan> {
  const compiled = compileCluster(topology, 0);
  if (!compiled.ok) throw invalid(compiled.error);
  return compiled.value;
}

/** Hosts whose bundle differs between two versions, added and removed hosts included. */
export function changedHosts(before: Map<string, NodePlan>, after: Map<string, NodePlan>) {
  const hosts = new Set([...before.keys(), ...after.keys()]);
  return [...hosts].filter((h) => before.get(h)?.bundle.hash !== after.get(h)?.bundle.hash).sort();
}
