import type { NodePlan } from "../../shared/bundle.ts";
import { db } from "../db/client.ts";
import { desiredState } from "../desired-state.ts";

/** What each host of a cluster should run now (rollout targets included), read from D1. */
export async function loadDesired(d1: D1Database, cluster: string): Promise<Map<string, NodePlan>> {
  return (await desiredState(db(d1), cluster)).desired;
}
