import { z } from "zod";
import { WireBundleSchema } from "./bundle-schema.ts";
import { HostNameSchema } from "./topology/schema.ts";

/** Bumped on any incompatible change to the frames below. */
export const PROTOCOL_VERSION = 1;
/** Frames larger than this are refused before parsing. */
export const MAX_FRAME_BYTES = 1_048_576;
/** The idle keep-alive: the hub answers it without waking up. */
export const PING = "ping";
export const PONG = "pong";

const Hash = z.string().regex(/^[0-9a-f]{64}$/, "must be a sha256 hex digest");
const VersionHash = z.strictObject({ version: z.number().int().nonnegative(), hash: Hash });

export const ApplyStage = z.enum(["stage", "check", "install", "reload", "health", "protocol"]);
export type ApplyStage = z.infer<typeof ApplyStage>;

/** Agent -> hub. */
export const ClientMessage = z.discriminatedUnion("type", [
  z.strictObject({
    type: z.literal("hello"),
    protocol: z.number().int(),
    host: HostNameSchema,
    applied: VersionHash.nullable(),
    /** the agent's own version, shown in the nodes listing */
    agent: z
      .string()
      .regex(/^[0-9A-Za-z.+-]{1,40}$/)
      .optional(),
  }),
  z.strictObject({
    type: z.literal("applied"),
    version: z.number().int().nonnegative(),
    hash: Hash,
    /** kinds this node's config does not manage: never written here */
    skipped: z.array(z.string().max(64)).max(64).optional(),
  }),
  z.strictObject({
    type: z.literal("failed"),
    version: z.number().int().nonnegative(),
    hash: Hash,
    stage: ApplyStage,
    error: z.string().max(4096),
    rolledBack: z.boolean(),
  }),
  /** Sent periodically: keeps the node's lastSeen fresh (a ping is answered without the hub). */
  z.strictObject({ type: z.literal("report") }),
]);
export type ClientMessage = z.infer<typeof ClientMessage>;

/** Hub -> agent. */
export const ServerMessage = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("config"), bundle: WireBundleSchema }),
  z.strictObject({
    type: z.literal("current"),
    version: z.number().int().nonnegative(),
    hash: Hash,
  }),
  z.strictObject({
    type: z.literal("error"),
    code: z.string().max(64),
    message: z.string().max(4096),
  }),
]);
export type ServerMessage = z.infer<typeof ServerMessage>;

/** Parses one frame with a size limit; the error names the field that is wrong. */
export function parseFrame<S extends z.ZodType>(
  schema: S,
  data: string | ArrayBuffer,
): { ok: true; value: z.output<S> } | { ok: false; error: string } {
  const text = typeof data === "string" ? data : new TextDecoder().decode(data);
  if (text.length > MAX_FRAME_BYTES)
    return { ok: false, error: `frame over ${MAX_FRAME_BYTES} bytes` };
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return { ok: false, error: "frame is not JSON" };
  }
  const r = schema.safeParse(doc);
  if (r.success) return { ok: true, value: r.data };
  const i = r.error.issues[0];
  return {
    ok: false,
    error: `${i?.path.map(String).join(".") || "frame"}: ${i?.message ?? "invalid"}`,
  };
}
