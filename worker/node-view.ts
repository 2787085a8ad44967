import type { NodeState, NodeStatus } from "../shared/api-schemas.ts";
import type { Db } from "./db/client.ts";
import { nodesOf } from "./db/nodes.ts";
import { desiredState } from "./desired-state.ts";
import { drainsOf, lbReportsOf } from "./db/drains.ts";
import { drainView } from "../shared/drain.ts";
import { nodeTls, routesOf, type NodeRoute } from "../shared/tls.ts";
import { observedCerts } from "./db/certs.ts";
import { livePolicyOf, readTopology, requireCluster } from "./db/topology-store.ts";
import { addressGaps, type AddressGap } from "../shared/bundle.ts";

const NO_ROUTE: NodeRoute = { host: "", url: "", servedBy: [] };

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** GET nodes: each topology host with what it should have and what its agent last reported. */
export async function nodeStatuses(d: Db, cluster: string): Promise<NodeStatus[]> {
  const { desired, cluster: row } = await desiredState(d, cluster);
  const certs = await observedCerts(d, cluster);
  const routes = routesOf(desired);
  const warningDays = livePolicyOf(row).certWarningDays;
  const rows = await nodesOf(d, cluster);
  const byHost = new Map(rows.map((r) => [r.host, r]));
  const reports = lbReportsOf(rows, desired);
  const now = Date.now();
  const drainOf = new Map(
    (await drainsOf(d, cluster)).map((rec) => {
      const v = drainView(rec, reports, now);
      return [rec.host, { state: v.state as "draining" | "drained", since: iso(rec.since) ?? "" }];
    }),
  );
  return [...desired.entries()].map(([host, plan]) => {
    const r = byHost.get(host);
    return {
      host,
      groups: plan.endpoints.groups,
      desired: { version: plan.bundle.version, hash: plan.bundle.hash },
      applied:
        r?.appliedVersion != null && r.appliedHash != null
          ? { version: r.appliedVersion, hash: r.appliedHash }
          : null,
      status: nodeStatus(r, plan.bundle.hash),
      registered: r !== undefined,
      connected: r?.connected ?? false,
      lastSeen: iso(r?.lastSeen ?? null),
      lastError: r?.lastError ?? null,
      agentVersion: r?.agentVersion ?? null,
      // What the node itself sees: its own path to the apiserver, as it last probed it.
      apiserver: {
        url: plan.endpoints.apiserver.url,
        ok: r?.apiserverOk ?? null,
        ms: r?.apiserverMs ?? null,
      },
      drift: r?.drift ?? [],
      lastDrift: r?.lastDrift ?? null,
      // Only lb hosts running keepalived (protocol 3 agents) say; null elsewhere.
      vipHeld: r?.vipHeld ?? null,
      ejected: r?.ejected ?? [],
      drain: drainOf.get(host) ?? null,
      tls: nodeTls(routes.get(host) ?? NO_ROUTE, certs, now, warningDays),
    };
  });
}

/** Hosts of the newest version that have no plan until an agent's join gives an address. */
export async function pendingHosts(d: Db, cluster: string): Promise<AddressGap[]> {
  const row = await requireCluster(d, cluster);
  const { topology } = await readTopology(d, cluster, row.version);
  return topology === null ? [] : addressGaps(topology);
}

export type { NodeState } from "../shared/api-schemas.ts";

/**
 * The one answer to "where does this node stand against `desired`" (GET nodes, the cluster
 * summary, a rollout's waves, the metrics): applied: runs it; failed: it failed to apply that
 * very bundle; pending: registered, behind it; registered: no apply reported yet;
 * unregistered: no agent.
 */
export function nodeStatus(
  r: { appliedHash: string | null; failedHash: string | null } | undefined,
  desired: string | undefined,
): NodeState {
  if (!r) return "unregistered";
  if (desired !== undefined && r.appliedHash === desired) return "applied";
  if (desired !== undefined && r.failedHash === desired) return "failed";
  return r.appliedHash === null ? "registered" : "pending";
}
