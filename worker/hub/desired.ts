import type { NodePlan } from "../../shared/bundle.ts";
import { db } from "../db/client.ts";
import { readTopology, requireCluster } from "../db/topology-store.ts";
import { plansFor } from "../plans.ts";

/** What each host of a cluster should run now, read from D1 (compiled once per version). */
export async function loadDesired(d1: D1Database, cluster: string): Promise<Map<string, NodePlan>> {
  const d = db(d1);
  const c = await requireCluster(d, cluster);
  const { topology } = await readTopology(d, cluster, c.version);
  return plansFor(c, c.version, topology);
}
