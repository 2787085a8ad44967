import type { NodePlan } from "../../shared/bundle.ts";
import type { LivePolicy } from "../../shared/live.ts";
import { db } from "../db/client.ts";
import { desiredState } from "../desired-state.ts";
import { livePolicyOf } from "./live.ts";

/** What each host of a cluster should run now (rollout targets included), and the live policy. */
export async function loadDesired(
  d1: D1Database,
  cluster: string,
): Promise<{ plans: Map<string, NodePlan>; policy: LivePolicy }> {
  const state = await desiredState(db(d1), cluster);
  return { plans: state.desired, policy: livePolicyOf(state.cluster) };
}
