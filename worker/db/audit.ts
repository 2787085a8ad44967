import { and, desc, eq, lt } from "drizzle-orm";
import type { Db } from "./client.ts";
import { audit } from "./schema.ts";

/**
 * The one way an audit entry is written: who did what to which cluster, when, with a detail
 * object (stored as JSON). A statement to batch with the change it records.
 */
export function auditEntry(
  d: Db,
  e: { cluster: string; actor: string; action: string; detail?: object; at?: number },
) {
  return d.insert(audit).values({
    cluster: e.cluster,
    at: e.at ?? Date.now(),
    actor: e.actor,
    action: e.action,
    detail: (e.detail ?? {}) as Record<string, unknown>,
  });
}

/** A page of a cluster's audit entries, newest first: `limit` of them, below id `before`. */
export function auditPage(d: Db, cluster: string, limit: number, before?: number) {
  const where =
    before === undefined
      ? eq(audit.cluster, cluster)
      : and(eq(audit.cluster, cluster), lt(audit.id, before));
  return d.select().from(audit).where(where).orderBy(desc(audit.id)).limit(limit).all();
}
