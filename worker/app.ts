import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { authenticate } from "./auth.ts";
import type { AppEnv } from "./env.ts";
import { AppError, ErrorCode, problem } from "./errors.ts";
import { agentRoutes } from "./routes/agent.ts";
import { auditRoutes } from "./routes/audit.ts";
import { clusterRoutes } from "./routes/clusters.ts";
import { registerRoutes, joinTokenRoutes } from "./routes/join.ts";
import { liveRoutes } from "./routes/live.ts";
import { nodeRoutes } from "./routes/nodes.ts";
import { openApiRoutes } from "./routes/openapi.ts";
import { rolloutRoutes } from "./routes/rollouts.ts";
import { topologyRoutes } from "./routes/topology.ts";

export const MAX_BODY_BYTES = 1024 * 1024;

/** The v1 HTTP API. */
export const app = new Hono<AppEnv>()
  .use(
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: () => {
        throw new AppError(
          ErrorCode.tooLarge,
          413,
          `request bodies are limited to ${MAX_BODY_BYTES} bytes`,
        );
      },
    }),
  )
  .use(authenticate)
  .route("/v1", openApiRoutes)
  .route("/v1/clusters", clusterRoutes)
  .route("/v1/clusters", topologyRoutes)
  .route("/v1/clusters", nodeRoutes)
  .route("/v1/clusters", joinTokenRoutes)
  .route("/v1/clusters", auditRoutes)
  .route("/v1/clusters", rolloutRoutes)
  .route("/v1/clusters", liveRoutes)
  .route("/v1/register", registerRoutes)
  .route("/v1/agent", agentRoutes)
  .get("/healthz", (c) => c.text("ok\n"))
  // The dashboard is one page: its cluster view is the same document, routed in the browser.
  .get("/clusters/:c", (c) => c.env.ASSETS.fetch(new URL("/", c.req.url)));

app.notFound((c) =>
  problem(c, new AppError(ErrorCode.notFound, 404, `no route for ${c.req.method} ${c.req.path}`)),
);

app.onError((e, c) => {
  if (e instanceof AppError) return problem(c, e);
  console.error("unhandled error", e);
  return problem(c, new AppError(ErrorCode.internal, 500, "internal error; see the Worker's logs"));
});
