import { and, desc, eq, lt } from "drizzle-orm";
import { Hono } from "hono";
import { requireAdmin } from "../auth.ts";
import { db } from "../db/client.ts";
import { audit } from "../db/schema.ts";
import { requireCluster } from "../db/topology-store.ts";
import type { AppEnv } from "../env.ts";
import { invalid } from "../errors.ts";

/** GET /v1/clusters/:c/audit?before=ID&limit=N: newest first. */
export const auditRoutes = new Hono<AppEnv>().get("/:c/audit", async (c) => {
  requireAdmin(c.get("principal"));
  const cluster = c.req.param("c");
  const limit = Number(c.req.query("limit") ?? 100);
  const before = c.req.query("before");
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
    throw invalid([{ path: "limit", message: "must be an integer from 1 to 1000" }]);
  }
  if (before !== undefined && !/^\d+$/.test(before)) {
    throw invalid([{ path: "before", message: "must be an audit entry id" }]);
  }
  const d = db(c.env.DB);
  await requireCluster(d, cluster);
  const where =
    before === undefined
      ? eq(audit.cluster, cluster)
      : and(eq(audit.cluster, cluster), lt(audit.id, Number(before)));
  const rows = await d.select().from(audit).where(where).orderBy(desc(audit.id)).limit(limit).all();
  return c.json({
    entries: rows.map((r) => ({
      id: r.id,
      at: new Date(r.at).toISOString(),
      actor: r.actor,
      action: r.action,
      detail: JSON.parse(r.detail) as unknown,
    })),
  });
});
