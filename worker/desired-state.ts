import type { NodePlan } from "../shared/bundle.ts";
import type { LivePolicy } from "../shared/live.ts";
import { db, type Db } from "./db/client.ts";
import { targetsOf } from "./db/targets.ts";
import { readTopology, requireCluster } from "./db/topology-store.ts";
import { notFound } from "./errors.ts";
import { livePolicyOf } from "./db/topology-store.ts";
import { cachedPlans, plansFor } from "./plans.ts";
import { drainsOf } from "./db/drains.ts";

/**
 * Desired state, in one module: what every host should run now (its rollout target if a
 * rollout reached it, else the stable version), one host's plan, and what the hub holds.
 */
export interface DesiredState {
  cluster: Awaited<ReturnType<typeof requireCluster>>;
  latest: Map<string, NodePlan>;
  desired: Map<string, NodePlan>;
  targets: Map<string, number>;
}

export async function desiredState(d: Db, name: string): Promise<DesiredState> {
  const cluster = await requireCluster(d, name);
  const plansOf = new Map<number, Map<string, NodePlan>>();
  const load = async (v: number) => {
    let p = plansOf.get(v);
    if (!p) {
      p =
        cachedPlans(cluster, v) ?? plansFor(cluster, v, (await readTopology(d, name, v)).topology);
      plansOf.set(v, p);
    }
    return p;
  };
  const latest = await load(cluster.version);
  const stable = await load(cluster.stableVersion);
  const targets = await targetsOf(d, name);
  const desired = new Map<string, NodePlan>();
  for (const [host, plan] of latest) {
    const v = targets.get(host);
    const chosen = v === undefined ? stable.get(host) : (await load(v)).get(host);
    // A host new since the stable version has nothing to protect: it gets the newest config.
    desired.set(host, chosen ?? plan);
  }
  return { cluster, latest, desired, targets };
}

/** One host's desired plan; 404 for a host the topology does not have. */
export async function desiredPlan(d: Db, cluster: string, host: string): Promise<NodePlan> {
  const plan = (await desiredState(d, cluster)).desired.get(host);
  if (!plan) throw notFound(`host '${host}' in cluster '${cluster}'`);
  return plan;
}

/** What the hub holds: each host's desired plan, the live policy and the drained masters. */
export async function loadDesired(
  d1: D1Database,
  cluster: string,
): Promise<{ plans: Map<string, NodePlan>; policy: LivePolicy; drained: string[] }> {
  const d = db(d1);
  const state = await desiredState(d, cluster);
  const drained = (await drainsOf(d, cluster)).map((r) => r.host).sort();
  return { plans: state.desired, policy: livePolicyOf(state.cluster), drained };
}
