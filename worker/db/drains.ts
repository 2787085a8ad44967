import { and, eq } from "drizzle-orm";
import { auditEntry } from "./audit.ts";
import type { DrainRecord, NodeLbReport } from "../../shared/drain.ts";
import type { NodePlan } from "../../shared/bundle.ts";
import type { Db } from "./client.ts";
import { nodesOf } from "./nodes.ts";
import { drains, type LbReport } from "./schema.ts";
import { kindsWith } from "../../shared/kinds/registry.ts";

/** The kinds that are an apiserver load balancer (nginx, HAProxy). */
const BALANCERS = kindsWith("balancer");

/** The cluster's drained masters, oldest first. */
export async function drainsOf(d: Db, cluster: string): Promise<DrainRecord[]> {
  const rows = await d.select().from(drains).where(eq(drains.cluster, cluster)).all();
  return rows
    .map((r) => ({ host: r.host, since: r.since, graceSeconds: r.graceSeconds }))
    .sort((a, b) => a.since - b.since || (a.host < b.host ? -1 : 1));
}

/** Starts a drain (or keeps the one under way), audited `host.drain`, in one batch. */
export async function startDrain(
  d: Db,
  cluster: string,
  rec: DrainRecord,
  actor: string,
): Promise<void> {
  await d.batch([
    d
      .insert(drains)
      .values({ cluster, ...rec, actor })
      .onConflictDoNothing(),
    auditEntry(d, {
      cluster,
      at: rec.since,
      actor,
      action: "host.drain",
      detail: { host: rec.host, graceSeconds: rec.graceSeconds },
    }),
  ]);
}

/** Ends a drain, audited `host.undrain`; false when there was none. */
export async function endDrain(
  d: Db,
  cluster: string,
  host: string,
  actor: string,
): Promise<boolean> {
  const [gone] = await d.batch([
    d
      .delete(drains)
      .where(and(eq(drains.cluster, cluster), eq(drains.host, host)))
      .returning(),
    auditEntry(d, {
      cluster,
      at: Date.now(),
      actor,
      action: "host.undrain",
      detail: { host },
    }),
  ]);
  return gone.length > 0;
}

/** What each node last said about its LB, for `drainView`. */
export async function lbReports(
  d: Db,
  cluster: string,
  plans: Map<string, NodePlan>,
): Promise<NodeLbReport[]> {
  return lbReportsOf(await nodesOf(d, cluster), plans);
}

/** The same, from node rows already read. */
export function lbReportsOf(
  rows: Array<{ host: string; connected: boolean; lb: LbReport | null }>,
  plans: Map<string, NodePlan>,
): NodeLbReport[] {
  return rows.map((r) => {
    const lb = r.lb ?? { drained: [], connections: {} };
    const kinds = plans.get(r.host)?.bundle.artifacts.map((a) => a.kind) ?? [];
    return {
      connected: r.connected,
      hasLb: kinds.some((k) => BALANCERS.includes(k)),
      drained: lb.drained,
      connections: lb.connections,
    };
  });
}
