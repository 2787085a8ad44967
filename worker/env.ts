import type { ClusterHub } from "./hub/cluster-hub.ts";

/** The Worker's bindings, as wrangler.toml declares them. */
export interface Env {
  DB: D1Database;
  HUB: DurableObjectNamespace<ClusterHub>;
  /** the dashboard's static files (wrangler.toml [assets]) */
  ASSETS: Fetcher;
  HALO_ADMIN_TOKEN?: string;
  /** registrations per client address (wrangler.toml [[ratelimits]]) */
  REGISTER_LIMIT?: RateLimit;
  /** failed authentications per client address */
  AUTH_FAILURE_LIMIT?: RateLimit;
  /** history kept per cluster (worker/db/retention.ts): versions, rollouts, audit days */
  HALO_RETAIN_VERSIONS?: string;
  HALO_RETAIN_ROLLOUTS?: string;
  HALO_RETAIN_AUDIT_DAYS?: string;
}

/** Who is calling: resolved once per request from the bearer token. */
export type Principal =
  | { kind: "none" }
  | { kind: "invalid" }
  | { kind: "admin"; actor: string }
  | { kind: "node"; actor: string; cluster: string; host: string }
  | { kind: "join"; actor: string; cluster: string };

export type AppEnv = { Bindings: Env; Variables: { principal: Principal } };
