import { compressLong, compressText, decompressText } from "./compress.ts";
import { auditEntry } from "./audit.ts";
import { and, eq } from "drizzle-orm";
import * as z from "zod/mini";
import { LivePolicySchema } from "../../shared/api-schemas.ts";
import { DEFAULT_LIVE_POLICY, type LivePolicy } from "../../shared/live.ts";
import { RolloutPolicySchema, type RolloutPolicy } from "../../shared/rollout.ts";
import type { BatchItem } from "drizzle-orm/batch";
import { canonicalJson } from "../../shared/canonical-json.ts";
import type { Topology } from "../../shared/topology/schema.ts";
import { parseTopology } from "../../shared/topology/validate.ts";
import { AppError, ErrorCode, invalid, notFound } from "../errors.ts";
import { constraintFailed, type Db } from "./client.ts";
import { clusters, topologyVersions } from "./schema.ts";

export interface StoredTopology {
  version: number;
  topology: Topology | null;
  /** hosts that joined with a token and were never declared */
  registered: string[];
}

export async function requireCluster(d: Db, name: string) {
  const row = await d.select().from(clusters).where(eq(clusters.name, name)).get();
  if (!row) throw notFound(`cluster '${name}'`);
  return row;
}

/** A cluster row's rollout policy, defaults filled in. */
export function rolloutPolicyOf(row: { rolloutPolicy: unknown }): RolloutPolicy {
  return RolloutPolicySchema.parse(row.rolloutPolicy);
}

/** A cluster row's live policy, defaults filled in (an unreadable one reads as the defaults). */
export function livePolicyOf(row: { livePolicy: unknown }): LivePolicy {
  const parsed = z.safeParse(LivePolicySchema, row.livePolicy ?? {});
  return parsed.success ? parsed.data : DEFAULT_LIVE_POLICY;
}

/** Stores a cluster's rollout or live policy, with its audit entry, in one batch. */
export async function savePolicy(
  d: Db,
  cluster: string,
  actor: string,
  which: "rolloutPolicy" | "livePolicy",
  policy: object,
): Promise<void> {
  await requireCluster(d, cluster);
  await d.batch([
    d
      .update(clusters)
      .set({ [which]: policy })
      .where(eq(clusters.name, cluster)),
    auditEntry(d, {
      cluster,
      at: Date.now(),
      actor,
      action: which === "rolloutPolicy" ? "rollout-policy.put" : "live-policy.put",
      detail: policy,
    }),
  ]);
}

/** A topology version as stored; version 0 means the cluster has none yet. */
export async function readTopology(
  d: Db,
  cluster: string,
  version: number,
): Promise<StoredTopology> {
  if (version === 0) return { version: 0, topology: null, registered: [] };
  const at = and(eq(topologyVersions.cluster, cluster), eq(topologyVersions.version, version));
  // The topology text (hundreds of KB at 5,000 hosts) is read only when this isolate has not
  // parsed that version yet: most calls need only the small columns.
  const head = await d
    .select({ createdAt: topologyVersions.createdAt, registered: topologyVersions.registered })
    .from(topologyVersions)
    .where(at)
    .get();
  if (!head) throw notFound(`topology version ${version} of cluster '${cluster}'`);
  const key = `${cluster}@${version}@${head.createdAt}`;
  let topology = parsedCache.get(key);
  if (!topology) {
    const row = await d
      .select({ topology: topologyVersions.topology })
      .from(topologyVersions)
      .where(at)
      .get();
    if (!row) throw notFound(`topology version ${version} of cluster '${cluster}'`);
    const parsed = parseTopology(JSON.parse(await decompressText(row.topology)));
    if (!parsed.ok) throw new Error(`stored topology ${cluster}@${version} no longer validates`);
    topology = parsed.value;
    if (parsedCache.size >= 32) parsedCache.delete(parsedCache.keys().next().value ?? "");
    parsedCache.set(key, topology);
  }
  const registered = JSON.parse(await decompressText(head.registered)) as string[];
  return { version, topology, registered };
}

/** Stored versions never change: an isolate validates each one once. */
const parsedCache = new Map<string, Topology>();

/**
 * What will be stored must load again: the JSON text is parsed and validated as a later read
 * would, so no committed version can become unreadable.
 */
function storable(topology: Topology): string {
  const text = JSON.stringify(topology);
  const again = parseTopology(JSON.parse(text));
  if (!again.ok) throw invalid(again.error, "the topology would not load again once stored");
  if (canonicalJson(again.value) !== canonicalJson(topology))
    throw invalid([], "the topology would not read back as written once stored");
  return text;
}

export async function currentTopology(d: Db, cluster: string): Promise<StoredTopology> {
  const c = await requireCluster(d, cluster);
  return readTopology(d, cluster, c.version);
}

export interface Commit {
  cluster: string;
  from: number;
  topology: Topology;
  registered: string[];
  actor: string;
  action: string;
  changed: string[];
  detail?: Record<string, unknown>;
}

/**
 * Writes a new topology version in one batch. The (cluster, version) key makes two writers
 * that started from the same version collide: exactly one wins, the other gets 412.
 */
export async function commitTopology(d: Db, c: Commit, extra: BatchItem<"sqlite">[] = []) {
  const version = c.from + 1;
  const now = Date.now();
  try {
    await d.batch([
      d.insert(topologyVersions).values({
        cluster: c.cluster,
        version,
        topology: await compressText(storable(c.topology)),
        actor: c.actor,
        createdAt: now,
        changed: c.changed,
        // Registered hosts grow with every join: a long list is stored compressed too.
        registered: await compressLong(JSON.stringify(c.registered)),
      }),
      d
        .update(clusters)
        .set({ version })
        .where(and(eq(clusters.name, c.cluster), eq(clusters.version, c.from))),
      auditEntry(d, {
        cluster: c.cluster,
        at: now,
        actor: c.actor,
        action: c.action,
        detail: { version, changed: c.changed, ...c.detail },
      }),
      ...extra,
    ]);
  } catch (e) {
    if (constraintFailed(e, "UNIQUE")) {
      throw new AppError(
        ErrorCode.versionRace,
        `topology changed concurrently: version ${version} exists; read it and try again`,
      );
    }
    throw e;
  }
  return version;
}
