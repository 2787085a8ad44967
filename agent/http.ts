import { WireBundleSchema, type WireBundle } from "../shared/bundle-schema.ts";
import { err, ok, type Result } from "../shared/result.ts";
import type { Credential } from "./credential.ts";

export type FetchConfig = Result<
  { bundle: WireBundle } | { unchanged: true },
  { status: number; error: string }
>;

/** GET /v1/agent/config: the HTTP fallback, with If-None-Match so an unchanged bundle costs a 304. */
export async function fetchConfig(cred: Credential, knownHash?: string): Promise<FetchConfig> {
  let res: Response;
  try {
    res = await fetch(new URL("/v1/agent/config", cred.server), {
      headers: {
        authorization: `Bearer ${cred.nodeToken}`,
        ...(knownHash ? { "if-none-match": `"${knownHash}"` } : {}),
      },
      signal: AbortSignal.timeout(15_000),
    });
  } catch (e) {
    return err({ status: 0, error: e instanceof Error ? e.message : String(e) });
  }
  if (res.status === 304) return ok({ unchanged: true });
  if (!res.ok)
    return err({ status: res.status, error: `${res.status} ${(await res.text()).slice(0, 500)}` });
  const parsed = WireBundleSchema.safeParse(await res.json().catch(() => null));
  if (!parsed.success)
    return err({
      status: res.status,
      error: `bad bundle from server: ${parsed.error.issues[0]?.message}`,
    });
  return ok({ bundle: parsed.data });
}
