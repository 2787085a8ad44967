import type { BatchItem } from "drizzle-orm/batch";
import { addressGaps, type AddressGap, type NodePlan } from "../shared/bundle.ts";
import { canonicalJson } from "../shared/canonical-json.ts";
import { own } from "../shared/own.ts";
import { removedHosts, type Membership } from "../shared/topology/membership.ts";
import type { Db } from "./db/client.ts";
import { deleteNodes, forgetFailures } from "./db/nodes.ts";
import { setStableVersion } from "./db/clusters.ts";
import { forgetTargets } from "./db/targets.ts";
import {
  commitTopology,
  readTopology,
  requireCluster,
  type StoredTopology,
} from "./db/topology-store.ts";
import { checkCertificates, forcedAudit, type CertificateCheck } from "./certificate-check.ts";
import { desiredState } from "./desired-state.ts";
import { AppError, ErrorCode } from "./errors.ts";
import { changedHosts, checkCompiles, plansFor } from "./plans.ts";
import { activeRollout } from "./db/rollouts.ts";
import { startRollout } from "./rollout/start.ts";
import { prune, retention } from "./db/retention.ts";

export interface Change<M extends Membership = Membership> {
  cluster: string;
  actor: string;
  action: string;
  /** the version the caller read (If-Match); undefined means "whatever is current" */
  expected?: number | "*";
  /** makes the next membership from the current one; may throw to refuse */
  next: (current: StoredTopology) => M | Promise<M>;
  detail?: Record<string, unknown>;
  /** more statements for the same batch (called after `next`, with the version it writes) */
  extra?: (version: number, next: M) => BatchItem<"sqlite">[];
  /** compute and describe the change, commit nothing */
  dryRun?: boolean;
  /** apply even where the masters' observed certificates do not cover a node's new name (audited) */
  force?: boolean;
  /**
   * A registration: it adds or claims one host and starts that host's config, and nothing
   * else. No rollout starts, none is superseded or resumed, no failure is forgiven.
   */
  joiningHost?: string;
}

/** How one host's bundle would change: the kinds that differ, and its apiserver URL before and after. */
export interface HostChange {
  host: string;
  kinds: string[];
  /** kinds this host stops receiving: their files are removed and their retire commands run */
  retired: string[];
  apiserver: { before: string | null; after: string | null };
}

export interface ChangeResult {
  version: number;
  /** hosts that stay and whose bundle changes */
  changed: string[];
  /** hosts that leave the cluster: their credentials are deleted with the version */
  removed: string[];
  /** an unchanged topology that the fleet was not on: its rollout starts again */
  retried?: boolean;
  preview?: HostChange[];
  /** the certificate check (not for registrations) */
  tls?: CertificateCheck;
  /** hosts with no plan until an agent's join gives a master or etcd member an address */
  pending?: AddressGap[];
}

/** Without If-Match a caller means "on top of whatever is current": a lost race is retried. */
const ATTEMPTS = 25;

/**
 * Applies one topology change: checks the precondition, compiles the new topology (a 422 names
 * the fields if it cannot), finds the hosts whose bundle changes or that leave, and commits a
 * new version in one batch with the removed hosts' credentials deleted. An identical topology
 * makes no version; if the fleet is not on it (a reverted or aborted rollout), it is rolled out
 * again. Another writer committing first makes this retry, unless the caller named a version.
 */
export async function changeTopology(d: Db, ch: Change): Promise<ChangeResult> {
  return (await decideAndChange(d, ch)).result;
}

/**
 * changeTopology, also handing back the membership `next` decided for the version it wrote
 * (a registration reads its claim from it).
 */
export async function decideAndChange<M extends Membership>(
  d: Db,
  ch: Change<M>,
): Promise<{ result: ChangeResult; decision: M }> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await attemptChange(d, ch);
    } catch (e) {
      const lost = e instanceof AppError && e.code === ErrorCode.versionRace;
      if (!lost || ch.expected !== undefined || attempt >= ATTEMPTS) throw e;
      await new Promise((r) => setTimeout(r, Math.random() * 10 * attempt));
    }
  }
}

async function attemptChange<M extends Membership>(
  d: Db,
  ch: Change<M>,
): Promise<{ result: ChangeResult; decision: M }> {
  const cluster = await requireCluster(d, ch.cluster);
  if (ch.expected !== undefined && ch.expected !== "*" && ch.expected !== cluster.version) {
    throw new AppError(
      ErrorCode.preconditionFailed,
      `If-Match names version ${ch.expected}, but the topology is at version ${cluster.version}`,
    );
  }
  const current = await readTopology(d, ch.cluster, cluster.version);
  const next = await ch.next(current);
  // A join of a declared host hands back the very objects it was given: no need to serialize
  // 5,000 hosts twice to see that nothing changed.
  const untouched = next.topology === current.topology && next.registered === current.registered;
  const same =
    current.topology !== null &&
    (untouched ||
      (canonicalJson(current.topology) === canonicalJson(next.topology) &&
        canonicalJson(current.registered) === canonicalJson(next.registered)));
  if (same) return { result: await unchanged(d, ch, cluster, next), decision: next };
  const compiled = checkCompiles(next.topology, cluster.version + 1);
  const after = compiled.plans;
  const before = plansFor(cluster, cluster.version, current.topology);
  const removed = removedHosts(current.topology, next.topology);
  const all = changedHosts(before, after);
  const gone = new Set(removed);
  const changed = all.filter((h) => !gone.has(h));
  const tls =
    ch.joiningHost === undefined
      ? await checkCertificates(d, ch.cluster, before, after, ch.force === true)
      : undefined;
  const pending = ch.joiningHost === undefined ? addressGaps(next.topology) : [];
  const gaps = pending.length > 0 ? { pending } : {};
  if (ch.dryRun)
    return {
      result: {
        version: cluster.version,
        changed,
        removed,
        preview: preview(before, after, changed),
        ...(tls ? { tls } : {}),
        ...gaps,
      },
      decision: next,
    };
  const forced = tls?.forced
    ? [forcedAudit(d, ch.cluster, ch.actor, cluster.version + 1, tls.uncovered)]
    : [];
  const version = await commitTopology(
    d,
    {
      cluster: ch.cluster,
      from: cluster.version,
      topology: next.topology,
      registered: next.registered,
      actor: ch.actor,
      action: ch.action,
      changed: all,
      detail: { ...ch.detail, ...(removed.length > 0 ? { removed } : {}) },
    },
    [
      ...(ch.extra?.(cluster.version + 1, next) ?? []),
      ...forget(d, ch.cluster, removed),
      ...forced,
    ],
  );
  // The version just written is what the rollout (and GET nodes) read next: compiled once.
  compiled.remember(cluster);
  // A join that gives a master or etcd member its first address completes the inventory the
  // operator declared: the hosts that now point at it get it in waves, like any change.
  const filled =
    ch.joiningHost !== undefined &&
    current.topology !== null &&
    own(current.topology.hosts, ch.joiningHost)?.ip === undefined &&
    addressGaps(current.topology).some((g) => g.host === ch.joiningHost && g.reason === "address");
  if (ch.joiningHost !== undefined && !filled)
    await joined(d, ch.cluster, ch.joiningHost, cluster.stableVersion === cluster.version, all);
  else await startRollout(d, ch.cluster, ch.actor);
  // History is bounded: what the retention no longer keeps goes with each new version.
  await prune(d, ch.cluster, retention());
  // A real change says what the certificates did not stop: only a forced one.
  return {
    result: { version, changed, removed, ...(tls?.forced ? { tls } : {}), ...gaps },
    decision: next,
  };
}

/**
 * The same topology again: nothing to commit, but a fleet that is not on it (its rollout was
 * reverted or aborted) gets a new rollout of it, with earlier failures forgiven.
 */
async function unchanged<M extends Membership>(
  d: Db,
  ch: Change<M>,
  cluster: Awaited<ReturnType<typeof requireCluster>>,
  next: M,
): Promise<ChangeResult> {
  const base = { version: cluster.version, changed: [], removed: [] };
  const extra = ch.extra?.(cluster.version, next) ?? [];
  const behind = cluster.stableVersion !== cluster.version;
  // A registration of a host the topology already had changes nobody's rollout.
  if (!behind || ch.joiningHost !== undefined || (await activeRollout(d, ch.cluster))) {
    if (ch.dryRun) return { ...base, preview: [] };
    if (extra.length > 0) await d.batch(extra as [BatchItem<"sqlite">]);
    return base;
  }
  const state = await desiredState(d, ch.cluster);
  const lagging = [...state.latest.entries()]
    .filter(([h, p]) => state.desired.get(h)?.bundle.hash !== p.bundle.hash)
    .map(([h]) => h)
    .sort();
  // Rolling it out again moves nodes from what they run to it: checked like any change.
  const tls = await checkCertificates(
    d,
    ch.cluster,
    state.desired,
    state.latest,
    ch.force === true,
  );
  if (ch.dryRun)
    return {
      ...base,
      changed: lagging,
      retried: true,
      preview: preview(state.desired, state.latest, lagging),
      tls,
    };
  await d.batch([
    forgetFailures(d, ch.cluster),
    ...extra,
    ...(tls.forced ? [forcedAudit(d, ch.cluster, ch.actor, cluster.version, tls.uncovered)] : []),
  ]);
  await startRollout(d, ch.cluster, ch.actor);
  return { ...base, changed: lagging, retried: true, ...(tls.forced ? { tls } : {}) };
}

/**
 * After a registration's version: the joining host gets the newest config at once (a host
 * new since the stable version has nothing to protect). When the fleet was at rest on the
 * previous version and nobody else's bundle changed, the new version is stable at once;
 * otherwise the others get it with the operator's next rollout, and an active (even paused)
 * rollout is left exactly as it was.
 */
async function joined(
  d: Db,
  cluster: string,
  host: string,
  atRest: boolean,
  changed: string[],
): Promise<void> {
  if (!atRest || changed.some((h) => h !== host) || (await activeRollout(d, cluster))) return;
  await setStableVersion(d, cluster, "latest");
}

/** Deletes removed hosts' credentials and rollout targets (D1 caps bound parameters: chunks). */
function forget(d: Db, cluster: string, hosts: string[]): BatchItem<"sqlite">[] {
  const ops: BatchItem<"sqlite">[] = [];
  for (let i = 0; i < hosts.length; i += 80) {
    const chunk = hosts.slice(i, i + 80);
    ops.push(deleteNodes(d, cluster, chunk));
    ops.push(forgetTargets(d, cluster, chunk));
  }
  return ops;
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
      retired: kinds.filter((k) => sa.has(k) && !sb.has(k)),
      apiserver: {
        before: a?.endpoints.apiserver.url ?? null,
        after: b?.endpoints.apiserver.url ?? null,
      },
    };
  });
}
