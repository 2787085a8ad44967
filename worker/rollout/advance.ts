import { judgeWave, type WaveNode } from "../../shared/rollout.ts";
import type { Db } from "../db/client.ts";
import { nodesOf } from "../db/nodes.ts";
import {
  activeRollout,
  revertOps,
  rolloutRowPolicy,
  updateRollout,
  type RolloutRow,
} from "../db/rollouts.ts";
import { readTopology, requireCluster } from "../db/topology-store.ts";
import { plansFor } from "../plans.ts";
import { clearTargets, targetOps } from "../db/targets.ts";
import { setStableVersion } from "../db/clusters.ts";

/**
 * A rollout's target bundles and its cluster's node rows. All rows of the cluster are read:
 * D1 caps bound parameters near 100, so an IN list of a wave's hosts would not scale.
 */
export async function rolloutNodes(d: Db, r: RolloutRow) {
  const c = await requireCluster(d, r.cluster);
  const plans = plansFor(c, r.toVersion, (await readTopology(d, r.cluster, r.toVersion)).topology);
  const rows = await nodesOf(d, r.cluster);
  return { plans, byHost: new Map(rows.map((x) => [x.host, x])) };
}

/**
 * One step of the state machine, run from the hub's alarm: judge the current wave, then move to
 * the next, complete, or stop (pause, or revert with autoRevert). Returns when to look again
 * (null: nothing in progress) and whether any node's desired bundle changed.
 */
export async function advanceRollout(
  d: Db,
  cluster: string,
  now = Date.now(),
): Promise<{ next: number | null; changed: boolean; moved?: boolean }> {
  const r = await activeRollout(d, cluster);
  if (!r || r.state !== "in_progress") return { next: null, changed: false };
  const waves = r.waves;
  const policy = rolloutRowPolicy(r);
  const { plans, byHost } = await rolloutNodes(d, r);
  const hosts = waves[r.wave] ?? [];
  const wave: WaveNode[] = hosts.map((h) => ({
    host: h,
    target: plans.get(h)?.bundle.hash ?? "",
    appliedHash: byHost.get(h)?.appliedHash ?? null,
    appliedAt: byHost.get(h)?.appliedAt ?? null,
    failedHash: byHost.get(h)?.failedHash ?? null,
  }));
  const verdict = judgeWave(wave, r.waveStartedAt, now, policy);
  const set = (fields: Partial<RolloutRow>) => updateRollout(d, r.id, fields, now);
  switch (verdict.kind) {
    case "wait":
      return { next: verdict.until, changed: false };
    case "breach":
      if (policy.autoRevert) {
        await d.batch([set({ state: "reverted", reason: verdict.reason }), revertOps(d, r)]);
        return { next: null, changed: true, moved: true };
      }
      await set({ state: "paused", reason: verdict.reason });
      return { next: null, changed: false, moved: true };
    case "done": {
      if (r.wave + 1 >= waves.length) {
        await d.batch([
          set({ state: "completed", wave: r.wave }),
          setStableVersion(d, cluster, r.toVersion),
          clearTargets(d, cluster, r.toVersion),
        ]);
        return { next: null, changed: false, moved: true };
      }
      await d.batch([
        set({ wave: r.wave + 1, waveStartedAt: now }),
        ...targetOps(d, cluster, waves[r.wave + 1] ?? [], r.toVersion),
      ]);
      return { next: now + 200, changed: true, moved: true };
    }
  }
}
