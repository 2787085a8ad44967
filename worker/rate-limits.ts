import type { Context } from "hono";
import type { AppEnv } from "./env.ts";
import { tooMany } from "./errors.ts";

/** The client's address as Cloudflare gives it (`CF-Connecting-IP`); wrangler dev sets it too. */
export const clientOf = (c: Context<AppEnv>) => c.req.header("cf-connecting-ip") ?? "unknown";

/**
 * Counts one event against a Workers Rate Limiting binding, keyed by the client's address;
 * throws a 429 (with Retry-After) when the address is over the limit. A deployment without the
 * binding is not limited.
 */
export async function limited(
  c: Context<AppEnv>,
  which: "REGISTER_LIMIT" | "AUTH_FAILURE_LIMIT",
  what: string,
): Promise<void> {
  const limiter = c.env[which];
  if (!limiter) return;
  const { success } = await limiter.limit({ key: clientOf(c) });
  if (!success) throw tooMany(what);
}
