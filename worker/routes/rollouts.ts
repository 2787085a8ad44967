import type { BatchItem } from "drizzle-orm/batch";
import { auditEntry } from "../db/audit.ts";
import { createRoute, z } from "@hono/zod-openapi";
import {
  allowedActions,
  ROLLOUT_ACTIONS,
  RolloutPolicySchema,
  transition,
  waveLabel,
  waveNodeStatus,
  type RolloutAction,
} from "../../shared/rollout.ts";
import { GROUPS } from "../../shared/topology/schema.ts";
import {
  PutTopologyResponse,
  RollbackBody,
  RolloutDetail,
  RolloutList,
  RolloutSummary,
} from "../../shared/api-schemas.ts";
import { access, json, jsonBody, params, problems, router } from "../api.ts";
import { requireAdmin } from "../auth.ts";
import { db, type Db } from "../db/client.ts";
import { forgetFailures } from "../db/nodes.ts";
import {
  newestRollout,
  recentRollouts,
  revertOps,
  rolloutById,
  rolloutRowPolicy,
  updateRollout,
  type RolloutRow,
} from "../db/rollouts.ts";
import { readTopology, requireCluster, rolloutPolicyOf, savePolicy } from "../db/topology-store.ts";
import type { Env } from "../env.ts";
import { AppError, ErrorCode, notFound } from "../errors.ts";
import { notifyHub, revokeNodes } from "../hub-client.ts";
import { rolloutNodes } from "../rollout/advance.ts";
import { declaredPart, replaceDeclared } from "../../shared/topology/membership.ts";
import { changeTopology } from "../topology-change.ts";
import { member } from "./topology.ts";

const cluster = { params: z.object({ c: params.c }) };
const rolloutId = z
  .string()
  .regex(/^\d{1,12}$/, "must be a rollout id")
  .transform(Number)
  .meta({ description: "the rollout's id" });

async function rolloutRow(d: Db, cluster: string, id: number): Promise<RolloutRow> {
  const r = await rolloutById(d, cluster, id);
  if (!r) throw notFound(`rollout ${id} of cluster '${cluster}'`);
  return r;
}

/** A rollout as the API lists it. */
export function showRollout(r: RolloutRow): RolloutSummary {
  return {
    id: r.id,
    cluster: r.cluster,
    fromVersion: r.fromVersion,
    toVersion: r.toVersion,
    state: r.state,
    actions: allowedActions(r.state),
    wave: r.wave,
    waveCount: r.waves.length,
    reason: r.reason,
    policy: rolloutRowPolicy(r),
    actor: r.actor,
    createdAt: new Date(r.createdAt).toISOString(),
    updatedAt: new Date(r.updatedAt).toISOString(),
  };
}

/** A rollout with each wave's hosts and where they stand. */
export async function showRolloutDetail(d: Db, r: RolloutRow): Promise<RolloutDetail> {
  const waves = r.waves;
  const { plans, byHost } = await rolloutNodes(d, r);
  const nodeState = (h: string) => waveNodeStatus(byHost.get(h), plans.get(h)?.bundle.hash);
  const policy = rolloutRowPolicy(r);
  return {
    ...showRollout(r),
    waves: waves.map((hs, i) => ({
      index: i,
      name: waveLabel(
        i,
        hs,
        policy,
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
export const rolloutRoutes = router()
  .openapi(
    createRoute({
      method: "get",
      path: "/{c}/rollouts",
      ...access.admin,
      description: "the newest 100 rollouts, newest first",
      request: cluster,
      responses: { 200: json(RolloutList), ...problems() },
    }),
    async (c) => {
      const cluster = c.req.valid("param").c;
      const d = db(c.env.DB);
      await requireCluster(d, cluster);
      const rows = await recentRollouts(d, cluster, 100);
      return c.json({ rollouts: rows.map((r) => showRollout(r)) }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/{c}/rollouts/{id}",
      ...access.admin,
      request: { params: z.object({ c: params.c, id: rolloutId }) },
      responses: { 200: json(RolloutDetail), ...problems() },
    }),
    async (c) => {
      const { c: cluster, id } = c.req.valid("param");
      const d = db(c.env.DB);
      return c.json(await showRolloutDetail(d, await rolloutRow(d, cluster, id)), 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/{c}/rollouts/{id}/{action}",
      ...access.admin,
      description:
        "pause, resume or abort the rollout; rollback rolls its old version out again as a new one",
      request: {
        params: z.object({ c: params.c, id: rolloutId, action: z.enum(ROLLOUT_ACTIONS) }),
      },
      responses: {
        200: json(RolloutDetail),
        201: json(PutTopologyResponse, "rollback started"),
        ...problems(409),
      },
    }),
    async (c) => {
      const actor = requireAdmin(c.get("principal"));
      const { c: cluster, id, action } = c.req.valid("param");
      const d = db(c.env.DB);
      const r = await rolloutRow(d, cluster, id);
      if (action === "rollback")
        return c.json(await rollback(c.env, d, cluster, r.fromVersion, actor), 201);
      const now = Date.now();
      const t = transition(r.state, action);
      if (!t.ok) throw new AppError(ErrorCode.conflict, t.error);
      const next = t.to ?? r.state;
      const set = updateRollout(
        d,
        r.id,
        {
          state: next,
          reason: `${action} by ${actor}`,
          ...(action === "resume" ? { waveStartedAt: now } : {}),
        },
        now,
      );
      const log = auditEntry(d, {
        cluster,
        at: now,
        actor,
        action: `rollout.${action}`,
        detail: { id: r.id },
      });
      // Aborting puts the nodes it already changed back on the last good version; resuming
      // retries the wave: earlier failures are forgiven and failed nodes get the bundle again.
      const effects: Record<Exclude<RolloutAction, "rollback">, BatchItem<"sqlite">[]> = {
        abort: [revertOps(d, r)],
        resume: [forgetFailures(d, cluster)],
        pause: [],
      };
      const extra = effects[action];
      await d.batch([set, log, ...extra]);
      await notifyHub(c.env, cluster, { retry: action === "resume" });
      return c.json(await showRolloutDetail(d, await rolloutRow(d, cluster, r.id)), 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/{c}/rollback",
      ...access.adminWithJson,
      description: "rolls the declared topology of an old version out again as a new version",
      request: { ...cluster, body: jsonBody(RollbackBody) },
      responses: { 201: json(PutTopologyResponse, "rollback started"), ...problems() },
    }),
    async (c) => {
      const actor = requireAdmin(c.get("principal"));
      const { version } = c.req.valid("json");
      return c.json(
        await rollback(c.env, db(c.env.DB), c.req.valid("param").c, version, actor),
        201,
      );
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/{c}/rollout-policy",
      ...access.admin,
      request: cluster,
      responses: { 200: json(RolloutPolicySchema), ...problems() },
    }),
    async (c) =>
      c.json(rolloutPolicyOf(await requireCluster(db(c.env.DB), c.req.valid("param").c)), 200),
  )
  .openapi(
    createRoute({
      method: "put",
      path: "/{c}/rollout-policy",
      ...access.adminWithJson,
      request: { ...cluster, body: jsonBody(RolloutPolicySchema) },
      responses: { 200: json(RolloutPolicySchema), ...problems() },
    }),
    async (c) => {
      const actor = requireAdmin(c.get("principal"));
      const cluster = c.req.valid("param").c;
      const policy = c.req.valid("json");
      await savePolicy(db(c.env.DB), cluster, actor, "rolloutPolicy", policy);
      return c.json(policy, 200);
    },
  );

/**
 * Rolling back is rolling forward to an old topology: a new version with its declared hosts,
 * as a rollout. Hosts registered since stay; hosts the old version had only by registration
 * do not come back without their agents.
 */
async function rollback(env: Env, d: Db, cluster: string, version: number, actor: string) {
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
  const latest = await newestRollout(d, cluster);
  return {
    ...r,
    rollout: latest && latest.toVersion === r.version ? showRollout(latest) : null,
  };
}
