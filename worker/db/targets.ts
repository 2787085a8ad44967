import { and, eq, inArray } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { Db } from "./client.ts";
import { nodeTargets } from "./schema.ts";

/** Which version each host a rollout reached runs (the others run the stable version). */
export async function targetsOf(d: Db, cluster: string): Promise<Map<string, number>> {
  const rows = await d.select().from(nodeTargets).where(eq(nodeTargets.cluster, cluster)).all();
  return new Map(rows.map((r) => [r.host, r.version]));
}

/** Points hosts at a version (D1 caps bound parameters, so rows go in chunks). */
export function targetOps(
  d: Db,
  cluster: string,
  hosts: string[],
  version: number,
): BatchItem<"sqlite">[] {
  const ops: BatchItem<"sqlite">[] = [];
  for (let i = 0; i < hosts.length; i += 30) {
    ops.push(
      d
        .insert(nodeTargets)
        .values(hosts.slice(i, i + 30).map((host) => ({ cluster, host, version })))
        .onConflictDoUpdate({ target: [nodeTargets.cluster, nodeTargets.host], set: { version } }),
    );
  }
  return ops;
}

/** Puts the hosts pointed at `version` (every host, without it) back on the stable version. */
export function clearTargets(d: Db, cluster: string, version?: number) {
  return d
    .delete(nodeTargets)
    .where(
      version === undefined
        ? eq(nodeTargets.cluster, cluster)
        : and(eq(nodeTargets.cluster, cluster), eq(nodeTargets.version, version)),
    );
}

/** Forgets the targets of hosts that left the topology (a chunk of at most 80). */
export function forgetTargets(d: Db, cluster: string, hosts: string[]) {
  return d
    .delete(nodeTargets)
    .where(and(eq(nodeTargets.cluster, cluster), inArray(nodeTargets.host, hosts)));
}
