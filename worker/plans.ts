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

/** The plans of a version this isolate already compiled, if it has them. */
export function cachedPlans(
  cluster: { name: string; createdAt: number },
  version: number,
): Map<string, NodePlan> | undefined {
  return cache.get(`${cluster.name}@${cluster.createdAt}@${version}`);
}

/**
 * Checks that a candidate topology compiles (a 422 naming the fields if not), as the version it
 * would become: once committed, `remember` keeps it, so the rollout that starts next does not
 * read and compile the same version again.
 */
export function checkCompiles(
  topology: Topology,
  version = 0,
): {
  plans: Map<string, NodePlan>;
  remember: (cluster: { name: string; createdAt: number }) => void;
} {
  const compiled = compileCluster(topology, version);
  if (!compiled.ok) throw invalid(compiled.error);
  const plans = compiled.value;
  return {
    plans,
    remember: (cluster) => {
      if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value ?? "");
      cache.set(`${cluster.name}@${cluster.createdAt}@${version}`, plans);
    },
  };
}

/** Hosts whose bundle differs between two versions, added and removed hosts included. */
export function changedHosts(before: Map<string, NodePlan>, after: Map<string, NodePlan>) {
  const hosts = new Set([...before.keys(), ...after.keys()]);
  return [...hosts].filter((h) => before.get(h)?.bundle.hash !== after.get(h)?.bundle.hash).sort();
}
