import { and, desc, eq } from "drizzle-orm";
import { Hono } from "hono";
import { RolloutPolicySchema, waveLabel } from "../../shared/rollout.ts";
import { GROUPS } from "../../shared/topology/schema.ts";
import { RollbackBody } from "../../shared/api-schemas.ts";
import { requireAdmin } from "../auth.ts";
import { readJson } from "../body.ts";
import { db, type Db } from "../db/client.ts";
import { audit, clusters, nodes, rollouts } from "../db/schema.ts";
import { readTopology, requireCluster } from "../db/topology-store.ts";
import type { AppEnv } from "../env.ts";
import { AppError, ErrorCode, invalid, notFound } from "../errors.ts";
import { notifyHub, revokeNodes } from "../hub-client.ts";
import { revertOps, rolloutNodes, type RolloutRow } from "../rollout/advance.ts";
import { policyOf } from "../rollout/start.ts";
import { declaredPart, replaceDeclared } from "../../shared/topology/membership.ts";
import { changeTopology } from "../topology-change.ts";
import { member } from "./topology.ts";

/** The policy a rollout ran under (stored with it). */
function policyOfRow(r: RolloutRow) {
  return RolloutPolicySchema.parse(JSON.parse(r.policy));
}

function rolloutId(raw: string): number {
  if (!/^\d{1,12}$/.test(raw)) throw invalid([{ path: "id", message: "must be a rollout id" }]);
  return Number(raw);
}

async function rolloutRow(d: Db, cluster: string, id: number): Promise<RolloutRow> {
  const r = await d
    .select()
    .from(rollouts)
    .where(and(eq(rollouts.cluster, cluster), eq(rollouts.id, id)))
    .get();
  if (!r) throw notFound(`rollout ${id} of cluster '${cluster}'`);
  return r;
}

/** A rollout as the API shows it; with `detail`, each wave's hosts and where they stand. */
export async function showRollout(d: Db, r: RolloutRow, detail: boolean) {
  const waves = JSON.parse(r.waves) as string[][];
  const base = {
    id: r.id,
    cluster: r.cluster,
    fromVersion: r.fromVersion,
    toVersion: r.toVersion,
    state: r.state,
    wave: r.wave,
    waveCount: waves.length,
    reason: r.reason,
    policy: JSON.parse(r.policy) as unknown,
    actor: r.actor,
    createdAt: new Date(r.createdAt).toISOString(),
    updatedAt: new Date(r.updatedAt).toISOString(),
  };
  if (!detail) return base;
  const { plans, byHost } = await rolloutNodes(d, r);
  const nodeState = (h: string) => {
    const n = byHost.get(h);
    const target = plans.get(h)?.bundle.hash;
    if (n?.appliedHash === target) return "applied";
    if (n?.failedHash === target) return "failed";
    return "pending";
  };
  return {
    ...base,
    waves: waves.map((hs, i) => ({
      index: i,
      name: waveLabel(
        i,
        hs,
        policyOfRow(r),
        (h) => plans.get(h)?.endpoints.groups.includes(GROUPS.master) ?? false,
      ),
      state: i < r.wave || r.state === "completed" ? "done" : i === r.wave ? "current" : "pending",
      nodes: hs.map((h) => ({
        host: h,
        status: nodeState(h),
        error: byHost.get(h)?.lastError ?? null,
      })),
    })),
  };
}

/** Rollouts: list, show, pause, resume, abort, rollback; and the cluster's rollout policy. */
export const rolloutRoutes = new Hono<AppEnv>()
  .get("/:c/rollouts", async (c) => {
    requireAdmin(c.get("principal"));
    const d = db(c.env.DB);
    await requireCluster(d, c.req.param("c"));
    const rows = await d
      .select()
      .from(rollouts)
      .where(eq(rollouts.cluster, c.req.param("c")))
      .orderBy(desc(rollouts.id))
      .limit(100)
      .all();
    return c.json({ rollouts: await Promise.all(rows.map((r) => showRollout(d, r, false))) });
  })
  .get("/:c/rollouts/:id", async (c) => {
    requireAdmin(c.get("principal"));
    const d = db(c.env.DB);
    return c.json(
      await showRollout(
        d,
        await rolloutRow(d, c.req.param("c"), rolloutId(c.req.param("id"))),
        true,
      ),
    );
  })
  .post("/:c/rollouts/:id/:action{pause|resume|abort|rollback}", async (c) => {
    const actor = requireAdmin(c.get("principal"));
    const { c: cluster, action } = c.req.param();
    const d = db(c.env.DB);
    const r = await rolloutRow(d, cluster, rolloutId(c.req.param("id")));
    if (action === "rollback")
      return c.json(await rollback(c.env, d, cluster, r.fromVersion, actor), 201);
    const now = Date.now();
    const allowed: Record<string, string[]> = {
      pause: ["in_progress"],
      resume: ["paused"],
      abort: ["in_progress", "paused"],
    };
    if (!allowed[action]?.includes(r.state)) {
      throw new AppError(ErrorCode.conflict, 409, `cannot ${action} a rollout that is ${r.state}`);
    }
    const next = { pause: "paused", resume: "in_progress", abort: "aborted" }[
      action as "pause" | "resume" | "abort"
    ];
    const set = d
      .update(rollouts)
      .set({
        state: next,
        updatedAt: now,
        reason: `${action} by ${actor}`,
        ...(action === "resume" ? { waveStartedAt: now } : {}),
      })
      .where(eq(rollouts.id, r.id));
    const log = d.insert(audit).values({
      cluster,
      at: now,
      actor,
      action: `rollout.${action}`,
      detail: JSON.stringify({ id: r.id }),
    });
    // Aborting puts the nodes it already changed back on the last good version; resuming
    // retries the wave: earlier failures are forgiven and failed nodes get the bundle again.
    const extra = {
      abort: [revertOps(d, r)],
      resume: [d.update(nodes).set({ failedHash: null }).where(eq(nodes.cluster, cluster))],
      pause: [],
    }[action as "pause" | "resume" | "abort"];
    await d.batch([set, log, ...extra]);
    await notifyHub(c.env, cluster, { retry: action === "resume" });
    return c.json(await showRollout(d, await rolloutRow(d, cluster, r.id), true));
  })
  .post("/:c/rollback", async (c) => {
    const actor = requireAdmin(c.get("principal"));
    const { version } = await readJson(c, RollbackBody);
    return c.json(await rollback(c.env, db(c.env.DB), c.req.param("c"), version, actor), 201);
  })
  .get("/:c/rollout-policy", async (c) => {
    requireAdmin(c.get("principal"));
    return c.json(policyOf(await requireCluster(db(c.env.DB), c.req.param("c"))));
  })
  .put("/:c/rollout-policy", async (c) => {
    const actor = requireAdmin(c.get("principal"));
    const cluster = c.req.param("c");
    const policy = await readJson(c, RolloutPolicySchema);
    const d = db(c.env.DB);
    await requireCluster(d, cluster);
    await d.batch([
      d
        .update(clusters)
        .set({ rolloutPolicy: JSON.stringify(policy) })
        .where(eq(clusters.name, cluster)),
      d.insert(audit).values({
        cluster,
        at: Date.now(),
        actor,
        action: "rollout-policy.put",
        detail: JSON.stringify(policy),
      }),
    ]);
    return c.json(policy);
  });

/**
 * Rolling back is rolling forward to an old topology: a new version with its declared hosts,
 * as a rollout. Hosts registered since stay; hosts the old version had only by registration
 * do not come back without their agents.
 */
async function rollback(
  env: AppEnv["Bindings"],
  d: Db,
  cluster: string,
  version: number,
  actor: string,
) {
  const old = await readTopology(d, cluster, version);
  if (!old.topology) throw notFound(`topology version ${version}`);
  const declared = declaredPart({ topology: old.topology, registered: old.registered });
  const r = await changeTopology(d, {
    cluster,
    actor,
    action: "rollback",
    next: (cur) => replaceDeclared(member(cur), declared, false),
    detail: { to: version },
  });
  await revokeNodes(env, cluster, r.removed);
  await notifyHub(env, cluster);
  const latest = await d
    .select()
    .from(rollouts)
    .where(eq(rollouts.cluster, cluster))
    .orderBy(desc(rollouts.id))
    .get();
  return {
    ...r,
    rollout: latest && latest.toVersion === r.version ? await showRollout(d, latest, false) : null,
  };
}
