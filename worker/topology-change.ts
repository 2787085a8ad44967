import type { BatchItem } from "drizzle-orm/batch";
import { canonicalJson } from "../shared/canonical-json.ts";
import type { Topology } from "../shared/topology/schema.ts";
import type { Db } from "./db/client.ts";
import { commitTopology, readTopology, requireCluster } from "./db/topology-store.ts";
import { AppError, ErrorCode } from "./errors.ts";
import { changedHosts, checkCompiles, plansFor } from "./plans.ts";
import { startRollout } from "./rollout/start.ts";

export interface Change {
  cluster: string;
  actor: string;
  action: string;
  /** the version the caller read (If-Match); undefined means "whatever is current" */
  expected?: number | "*";
  /** makes the next topology from the current one (null when the cluster has none) */
  next: (current: Topology | null) => Topology;
  detail?: Record<string, unknown>;
  extra?: (version: number) => BatchItem<"sqlite">[];
}

/**
 * Applies one topology change: checks the precondition, compiles the new topology (a 422 names
 * the fields if it cannot), finds the hosts whose bundle changes, and commits a new version.
 * An identical topology makes no version.
 */
export async function changeTopology(
  d: Db,
  ch: Change,
): Promise<{ version: number; changed: string[] }> {
  const cluster = await requireCluster(d, ch.cluster);
  if (ch.expected !== undefined && ch.expected !== "*" && ch.expected !== cluster.version) {
    throw new AppError(
      ErrorCode.preconditionFailed,
      412,
      `If-Match names version ${ch.expected}, but the topology is at version ${cluster.version}`,
    );
  }
  const current = await readTopology(d, ch.cluster, cluster.version);
  const next = ch.next(current.topology);
  const same = next === current.topology;
  const after = same ? null : checkCompiles(next);
  if (same || (current.topology && canonicalJson(current.topology) === canonicalJson(next))) {
    if (ch.extra) await d.batch(ch.extra(cluster.version) as [BatchItem<"sqlite">]);
    return { version: cluster.version, changed: [] };
  }
  const before = plansFor(cluster, cluster.version, current.topology);
  const changed = changedHosts(before, after ?? before);
  const version = await commitTopology(
    d,
    {
      cluster: ch.cluster,
      from: cluster.version,
      topology: next,
      actor: ch.actor,
      action: ch.action,
      changed,
      detail: ch.detail,
    },
    ch.extra?.(cluster.version + 1) ?? [],
  );
  await startRollout(d, ch.cluster, ch.actor);
  return { version, changed };
}
