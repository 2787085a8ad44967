/**
 * Draining a master (planned maintenance, or the safe way to replace one): every node's LB and
 * the external LB stop sending it new connections, its existing ones are closed, and it is
 * `drained` once no connected node reports a connection to it or the grace has passed. Pure:
 * the record and the nodes' reports in, the state out.
 */
import { kindModule } from "./kinds/registry.ts";

export const DRAIN_STATES = ["none", "draining", "drained"] as const;
export type DrainState = (typeof DRAIN_STATES)[number];

export const DEFAULT_GRACE_SECONDS = 30;
export const MAX_GRACE_SECONDS = 3600;

export interface DrainRecord {
  host: string;
  /** ms since the epoch */
  since: number;
  graceSeconds: number;
}

/** What one node last said about its LB: the drains it applied and its connections per master. */
export interface NodeLbReport {
  connected: boolean;
  /** this node runs an LB in front of the masters (nginx, HAProxy) */
  hasLb: boolean;
  drained: readonly string[];
  connections: Readonly<Record<string, number>>;
}

export interface DrainView {
  state: DrainState;
  /** connected nodes with an LB that have not yet applied the drain */
  routing: number;
  /** established connections to the master that nodes report */
  connections: number;
}

/** Where a drain stands now. */
export function drainView(
  rec: DrainRecord | null,
  nodes: readonly NodeLbReport[],
  now: number,
): DrainView {
  if (rec === null) return { state: "none", routing: 0, connections: 0 };
  const live = nodes.filter((n) => n.connected && n.hasLb);
  const routing = live.filter((n) => !n.drained.includes(rec.host)).length;
  const connections = live.reduce((sum, n) => sum + (n.connections[rec.host] ?? 0), 0);
  const graceOver = now >= rec.since + rec.graceSeconds * 1000;
  return {
    state: graceOver || (routing === 0 && connections === 0) ? "drained" : "draining",
    routing,
    connections,
  };
}

/**
 * Why a master cannot be drained, or null: only kube-master hosts are drained, and never the
 * last one that is not drained already (the LBs would have nowhere to go).
 */
export function drainRefusal(
  host: string,
  masters: readonly string[],
  drained: readonly string[],
): { code: "not-a-master" | "last-master"; detail: string } | null {
  if (!masters.includes(host))
    return {
      code: "not-a-master",
      detail: `host '${host}' is not a kube-master: only masters are drained`,
    };
  const left = masters.filter((m) => m !== host && !drained.includes(m));
  if (left.length === 0)
    return {
      code: "last-master",
      detail: `host '${host}' is the last master not drained: nodes would have no apiserver left`,
    };
  return null;
}

/**
 * The local LB's backends with the drained and ejected ones marked `down` (nginx takes both;
 * HAProxy checks readiness itself, so only drains). Never every backend: ejections give way
 * first, then drains, and the spec comes back unchanged.
 */
export function withDown<S extends { backends: Array<{ name: string }>; down?: string[] }>(
  kind: string,
  spec: S,
  drained: readonly string[],
  ejected: readonly string[],
): S {
  const balancer = kindModule(kind)?.balancer;
  if (balancer === undefined) return spec;
  const names = new Set(spec.backends.map((b) => b.name));
  const pick = (xs: readonly string[]) =>
    [...new Set([...(spec.down ?? []), ...xs])].filter((n) => names.has(n)).sort();
  // Only an LB without checks of its own takes the agent's ejections.
  const taken = balancer === "agent" ? ejected : [];
  for (const down of [pick([...drained, ...taken]), pick(drained)]) {
    if (down.length >= names.size) continue;
    if (down.join() === [...(spec.down ?? [])].sort().join()) return spec;
    return { ...spec, down };
  }
  return spec;
}
