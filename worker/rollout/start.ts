import type { BatchItem } from "drizzle-orm/batch";
import { GROUPS } from "../../shared/topology/schema.ts";
import { planRollout } from "../../shared/rollout.ts";
import type { Db } from "../db/client.ts";
import { setStableVersion } from "../db/clusters.ts";
import { hostsInService } from "../db/nodes.ts";
import { insertRollout, supersedeActive } from "../db/rollouts.ts";
import { clearTargets, targetOps } from "../db/targets.ts";
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
    await setStableVersion(d, cluster, c.version);
    return;
  }
  const inService = await hostsInService(d, cluster);
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

  const ops: BatchItem<"sqlite">[] = [supersedeActive(d, cluster, c.version, now)];
  const done = waves.length === 0;
  ops.push(
    insertRollout(d, {
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
    ops.push(setStableVersion(d, cluster, c.version));
    ops.push(clearTargets(d, cluster));
  } else {
    ops.push(...targetOps(d, cluster, [...immediate, ...(waves[0] ?? [])], c.version));
  }
  await d.batch(ops as [BatchItem<"sqlite">, ...BatchItem<"sqlite">[]]);
}
