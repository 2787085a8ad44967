/**
 * The Worker's bindings: what wrangler.toml declares, as `wrangler types` generates it
 * (worker/worker-configuration.d.ts, kept true by `node scripts/worker-types.mjs --check` in
 * npm test), plus the optional settings an operator may add as vars.
 */
export type Env = Cloudflare.Env & {
  /** history kept per cluster (worker/db/retention.ts): versions, rollouts, audit days */
  HALO_RETAIN_VERSIONS?: string;
  HALO_RETAIN_ROLLOUTS?: string;
  HALO_RETAIN_AUDIT_DAYS?: string;
};

/** Who is calling: resolved once per request from the bearer token. */
export type Principal =
  | { kind: "none" }
  | { kind: "invalid" }
  | { kind: "admin"; actor: string }
  | { kind: "node"; actor: string; cluster: string; host: string; tokenId: string }
  | { kind: "join"; actor: string; cluster: string };

export type AppEnv = { Bindings: Env; Variables: { principal: Principal } };
