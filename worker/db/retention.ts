import { and, eq, lt, sql } from "drizzle-orm";
import type { Db } from "./client.ts";
import { audit, clusters, rollouts, topologyVersions } from "./schema.ts";

/** How much history a cluster keeps (Worker vars HALO_RETAIN_*; these are the defaults). */
export interface Retention {
  /** topology versions, newest first (versions a rollout, the stable version or a node's rollout target still name are always kept) */
  versions: number;
  /** finished rollouts, newest first (active ones are always kept) */
  rollouts: number;
  /** audit entries younger than this many days */
  auditDays: number;
}

export const DEFAULT_RETENTION: Retention = { versions: 200, rollouts: 200, auditDays: 90 };

/** The retention the Worker's vars ask for; a missing or bad value keeps its default. */
export function retentionOf(env: Record<string, unknown>): Retention {
  const n = (key: string, fallback: number) => {
    const v = Number(env[key]);
    return Number.isInteger(v) && v >= 1 ? v : fallback;
  };
  return {
    versions: n("HALO_RETAIN_VERSIONS", DEFAULT_RETENTION.versions),
    rollouts: n("HALO_RETAIN_ROLLOUTS", DEFAULT_RETENTION.rollouts),
    auditDays: n("HALO_RETAIN_AUDIT_DAYS", DEFAULT_RETENTION.auditDays),
  };
}

/**
 * Drops what the retention no longer keeps, in one batch: finished rollouts past the newest
 * `rollouts`, topology versions past the newest `versions` that nothing still names, audit
 * entries older than `auditDays`. Rollback to a dropped version answers 404.
 */
export async function prune(d: Db, cluster: string, keep: Retention, now = Date.now()) {
  const c = await d.select().from(clusters).where(eq(clusters.name, cluster)).get();
  if (!c) return;
  await d.batch([
    d
      .delete(rollouts)
      .where(
        and(
          eq(rollouts.cluster, cluster),
          sql`${rollouts.state} NOT IN ('in_progress', 'paused')`,
          sql`${rollouts.id} NOT IN (SELECT id FROM rollouts WHERE cluster = ${cluster} ORDER BY id DESC LIMIT ${keep.rollouts})`,
        ),
      ),
    d
      .delete(topologyVersions)
      .where(
        and(
          eq(topologyVersions.cluster, cluster),
          lt(topologyVersions.version, c.version - keep.versions + 1),
          sql`${topologyVersions.version} <> ${c.stableVersion}`,
          sql`${topologyVersions.version} NOT IN (SELECT from_version FROM rollouts WHERE cluster = ${cluster} UNION SELECT to_version FROM rollouts WHERE cluster = ${cluster} UNION SELECT version FROM node_targets WHERE cluster = ${cluster})`,
        ),
      ),
    d
      .delete(audit)
      .where(and(eq(audit.cluster, cluster), lt(audit.at, now - keep.auditDays * 86_400_000))),
  ]);
}

let configured: Retention = DEFAULT_RETENTION;

/** Takes the Worker's vars once per request (they are the same for every request of a deployment). */
export function configureRetention(env: Record<string, unknown>): void {
  configured = retentionOf(env);
}

/** The retention in force. */
export const retention = (): Retention => configured;
