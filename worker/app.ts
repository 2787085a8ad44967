import { HTTPException } from "hono/http-exception";
import { bodyLimit } from "hono/body-limit";
import { SECURITY_SCHEMES, router } from "./api.ts";
import { authenticate } from "./auth.ts";
import { AppError, ErrorCode, problem } from "./errors.ts";
import { agentRoutes } from "./routes/agent.ts";
import { auditRoutes } from "./routes/audit.ts";
import { clusterRoutes } from "./routes/clusters.ts";
import { registerRoutes, joinTokenRoutes } from "./routes/join.ts";
import { liveRoutes } from "./routes/live.ts";
import { drainRoutes } from "./routes/drain.ts";
import { limited } from "./rate-limits.ts";
import { configureRetention } from "./db/retention.ts";
import { nodeRoutes } from "./routes/nodes.ts";
import { rolloutRoutes } from "./routes/rollouts.ts";
import { topologyRoutes } from "./routes/topology.ts";

export const MAX_BODY_BYTES = 1024 * 1024;

const root = router();

/** The v1 HTTP API. */
export const app = root
  .use(
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: () => {
        throw new AppError(
          ErrorCode.tooLarge,
          `request bodies are limited to ${MAX_BODY_BYTES} bytes`,
        );
      },
    }),
  )
  .use(async (c, next) => {
    configureRetention(c.env as unknown as Record<string, unknown>);
    await next();
  })
  .use(authenticate)
  .route("/v1/clusters", clusterRoutes)
  .route("/v1/clusters", topologyRoutes)
  .route("/v1/clusters", nodeRoutes)
  .route("/v1/clusters", joinTokenRoutes)
  .route("/v1/clusters", auditRoutes)
  .route("/v1/clusters", rolloutRoutes)
  .route("/v1/clusters", liveRoutes)
  .route("/v1/clusters", drainRoutes)
  .route("/v1/register", registerRoutes)
  .route("/v1/agent", agentRoutes)
  .get("/healthz", (c) => c.text("ok\n"))
  // The dashboard is one page: its cluster view is the same document, routed in the browser.
  .get("/clusters/:c", (c) => c.env.ASSETS.fetch(new URL("/", c.req.url)));

for (const [name, scheme] of Object.entries(SECURITY_SCHEMES))
  root.openAPIRegistry.registerComponent("securitySchemes", name, scheme);

const DOCUMENT = {
  openapi: "3.1.0",
  info: {
    title: "halo control plane",
    version: "1",
    description: "Errors are problem+json (RFC 9457); a 422 names each field in errors[].path.",
  },
};

/** The OpenAPI 3.1 document, generated from the routes' own declarations. */
export const openApiDocument = () => root.getOpenAPI31Document(DOCUMENT);
app.get("/v1/openapi.json", (c) => c.json(openApiDocument()));

app.notFound((c) =>
  problem(c, new AppError(ErrorCode.notFound, `no route for ${c.req.method} ${c.req.path}`)),
);

app.onError(async (e, c) => {
  if (e instanceof AppError && e.code === ErrorCode.unauthorized) {
    // Failed authentications count per address; past the limit they are a 429, not a 401.
    try {
      await limited(c, "AUTH_FAILURE_LIMIT", "failed authentications");
    } catch (over) {
      if (over instanceof AppError) return problem(c, over);
    }
  }
  if (e instanceof AppError) return problem(c, e);
  // Hono's own refusals (a validator's media type gate) in the same problem+json.
  if (e instanceof HTTPException && e.status === 415)
    return problem(c, new AppError(ErrorCode.unsupportedMediaType, e.message));
  console.error("unhandled error", e);
  return problem(c, new AppError(ErrorCode.internal, "internal error; see the Worker's logs"));
});
