import * as z from "zod/mini";
import type { $ZodType, output } from "zod/v4/core";
import { WireBundleSchema } from "./bundle-schema.ts";
import { HostName } from "./names.ts";

/** Bumped on any incompatible change to the frames below. */
export const PROTOCOL_VERSION = 1;
/** Frames larger than this are refused before parsing. */
export const MAX_FRAME_BYTES = 1_048_576;
/** The idle keep-alive: the hub answers it without waking up. */
export const PING = "ping";
export const PONG = "pong";

const Hash = z.string().check(z.regex(/^[0-9a-f]{64}$/, "must be a sha256 hex digest"));
const Count = z.int().check(z.nonnegative());
const Text = (max: number) => z.string().check(z.maxLength(max));
const VersionHash = z.strictObject({ version: Count, hash: Hash });

export const ApplyStage = z.enum(["stage", "check", "install", "reload", "health", "protocol"]);
export type ApplyStage = z.infer<typeof ApplyStage>;

/** Agent -> hub. */
export const ClientMessage = z.discriminatedUnion("type", [
  z.strictObject({
    type: z.literal("hello"),
    protocol: z.int(),
    host: HostName,
    applied: z.nullable(VersionHash),
    /** the agent's own version, shown in the nodes listing */
    agent: z.optional(z.string().check(z.regex(/^[0-9A-Za-z.+-]{1,40}$/))),
  }),
  z.strictObject({
    type: z.literal("applied"),
    version: Count,
    hash: Hash,
    /** kinds this node's config does not manage: never written here */
    skipped: z.optional(z.array(Text(64)).check(z.maxLength(64))),
  }),
  z.strictObject({
    type: z.literal("failed"),
    version: Count,
    hash: Hash,
    stage: ApplyStage,
    error: Text(4096),
    rolledBack: z.boolean(),
  }),
  /** Sent periodically: keeps the node's lastSeen fresh (a ping is answered without the hub). */
  z.strictObject({ type: z.literal("report") }),
]);
export type ClientMessage = z.infer<typeof ClientMessage>;

/** Hub -> agent. */
export const ServerMessage = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("config"), bundle: WireBundleSchema }),
  z.strictObject({ type: z.literal("current"), version: Count, hash: Hash }),
  z.strictObject({ type: z.literal("error"), code: Text(64), message: Text(4096) }),
]);
export type ServerMessage = z.infer<typeof ServerMessage>;

/** Parses one frame with a size limit; the error names the field that is wrong. */
export function parseFrame<S extends $ZodType>(
  schema: S,
  data: string | ArrayBuffer,
): { ok: true; value: output<S> } | { ok: false; error: string } {
  const text = typeof data === "string" ? data : new TextDecoder().decode(data);
  if (text.length > MAX_FRAME_BYTES)
    return { ok: false, error: `frame over ${MAX_FRAME_BYTES} bytes` };
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return { ok: false, error: "frame is not JSON" };
  }
  const r = z.safeParse(schema, doc);
  if (r.success) return { ok: true, value: r.data };
  const i = r.error.issues[0];
  return {
    ok: false,
    error: `${i?.path.map(String).join(".") || "frame"}: ${i?.message ?? "invalid"}`,
  };
}
