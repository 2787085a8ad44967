import type { BatchItem } from "drizzle-orm/batch";
import { canonicalJson } from "../shared/canonical-json.ts";
import type { Topology } from "../shared/topology/schema.ts";
import type { Db } from "./db/client.ts";
import { commitTopology, readTopology, requireCluster } from "./db/topology-store.ts";
import { AppError, ErrorCode } from "./errors.ts";
import { changedHosts, checkCompiles, plansFor } from "./plans.ts";
import { startRollout } from "./rollout/start.ts";
import type { NodePlan } from "../shared/bundle.ts";

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
  /** compute and describe the change, commit nothing */
  dryRun?: boolean;
}

/** How one host's bundle would change: the kinds that differ, and its apiserver URL before and after. */
export interface HostChange {
  host: string;
  kinds: string[];
  apiserver: { before: string | null; after: string | null };
}

/**
 * Applies one topology change: checks the precondition, compiles the new topology (a 422 names
 * the fields if it cannot), finds the hosts whose bundle changes, and commits a new version.
 * An identical topology makes no version.
 */
export async function changeTopology(
  d: Db,
  ch: Change,
): Promise<{ version: number; changed: string[]; preview?: HostChange[] }> {
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
    if (ch.dryRun) return { version: cluster.version, changed: [], preview: [] };
    if (ch.extra) await d.batch(ch.extra(cluster.version) as [BatchItem<"sqlite">]);
    return { version: cluster.version, changed: [] };
  }
  const before = plansFor(cluster, cluster.version, current.topology);
  const changed = changedHosts(before, after ?? before);
  if (ch.dryRun)
    return {
      version: cluster.version,
      changed,
      preview: preview(before, after ?? before, changed),
    };
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

function preview(
  before: Map<string, NodePlan>,
  after: Map<string, NodePlan>,
  hosts: string[],
): HostChange[] {
  return hosts.map((host) => {
    const a = before.get(host);
    const b = after.get(host);
    const sha = (p: NodePlan | undefined) =>
      new Map((p?.bundle.artifacts ?? []).map((x) => [x.kind, x.sha256]));
    const [sa, sb] = [sha(a), sha(b)];
    const kinds = [...new Set([...sa.keys(), ...sb.keys()])]
      .filter((k) => sa.get(k) !== sb.get(k))
      .sort();
    return {
      host,
      kinds,
      apiserver: {
        before: a?.endpoints.apiserver.url ?? null,
        after: b?.endpoints.apiserver.url ?? null,
      },
    };
  });
}
