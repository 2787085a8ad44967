import { and, desc, eq, inArray } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { ACTIVE_STATES, RolloutPolicySchema, type RolloutPolicy } from "../../shared/rollout.ts";
import type { Db } from "./client.ts";
import { rollouts } from "./schema.ts";
import { clearTargets } from "./targets.ts";

export type RolloutRow = typeof rollouts.$inferSelect;

const byNewest = (d: Db, cluster: string) =>
  d.select().from(rollouts).where(eq(rollouts.cluster, cluster)).orderBy(desc(rollouts.id));

/** The newest rollout of a cluster, if any. */
export function newestRollout(d: Db, cluster: string): Promise<RolloutRow | undefined> {
  return byNewest(d, cluster).get();
}

/** A cluster's newest `limit` rollouts, newest first. */
export function recentRollouts(d: Db, cluster: string, limit: number): Promise<RolloutRow[]> {
  return byNewest(d, cluster).limit(limit).all();
}

/** The cluster's rollout that is in progress or paused, if any. */
export function activeRollout(d: Db, cluster: string): Promise<RolloutRow | undefined> {
  return d
    .select()
    .from(rollouts)
    .where(and(eq(rollouts.cluster, cluster), inArray(rollouts.state, [...ACTIVE_STATES])))
    .orderBy(desc(rollouts.id))
    .get();
}

/** One rollout of a cluster by its id. */
export function rolloutById(d: Db, cluster: string, id: number): Promise<RolloutRow | undefined> {
  return d
    .select()
    .from(rollouts)
    .where(and(eq(rollouts.cluster, cluster), eq(rollouts.id, id)))
    .get();
}

/** A statement that changes a rollout row (its state, wave, reason), stamped `now`. */
export function updateRollout(
  d: Db,
  id: number,
  fields: Partial<Omit<RolloutRow, "id" | "cluster">>,
  now: number,
) {
  return d
    .update(rollouts)
    .set({ ...fields, updatedAt: now })
    .where(eq(rollouts.id, id));
}

/** A rollout row's policy: the one it ran under, stored with it. */
export function rolloutRowPolicy(row: { policy: unknown }): RolloutPolicy {
  return RolloutPolicySchema.parse(row.policy);
}

/** The statement that puts a rollout's hosts back on the stable version. */
export function revertOps(d: Db, r: RolloutRow): BatchItem<"sqlite"> {
  return clearTargets(d, r.cluster, r.toVersion);
}

/** Ends the cluster's active rollout: a newer version replaces it. */
export function supersedeActive(d: Db, cluster: string, version: number, now: number) {
  return d
    .update(rollouts)
    .set({ state: "superseded", reason: `superseded by version ${version}`, updatedAt: now })
    .where(and(eq(rollouts.cluster, cluster), inArray(rollouts.state, [...ACTIVE_STATES])));
}

export function insertRollout(d: Db, row: Omit<RolloutRow, "id" | "reason">) {
  return d.insert(rollouts).values(row);
}
