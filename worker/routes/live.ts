import { createRoute, z } from "@hono/zod-openapi";
import type { Target } from "../../shared/live.ts";
import { requireAdmin } from "../auth.ts";
import { EventTicket, LivePolicySchema, ReachabilityResponse } from "../../shared/api-schemas.ts";
import { access, json, jsonBody, params, problems, router } from "../api.ts";
import { db } from "../db/client.ts";
import { nodesOf } from "../db/nodes.ts";
import { newestRollout } from "../db/rollouts.ts";
import { livePolicyOf, requireCluster, savePolicy } from "../db/topology-store.ts";
import { desiredState } from "../desired-state.ts";
import { AppError, ErrorCode } from "../errors.ts";
import { connectWatcher, notifyHub } from "../hub-client.ts";
import { issueTicket, takeTicket } from "../db/event-tickets.ts";
import { fleetMetrics } from "../metrics.ts";
import { certificateGauges, routesOf } from "../../shared/tls.ts";
import { observedCerts } from "../db/certs.ts";
import { nodeStatuses } from "../node-view.ts";

const cluster = { params: z.object({ c: params.c }) };

/** The live view: probe policy, the reachability matrix, fleet metrics. */
export const liveRoutes = router()
  .openapi(
    createRoute({
      method: "get",
      path: "/{c}/live-policy",
      ...access.admin,
      request: cluster,
      responses: { 200: json(LivePolicySchema), ...problems() },
    }),
    async (c) =>
      c.json(livePolicyOf(await requireCluster(db(c.env.DB), c.req.valid("param").c)), 200),
  )
  .openapi(
    createRoute({
      method: "put",
      path: "/{c}/live-policy",
      ...access.adminWithJson,
      description: "the probe interval and the drift policy (heal or only report)",
      request: { ...cluster, body: jsonBody(LivePolicySchema) },
      responses: { 200: json(LivePolicySchema), ...problems() },
    }),
    async (c) => {
      const actor = requireAdmin(c.get("principal"));
      const cluster = c.req.valid("param").c;
      const policy = c.req.valid("json");
      await savePolicy(db(c.env.DB), cluster, actor, "livePolicy", policy);
      // Agents get the new interval and drift policy with their targets; no bundle changes.
      await notifyHub(c.env, cluster);
      return c.json(policy, 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/{c}/reachability",
      ...access.admin,
      description: "node x target, as each node last probed it",
      request: cluster,
      responses: { 200: json(ReachabilityResponse), ...problems() },
    }),
    async (c) => {
      const cluster = c.req.valid("param").c;
      const d = db(c.env.DB);
      const { desired } = await desiredState(d, cluster);
      const targets = new Map<string, Target>();
      for (const plan of desired.values()) for (const t of plan.targets) targets.set(t.id, t);
      const rows = await nodesOf(d, cluster);
      const probed = rows
        .filter((r) => r.probes !== null && r.probedAt !== null)
        .sort((a, b) => (a.host < b.host ? -1 : 1))
        .map((r) => ({
          host: r.host,
          at: new Date(r.probedAt ?? 0).toISOString(),
          results: r.probes ?? {},
        }));
      return c.json(
        { targets: [...targets.values()].sort((a, b) => (a.id < b.id ? -1 : 1)), nodes: probed },
        200,
      );
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/{c}/events",
      // The guard is in the handler: a browser's ticket comes as a subprotocol.
      security: [{ admin: [] }],
      description:
        "a WebSocket of the cluster's events, JSON frames {type: node|probe|drift|ejection|rollout, at, ...}; a browser (which cannot set headers) sends a ticket from POST .../events/ticket as the subprotocol ticket.TICKET",
      request: cluster,
      responses: { 101: { description: "switching to the WebSocket" }, ...problems(426) },
    }),
    async (c) => {
      // A browser cannot set headers on a WebSocket: it brings a single-use ticket instead of
      // the admin token (which would sit in a header every proxy logs).
      const offered = (c.req.header("sec-websocket-protocol") ?? "")
        .split(",")
        .map((p) => p.trim());
      const ticket = offered.find((p) => p.startsWith("ticket."))?.slice("ticket.".length);
      const cluster = c.req.valid("param").c;
      const d = db(c.env.DB);
      if (c.get("principal").kind === "none" && ticket !== undefined) {
        if (!(await takeTicket(d, cluster, ticket)))
          throw new AppError(
            ErrorCode.unauthorized,
            "the events ticket is not valid (used, expired or for another cluster)",
          );
      } else requireAdmin(c.get("principal"));
      await requireCluster(d, cluster);
      if (c.req.header("upgrade")?.toLowerCase() !== "websocket")
        throw new AppError(ErrorCode.upgradeRequired, "expected a WebSocket upgrade");
      return connectWatcher(
        c.env,
        c.req.raw,
        cluster,
        offered.includes("halo.v1") ? "halo.v1" : null,
      );
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/{c}/events/ticket",
      ...access.admin,
      description:
        "a single-use ticket, good for 30 s, that opens the events WebSocket from a browser (subprotocol ticket.TICKET)",
      request: cluster,
      responses: { 201: json(EventTicket), ...problems() },
    }),
    async (c) => {
      requireAdmin(c.get("principal"));
      const cluster = c.req.valid("param").c;
      const d = db(c.env.DB);
      await requireCluster(d, cluster);
      return c.json(await issueTicket(d, cluster), 201);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/{c}/metrics",
      ...access.admin,
      request: cluster,
      responses: {
        200: {
          description: "the fleet's gauges, in Prometheus' text format",
          content: { "text/plain": { schema: z.string() } },
        },
        ...problems(),
      },
    }),
    async (c) => {
      const cluster = c.req.valid("param").c;
      const d = db(c.env.DB);
      const statuses = await nodeStatuses(d, cluster);
      const rows = await nodesOf(d, cluster);
      const down = new Set<string>();
      for (const r of rows)
        for (const [id, p] of Object.entries(r.probes ?? {})) if (!p.ok) down.add(id);
      const newest = await newestRollout(d, cluster);
      const { desired } = await desiredState(d, cluster);
      const gauges = certificateGauges(
        routesOf(desired),
        await observedCerts(d, cluster),
        Date.now(),
      );
      const text = fleetMetrics(cluster, statuses, down.size, newest?.state ?? null, gauges);
      return c.text(text, 200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" });
    },
  );
