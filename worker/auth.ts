import { createMiddleware } from "hono/factory";
import { db } from "./db/client.ts";
import { joinTokenById } from "./db/join-tokens.ts";
import { nodeByTokenId } from "./db/nodes.ts";
import type { AppEnv, Principal } from "./env.ts";
import { AppError, ErrorCode } from "./errors.ts";
import { adminActor, readToken, timingSafeEqual } from "./tokens.ts";
import { sha256Hex } from "../shared/hash.ts";

/** An admin token shorter than this is refused: the control plane will not run on a guessable one. */
export const MIN_ADMIN_TOKEN_LENGTH = 32;

/** Resolves the bearer token into a principal; routes then decide what it may do. */
export const authenticate = createMiddleware<AppEnv>(async (c, next) => {
  c.set("principal", await resolvePrincipal(c.env, c.req.header("authorization")));
  await next();
});

/** Who a bearer header names (also used for a bearer sent as a WebSocket subprotocol). */
export async function resolvePrincipal(
  env: AppEnv["Bindings"],
  header: string | undefined,
): Promise<Principal> {
  if (header === undefined) return { kind: "none" };
  const m = /^Bearer (\S+)$/.exec(header);
  if (!m || m[1] === undefined) return { kind: "invalid" };
  const presented = m[1];
  const admin = env.HALO_ADMIN_TOKEN;
  if (admin && admin.length < MIN_ADMIN_TOKEN_LENGTH)
    throw new AppError(
      ErrorCode.internal,
      `HALO_ADMIN_TOKEN is shorter than ${MIN_ADMIN_TOKEN_LENGTH} characters: no admin call is accepted until a longer one is set (openssl rand -base64 32)`,
    );
  if (admin && timingSafeEqual(sha256Hex(presented), sha256Hex(admin))) {
    return { kind: "admin", actor: adminActor(admin) };
  }
  const t = readToken(presented);
  if (!t) return { kind: "invalid" };
  const d = db(env.DB);
  if (t.kind === "node") {
    const row = await nodeByTokenId(d, t.id);
    if (!row || !timingSafeEqual(row.tokenHash, t.hash)) return { kind: "invalid" };
    return {
      kind: "node",
      actor: `node:${t.id}`,
      cluster: row.cluster,
      host: row.host,
      tokenId: t.id,
    };
  }
  const row = await joinTokenById(d, t.id);
  if (!row || !timingSafeEqual(row.tokenHash, t.hash)) return { kind: "invalid" };
  return { kind: "join", actor: `join:${t.id}`, cluster: row.cluster };
}

const unauthorized = (p: Principal) =>
  new AppError(
    ErrorCode.unauthorized,
    p.kind === "none" ? "send Authorization: Bearer <token>" : "the bearer token is not valid",
  );

/** Admin routes: 401 without a valid token, 403 for a node or join token. */
export function requireAdmin(p: Principal): string {
  if (p.kind === "admin") return p.actor;
  if (p.kind === "none" || p.kind === "invalid") throw unauthorized(p);
  throw new AppError(ErrorCode.forbidden, `a ${p.kind} token cannot use the admin API`);
}

/** A node's own data: the admin, or that very node's credential. */
export function requireAdminOrNode(p: Principal, cluster: string, host: string): string {
  if (p.kind === "admin") return p.actor;
  if (p.kind === "node" && p.cluster === cluster && p.host === host) return p.actor;
  if (p.kind === "none" || p.kind === "invalid") throw unauthorized(p);
  throw new AppError(ErrorCode.forbidden, "this token may not read this node");
}

/** Agent routes: only a node credential. */
export function requireNode(p: Principal): Extract<Principal, { kind: "node" }> {
  if (p.kind === "node") return p;
  if (p.kind === "none" || p.kind === "invalid") throw unauthorized(p);
  throw new AppError(ErrorCode.forbidden, "only a node credential can use the agent API");
}
