import { createRoute } from "@hono/zod-openapi";
import { AgentConfig } from "../../shared/api-schemas.ts";
import { toWire } from "../../shared/bundle.ts";
import { RENDERER_VERSION } from "../../shared/kinds/registry.ts";
import { access, json, problems, router } from "../api.ts";
import { requireNode } from "../auth.ts";
import { db } from "../db/client.ts";
import { AppError, ErrorCode } from "../errors.ts";
import { connectAgent } from "../hub-client.ts";
import { desiredPlan } from "../desired-state.ts";

/** The agent's side: the WebSocket to its cluster's hub, and the HTTP fallback for config. */
export const agentRoutes = router()
  .openapi(
    createRoute({
      method: "get",
      path: "/config",
      ...access.node,
      description: "the node's bundle: specs only; 304 when If-None-Match has its hash",
      responses: {
        200: json(AgentConfig),
        304: { description: "unchanged (If-None-Match)" },
        ...problems(),
      },
    }),
    async (c) => {
      const node = requireNode(c.get("principal"));
      const { bundle } = await desiredPlan(db(c.env.DB), node.cluster, node.host);
      const tag = `"${bundle.hash}"`;
      const inm = c.req.header("if-none-match");
      if (inm !== undefined && inm.split(",").some((t) => t.trim().replace(/^W\//, "") === tag)) {
        return c.body(null, 304, { etag: tag });
      }
      return c.json(toWire(bundle, RENDERER_VERSION), 200, { etag: tag });
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/connect",
      ...access.node,
      description: "the agent's WebSocket: frames of shared/protocol.ts",
      responses: { 101: { description: "switching to the WebSocket" }, ...problems(426) },
    }),
    async (c) => {
      const node = requireNode(c.get("principal"));
      if (c.req.header("upgrade")?.toLowerCase() !== "websocket") {
        throw new AppError(ErrorCode.upgradeRequired, "expected a WebSocket upgrade");
      }
      return connectAgent(c.env, c.req.raw, node);
    },
  );
