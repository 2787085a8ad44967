import * as z from "zod/mini";
import type { $ZodType, output } from "zod/v4/core";
import { WireBundleSchema } from "./bundle-schema.ts";
import { DriftPolicy, ProbeResultSchema, TargetSchema } from "./live.ts";
import { HostName } from "./names.ts";
import { CertSeenSchema } from "./tls.ts";
import { KIND_NAMES } from "./kinds/registry.ts";
import { issuesOf } from "./result.ts";

/**
 * The newest protocol this code speaks, and the oldest it still accepts. Version 2 adds the
 * live view (targets, probe and drift reports); 3 lets an lb host report whether it holds the
 * VIP; 4 adds apiservers' readiness (`status`, `readiness` in probe results) and the nginx
 * backends a node took out (`ejected`); 5 the certificates servers presented (`cert` in probe
 * results) and a master's own serving certificate read from disk (`served`). Agents say both in hello; the hub picks the highest version both speak, so either side
 * can be upgraded first (an agent sends `vip` only once the hub said 3 in welcome).
 */
export const PROTOCOL_VERSION = 5;
export const PROTOCOL_MIN = 1;
/** Frames larger than this are refused before parsing. */
export const MAX_FRAME_BYTES = 1_048_576;
/** The idle keep-alive: the hub answers it without waking up. */
export const PING = "ping";
export const PONG = "pong";

const Hash = z.string().check(z.regex(/^[0-9a-f]{64}$/, "must be a sha256 hex digest"));
const Count = z.int().check(z.nonnegative());
const Text = (max: number) => z.string().check(z.maxLength(max));
const VersionHash = z.strictObject({ version: Count, hash: Hash });

export const ApplyStage = z.enum([
  "stage",
  "check",
  "install",
  "reload",
  "health",
  "protocol",
  "preflight",
]);
export type ApplyStage = z.infer<typeof ApplyStage>;

/** Agent -> hub. */
export const ClientMessage = z.discriminatedUnion("type", [
  z.strictObject({
    type: z.literal("hello"),
    /** the newest version the agent speaks */
    protocol: z.int(),
    /** the oldest it still speaks (agents before version 2 send only `protocol`) */
    protocolMin: z.optional(z.int()),
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
    skipped: z.optional(z.array(z.enum(KIND_NAMES)).check(z.maxLength(64))),
  }),
  z.strictObject({
    type: z.literal("failed"),
    version: Count,
    hash: Hash,
    stage: ApplyStage,
    error: Text(4096),
    rolledBack: z.boolean(),
  }),
  /**
   * What the node experiences: sent when a probe result or drift changes and at least every
   * 60 s (which keeps lastSeen fresh; a ping is answered without waking the hub).
   */
  z.strictObject({
    type: z.literal("report"),
    probes: z.optional(
      z.strictObject({
        // A node probes at most a few dozen targets; the hub keeps only the ids it sent.
        results: z
          .record(Text(300), ProbeResultSchema)
          .check(z.refine((r) => Object.keys(r).length <= 256, "too many results")),
        apiserver: ProbeResultSchema,
      }),
    ),
    /** managed files that differ from what was applied; healed when the policy re-applied them */
    drift: z.optional(
      z.strictObject({
        kinds: z.array(z.enum(KIND_NAMES)).check(z.maxLength(64)),
        healed: z.boolean(),
      }),
    ),
    /** protocol 3, on an lb host running keepalived: whether this host holds the VIP now */
    vip: z.optional(z.strictObject({ held: z.boolean() })),
    /**
     * protocol 4, while masters are drained: the drains this node's LB has applied, and its
     * established connections to each drained master
     */
    lb: z.optional(
      z.strictObject({
        drained: z.array(HostName).check(z.maxLength(64)),
        connections: z
          .record(HostName, Count)
          .check(z.refine((r) => Object.keys(r).length <= 64, "too many masters")),
      }),
    ),
    /** protocol 5, on a master: the apiserver serving certificate its agent read from disk */
    served: z.optional(CertSeenSchema),
    /** protocol 4: the LB backends this node has taken out now (all of them, sent on change) */
    ejected: z.optional(
      z
        .array(z.strictObject({ master: HostName, since: Text(40), reason: Text(300) }))
        .check(z.maxLength(64)),
    ),
  }),
]);
export type ClientMessage = z.infer<typeof ClientMessage>;

/** Hub -> agent. */
export const ServerMessage = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("config"), bundle: WireBundleSchema }),
  z.strictObject({ type: z.literal("current"), version: Count, hash: Hash }),
  z.strictObject({ type: z.literal("error"), code: Text(64), message: Text(4096) }),
  /** The protocol the hub picked (version 2 and later). */
  z.strictObject({ type: z.literal("welcome"), protocol: z.int() }),
  /** What to probe and how often, and what to do about drift: never part of the bundle hash. */
  z.strictObject({
    type: z.literal("targets"),
    intervalSeconds: z.int().check(z.gte(2), z.lte(300)),
    driftPolicy: DriftPolicy,
    apiserver: Text(300),
    targets: z.array(TargetSchema).check(z.maxLength(10_000)),
    /** protocol 4: seconds between an nginx node's readiness checks of each backend */
    checkIntervalSeconds: z.optional(z.int().check(z.gte(1), z.lte(60))),
    /** protocol 4: masters being drained; the node's LB sends them no new connection */
    drained: z.optional(z.array(HostName).check(z.maxLength(1000))),
  }),
]);
export type ServerMessage = z.infer<typeof ServerMessage>;

/**
 * Parses one frame with a size limit; the error names the field that is wrong. A frame of a
 * type this side does not know is `unknown` (a newer peer's optional frame): ignored, not an
 * error.
 */
export function parseFrame<S extends $ZodType>(
  schema: S,
  data: string | ArrayBuffer,
  known: ReadonlyArray<string> = [],
): { ok: true; value: output<S> } | { ok: false; error: string; unknown?: true } {
  const text = typeof data === "string" ? data : new TextDecoder().decode(data);
  if (text.length > MAX_FRAME_BYTES)
    return { ok: false, error: `frame over ${MAX_FRAME_BYTES} bytes` };
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return { ok: false, error: "frame is not JSON" };
  }
  const type = (doc as { type?: unknown } | null)?.type;
  if (known.length > 0 && typeof type === "string" && !known.includes(type))
    return {
      ok: false,
      error: `unknown frame type ${JSON.stringify(type).slice(0, 40)}`,
      unknown: true,
    };
  const r = z.safeParse(schema, doc);
  if (r.success) return { ok: true, value: r.data };
  const i = issuesOf(r.error.issues.slice(0, 1))[0];
  return { ok: false, error: `${i?.path || "frame"}: ${i?.message ?? "invalid"}` };
}

export const CLIENT_TYPES = ["hello", "applied", "failed", "report"] as const;
export const SERVER_TYPES = ["config", "current", "error", "welcome", "targets"] as const;

/** The version two sides speak, or null: the highest both accept. */
export function negotiate(
  peer: { protocol: number; protocolMin?: number },
  own = { max: PROTOCOL_VERSION, min: PROTOCOL_MIN },
): number | null {
  const high = Math.min(peer.protocol, own.max);
  const low = Math.max(peer.protocolMin ?? peer.protocol, own.min);
  return high >= low ? high : null;
}
