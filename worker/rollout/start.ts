import { and, eq, inArray } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { GROUPS } from "../../shared/topology/schema.ts";
import { ACTIVE_STATES, planRollout } from "../../shared/rollout.ts";
import type { Db } from "../db/client.ts";
import { clusters, nodes, nodeTargets, rollouts } from "../db/schema.ts";
import { desiredState } from "../desired-state.ts";
import { rolloutPolicyOf } from "../db/topology-store.ts";

/**
 * Turns the newest topology version into a rollout. Hosts whose desired bundle changes and
 * that already run a config go wave by wave; hosts with nothing applied yet get it at once.
 * A rollout still active is superseded. The first version of a cluster has nothing to protect.
 */
export async function startRollout(d: Db, cluster: string, actor: string): Promise<void> {
  const state = await desiredState(d, cluster);
  const c = state.cluster;
  const now = Date.now();
  if (c.stableVersion === 0) {
    await d.update(clusters).set({ stableVersion: c.version }).where(eq(clusters.name, cluster));
    return;
  }
  const rows = await d
    .select({ host: nodes.host, appliedHash: nodes.appliedHash })
    .from(nodes)
    .where(eq(nodes.cluster, cluster))
    .all();
  const inService = new Set(rows.filter((r) => r.appliedHash !== null).map((r) => r.host));
  const changed = [...state.latest.entries()]
    .filter(([h, p]) => state.desired.get(h)?.bundle.hash !== p.bundle.hash)
    .map(([h]) => h);
  const role = (h: string) => state.latest.get(h)?.endpoints.groups ?? [];
  const staged = changed.filter((h) => inService.has(h));
  const immediate = changed.filter((h) => !inService.has(h));
  const policy = rolloutPolicyOf(c);
  const waves = planRollout(
    staged.map((h) => ({
      host: h,
      master: role(h).includes(GROUPS.master),
      lb: role(h).includes(GROUPS.lb),
    })),
    policy,
  );

  const ops: BatchItem<"sqlite">[] = [
    d
      .update(rollouts)
      .set({ state: "superseded", reason: `superseded by version ${c.version}`, updatedAt: now })
      .where(and(eq(rollouts.cluster, cluster), inArray(rollouts.state, [...ACTIVE_STATES]))),
  ];
  const done = waves.length === 0;
  ops.push(
    d.insert(rollouts).values({
      cluster,
      fromVersion: c.stableVersion,
      toVersion: c.version,
      state: done ? "completed" : "in_progress",
      wave: 0,
      waves,
      policy,
      actor,
      waveStartedAt: now,
      createdAt: now,
      updatedAt: now,
    }),
  );
  if (done) {
    ops.push(
      d.update(clusters).set({ stableVersion: c.version }).where(eq(clusters.name, cluster)),
    );
    ops.push(d.delete(nodeTargets).where(eq(nodeTargets.cluster, cluster)));
  } else {
    ops.push(...targetOps(d, cluster, [...immediate, ...(waves[0] ?? [])], c.version));
  }
  await d.batch(ops as [BatchItem<"sqlite">, ...BatchItem<"sqlite">[]]);
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
