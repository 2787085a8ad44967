import { createRoute, z } from "@hono/zod-openapi";
import { DrainBody, DrainStarted, DrainStatus } from "../../shared/api-schemas.ts";
import type { NodePlan } from "../../shared/bundle.ts";
import {
  DEFAULT_GRACE_SECONDS,
  drainRefusal,
  drainView,
  type DrainRecord,
} from "../../shared/drain.ts";
import { GROUPS } from "../../shared/topology/schema.ts";
import { access, json, jsonBody, params, problems, router } from "../api.ts";
import { requireAdmin } from "../auth.ts";
import { db, type Db } from "../db/client.ts";
import { drainsOf, endDrain, lbReports, startDrain } from "../db/drains.ts";
import { desiredState } from "../desired-state.ts";
import { AppError, ErrorCode, notFound } from "../errors.ts";
import { notifyHub } from "../hub-client.ts";

const host = { params: z.object({ c: params.c, host: params.host }) };

/** The cluster's kube-master hosts. */
export function mastersOf(plans: Map<string, NodePlan>): string[] {
  return [...plans].filter(([, p]) => p.endpoints.groups.includes(GROUPS.master)).map(([h]) => h);
}

const iso = (ms: number) => new Date(ms).toISOString();

async function status(d: Db, cluster: string, name: string) {
  const state = await desiredState(d, cluster);
  if (!state.desired.has(name)) throw notFound(`host '${name}' in cluster '${cluster}'`);
  const rec = (await drainsOf(d, cluster)).find((r) => r.host === name) ?? null;
  const view = drainView(rec, await lbReports(d, cluster, state.desired), Date.now());
  return {
    host: name,
    state: view.state,
    ...(rec ? { since: iso(rec.since), graceSeconds: rec.graceSeconds } : {}),
    nodes: { routing: view.routing, connections: view.connections },
  };
}

/**
 * Draining a master: POST starts it (every node's LB and the external LB stop sending it new
 * connections), GET says where it stands, DELETE ends it. Kept in D1, audited.
 */
export const drainRoutes = router()
  .openapi(
    createRoute({
      method: "post",
      path: "/{c}/hosts/{host}/drain",
      ...access.adminWithJson,
      description:
        "drains a master: no node's LB sends it a new connection, its open ones are closed by the end of the grace",
      request: { ...host, body: jsonBody(DrainBody) },
      responses: { 202: json(DrainStarted), ...problems(409) },
    }),
    async (c) => {
      const actor = requireAdmin(c.get("principal"));
      const { c: cluster, host: name } = c.req.valid("param");
      const d = db(c.env.DB);
      const state = await desiredState(d, cluster);
      if (!state.desired.has(name)) throw notFound(`host '${name}' in cluster '${cluster}'`);
      const current = await drainsOf(d, cluster);
      let rec: DrainRecord | undefined = current.find((r) => r.host === name);
      if (!rec) {
        const why = drainRefusal(
          name,
          mastersOf(state.desired),
          current.map((r) => r.host),
        );
        if (why)
          throw new AppError(
            why.code === "not-a-master" ? ErrorCode.validation : ErrorCode.conflict,
            why.detail,
            why.code === "not-a-master" ? [{ path: "host", message: why.detail }] : [],
          );
        rec = {
          host: name,
          since: Date.now(),
          graceSeconds: c.req.valid("json").graceSeconds ?? DEFAULT_GRACE_SECONDS,
        };
        await startDrain(d, cluster, rec, actor);
        // Agents get the drain with their probe targets: no bundle, no rollout.
        await notifyHub(c.env, cluster);
      }
      return c.json(
        {
          host: name,
          state: "draining" as const,
          since: iso(rec.since),
          graceSeconds: rec.graceSeconds,
        },
        202,
      );
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/{c}/hosts/{host}/drain",
      ...access.admin,
      request: host,
      responses: { 200: json(DrainStatus), ...problems() },
    }),
    async (c) => {
      const { c: cluster, host: name } = c.req.valid("param");
      return c.json(await status(db(c.env.DB), cluster, name), 200);
    },
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/{c}/hosts/{host}/drain",
      ...access.admin,
      description: "ends a drain: the master gets connections again",
      request: host,
      responses: { 200: json(DrainStatus), ...problems() },
    }),
    async (c) => {
      const actor = requireAdmin(c.get("principal"));
      const { c: cluster, host: name } = c.req.valid("param");
      const d = db(c.env.DB);
      if (await endDrain(d, cluster, name, actor)) await notifyHub(c.env, cluster);
      return c.json(await status(d, cluster, name), 200);
    },
  );
