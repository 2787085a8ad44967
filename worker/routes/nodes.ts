import { Hono } from "hono";
import { RENDERER_VERSION } from "../../shared/kinds/registry.ts";
import { requireAdmin, requireAdminOrNode } from "../auth.ts";
import { db } from "../db/client.ts";
import type { AppEnv } from "../env.ts";
import { desiredPlan, nodeStatuses } from "../node-view.ts";
import { desiredState } from "../desired-state.ts";
import { trafficDiagram } from "../../shared/diagram.ts";

/** Per-node status, endpoints and config (the bundle), and the cluster's traffic diagram. */
export const nodeRoutes = new Hono<AppEnv>()
  .get("/:c/nodes", async (c) => {
    requireAdmin(c.get("principal"));
    return c.json({ nodes: await nodeStatuses(db(c.env.DB), c.req.param("c")) });
  })
  .get("/:c/diagram", async (c) => {
    requireAdmin(c.get("principal"));
    const state = await desiredState(db(c.env.DB), c.req.param("c"));
    return c.json({ version: state.cluster.version, ...trafficDiagram(state.latest) });
  })
  .get("/:c/nodes/:h/endpoints", async (c) => {
    const { c: cluster, h: host } = c.req.param();
    requireAdminOrNode(c.get("principal"), cluster, host);
    return c.json((await desiredPlan(db(c.env.DB), cluster, host)).endpoints);
  })
  .get("/:c/nodes/:h/config", async (c) => {
    const { c: cluster, h: host } = c.req.param();
    requireAdminOrNode(c.get("principal"), cluster, host);
    const { bundle } = await desiredPlan(db(c.env.DB), cluster, host);
    return c.json({ ...bundle, renderer: RENDERER_VERSION }, 200, { etag: `"${bundle.hash}"` });
  });
