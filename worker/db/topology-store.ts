import { and, desc, eq } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { Topology } from "../../shared/topology/schema.ts";
import { parseTopology } from "../../shared/topology/validate.ts";
import { AppError, ErrorCode, notFound } from "../errors.ts";
import type { Db } from "./client.ts";
import { audit, clusters, topologyVersions } from "./schema.ts";

export interface StoredTopology {
  version: number;
  topology: Topology | null;
}

export async function requireCluster(d: Db, name: string) {
  const row = await d.select().from(clusters).where(eq(clusters.name, name)).get();
  if (!row) throw notFound(`cluster '${name}'`);
  return row;
}

/** A topology version as stored; version 0 means the cluster has none yet. */
export async function readTopology(
  d: Db,
  cluster: string,
  version: number,
): Promise<StoredTopology> {
  if (version === 0) return { version: 0, topology: null };
  const row = await d
    .select()
    .from(topologyVersions)
    .where(and(eq(topologyVersions.cluster, cluster), eq(topologyVersions.version, version)))
    .get();
  if (!row) throw notFound(`topology version ${version} of cluster '${cluster}'`);
  const key = `${cluster}@${version}@${row.createdAt}`;
  let topology = parsedCache.get(key);
  if (!topology) {
    const parsed = parseTopology(JSON.parse(row.topology));
    if (!parsed.ok) throw new Error(`stored topology ${cluster}@${version} no longer validates`);
    topology = parsed.value;
    if (parsedCache.size >= 32) parsedCache.delete(parsedCache.keys().next().value ?? "");
    parsedCache.set(key, topology);
  }
  return { version, topology };
}

/** Stored versions never change: an isolate validates each one once. */
const parsedCache = new Map<string, Topology>();

export async function currentTopology(d: Db, cluster: string): Promise<StoredTopology> {
  const c = await requireCluster(d, cluster);
  return readTopology(d, cluster, c.version);
}

export async function listVersions(d: Db, cluster: string) {
  return d
    .select({
      version: topologyVersions.version,
      actor: topologyVersions.actor,
      createdAt: topologyVersions.createdAt,
      changed: topologyVersions.changed,
    })
    .from(topologyVersions)
    .where(eq(topologyVersions.cluster, cluster))
    .orderBy(desc(topologyVersions.version))
    .all();
}

export interface Commit {
  cluster: string;
  from: number;
  topology: Topology;
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
        topology: JSON.stringify(c.topology),
        actor: c.actor,
        createdAt: now,
        changed: JSON.stringify(c.changed),
      }),
      d
        .update(clusters)
        .set({ version })
        .where(and(eq(clusters.name, c.cluster), eq(clusters.version, c.from))),
      d.insert(audit).values({
        cluster: c.cluster,
        at: now,
        actor: c.actor,
        action: c.action,
        detail: JSON.stringify({ version, changed: c.changed, ...c.detail }),
      }),
      ...extra,
    ]);
  } catch (e) {
    if (String(e).includes("UNIQUE constraint failed")) {
      throw new AppError(
        ErrorCode.preconditionFailed,
        412,
        `topology changed concurrently: version ${version} exists; read it and try again`,
      );
    }
    throw e;
  }
  return version;
}
