import { createRoute, z } from "@hono/zod-openapi";
import { AuditList } from "../../shared/api-schemas.ts";
import { access, json, params, problems, router } from "../api.ts";
import { db } from "../db/client.ts";
import { auditPage } from "../db/audit.ts";
import { requireCluster } from "../db/topology-store.ts";

const AuditQuery = z.object({
  limit: z.coerce
    .number({ error: "must be an integer from 1 to 1000" })
    .int("must be an integer from 1 to 1000")
    .min(1, "must be an integer from 1 to 1000")
    .max(1000, "must be an integer from 1 to 1000")
    .default(100)
    .meta({ description: "at most this many entries (newest first)" }),
  before: z
    .string()
    .regex(/^\d{1,15}$/, "must be an audit entry id")
    .transform(Number)
    .optional()
    .meta({ description: "entries with an id below this one (the next page)" }),
});

/** GET /v1/clusters/:c/audit?before=ID&limit=N: who changed what, newest first. */
export const auditRoutes = router().openapi(
  createRoute({
    method: "get",
    path: "/{c}/audit",
    ...access.admin,
    request: { params: z.object({ c: params.c }), query: AuditQuery },
    responses: { 200: json(AuditList), ...problems() },
  }),
  async (c) => {
    const cluster = c.req.valid("param").c;
    const { limit, before } = c.req.valid("query");
    const d = db(c.env.DB);
    await requireCluster(d, cluster);
    const rows = await auditPage(d, cluster, limit, before);
    return c.json(
      {
        entries: rows.map((r) => ({
          id: r.id,
          at: new Date(r.at).toISOString(),
          actor: r.actor,
          action: r.action,
          detail: r.detail,
        })),
      },
      200,
    );
  },
);
