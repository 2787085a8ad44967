import { createRoute, z } from "@hono/zod-openapi";
import { auditEntry } from "../db/audit.ts";
import { ClusterList, ClusterSummary, CreateClusterBody } from "../../shared/api-schemas.ts";
import { access, json, jsonBody, params, problems, router } from "../api.ts";
import { requireAdmin } from "../auth.ts";
import { constraintFailed, db, type Db } from "../db/client.ts";
import { clusterNames, deleteCluster, insertCluster } from "../db/clusters.ts";
import { nodesOf } from "../db/nodes.ts";
import { newestRollout } from "../db/rollouts.ts";
import { requireCluster } from "../db/topology-store.ts";
import { desiredState } from "../desired-state.ts";
import { closeAll } from "../hub-client.ts";
import { nodeStatus } from "../node-view.ts";
import { showRollout } from "./rollouts.ts";
import { AppError, ErrorCode } from "../errors.ts";

const cluster = { params: z.object({ c: params.c }) };

/** Clusters: create, list, show a summary, delete with everything they own. */
export const clusterRoutes = router()
  .openapi(
    createRoute({
      method: "post",
      path: "/",
      ...access.adminWithJson,
      request: { body: jsonBody(CreateClusterBody) },
      responses: { 201: json(ClusterSummary, "created"), ...problems(409) },
    }),
    async (c) => {
      const actor = requireAdmin(c.get("principal"));
      const { name, rolloutPolicy } = c.req.valid("json");
      const d = db(c.env.DB);
      const now = Date.now();
      try {
        await d.batch([
          insertCluster(d, name, rolloutPolicy ?? {}, now),
          auditEntry(d, { cluster: name, at: now, actor, action: "cluster.create" }),
        ]);
      } catch (e) {
        if (constraintFailed(e, "UNIQUE")) {
          throw new AppError(ErrorCode.conflict, `cluster '${name}' already exists`);
        }
        throw e;
      }
      return c.json(await summary(d, name), 201, { location: `/v1/clusters/${name}` });
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/",
      ...access.admin,
      responses: { 200: json(ClusterList), ...problems() },
    }),
    async (c) => {
      const d = db(c.env.DB);
      const names = await clusterNames(d);
      return c.json({ clusters: await Promise.all(names.map((n) => summary(d, n))) }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/{c}",
      ...access.admin,
      request: cluster,
      responses: { 200: json(ClusterSummary), ...problems() },
    }),
    async (c) => c.json(await summary(db(c.env.DB), c.req.valid("param").c), 200),
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/{c}",
      ...access.admin,
      description: "deletes the cluster with its versions, nodes, tokens and rollouts",
      request: cluster,
      responses: { 204: { description: "deleted" }, ...problems() },
    }),
    async (c) => {
      const actor = requireAdmin(c.get("principal"));
      const name = c.req.valid("param").c;
      const d = db(c.env.DB);
      await requireCluster(d, name);
      await d.batch([
        auditEntry(d, { cluster: name, at: Date.now(), actor, action: "cluster.delete" }),
        ...deleteCluster(d, name),
      ]);
      await closeAll(c.env, name);
      return c.body(null, 204);
    },
  );

/** A cluster's version and how its nodes stand against it. */
export async function summary(d: Db, name: string): Promise<ClusterSummary> {
  // The rollout first: a rollout read as completed then always comes with the stable version
  // its completion set (they are written in one batch, read in two).
  const latest = await newestRollout(d, name);
  const { cluster, desired } = await desiredState(d, name);
  const rows = await nodesOf(d, name);
  const inTopology = rows.filter((r) => desired.has(r.host));
  const stateOf = (r: (typeof rows)[number]) => nodeStatus(r, desired.get(r.host)?.bundle.hash);
  return {
    name,
    version: cluster.version,
    stableVersion: cluster.stableVersion,
    createdAt: new Date(cluster.createdAt).toISOString(),
    nodes: {
      hosts: desired.size,
      registered: inTopology.length,
      connected: inTopology.filter((r) => r.connected).length,
      applied: inTopology.filter((r) => stateOf(r) === "applied").length,
      failed: inTopology.filter((r) => stateOf(r) === "failed").length,
    },
    rollout: latest ? showRollout(latest) : null,
  };
}
