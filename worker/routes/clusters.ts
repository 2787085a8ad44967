import { and, desc, eq } from "drizzle-orm";
import { Hono } from "hono";
import { CreateClusterBody } from "../../shared/api-schemas.ts";
import { requireAdmin } from "../auth.ts";
import { readJson } from "../body.ts";
import { db, type Db } from "../db/client.ts";
import {
  audit,
  clusters,
  joinTokens,
  nodes,
  nodeTargets,
  rollouts,
  topologyVersions,
} from "../db/schema.ts";
import { requireCluster } from "../db/topology-store.ts";
import { desiredState } from "../desired-state.ts";
import { closeAll } from "../hub-client.ts";
import { showRollout } from "./rollouts.ts";
import type { AppEnv } from "../env.ts";
import { AppError, ErrorCode } from "../errors.ts";

/** Clusters: create, list, show a summary, delete with everything they own. */
export const clusterRoutes = new Hono<AppEnv>()
  .post("/", async (c) => {
    const actor = requireAdmin(c.get("principal"));
    const { name, rolloutPolicy } = await readJson(c, CreateClusterBody);
    const d = db(c.env.DB);
    const now = Date.now();
    try {
      await d.batch([
        d.insert(clusters).values({
          name,
          version: 0,
          createdAt: now,
          rolloutPolicy: JSON.stringify(rolloutPolicy ?? {}),
        }),
        d
          .insert(audit)
          .values({ cluster: name, at: now, actor, action: "cluster.create", detail: "{}" }),
      ]);
    } catch (e) {
      if (String(e).includes("UNIQUE constraint failed")) {
        throw new AppError(ErrorCode.conflict, 409, `cluster '${name}' already exists`);
      }
      throw e;
    }
    return c.json(await summary(d, name), 201, { location: `/v1/clusters/${name}` });
  })
  .get("/", async (c) => {
    requireAdmin(c.get("principal"));
    const d = db(c.env.DB);
    const rows = await d.select().from(clusters).orderBy(clusters.name).all();
    return c.json({ clusters: await Promise.all(rows.map((r) => summary(d, r.name))) });
  })
  .get("/:c", async (c) => {
    requireAdmin(c.get("principal"));
    return c.json(await summary(db(c.env.DB), c.req.param("c")));
  })
  .delete("/:c", async (c) => {
    const actor = requireAdmin(c.get("principal"));
    const name = c.req.param("c");
    const d = db(c.env.DB);
    await requireCluster(d, name);
    await d.batch([
      d.delete(topologyVersions).where(eq(topologyVersions.cluster, name)),
      d.delete(nodes).where(eq(nodes.cluster, name)),
      d.delete(joinTokens).where(eq(joinTokens.cluster, name)),
      d.delete(rollouts).where(eq(rollouts.cluster, name)),
      d.delete(nodeTargets).where(eq(nodeTargets.cluster, name)),
      d.delete(clusters).where(eq(clusters.name, name)),
      d
        .insert(audit)
        .values({ cluster: name, at: Date.now(), actor, action: "cluster.delete", detail: "{}" }),
    ]);
    await closeAll(c.env, name);
    return c.body(null, 204);
  });

/** A cluster's version and how its nodes stand against it. */
export async function summary(d: Db, name: string) {
  const { cluster, desired } = await desiredState(d, name);
  const rows = await d
    .select()
    .from(nodes)
    .where(and(eq(nodes.cluster, name)))
    .all();
  const inTopology = rows.filter((r) => desired.has(r.host));
  const latest = await d
    .select()
    .from(rollouts)
    .where(eq(rollouts.cluster, name))
    .orderBy(desc(rollouts.id))
    .get();
  return {
    name,
    version: cluster.version,
    stableVersion: cluster.stableVersion,
    createdAt: new Date(cluster.createdAt).toISOString(),
    nodes: {
      hosts: desired.size,
      registered: inTopology.length,
      connected: inTopology.filter((r) => r.connected).length,
      applied: inTopology.filter((r) => r.appliedHash === desired.get(r.host)?.bundle.hash).length,
      failed: inTopology.filter(
        (r) => r.status === "failed" && r.appliedHash !== desired.get(r.host)?.bundle.hash,
      ).length,
    },
    rollout: latest ? await showRollout(d, latest, false) : null,
  };
}
