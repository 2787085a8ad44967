import { eq, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { Db } from "./client.ts";
import {
  clusters,
  drains,
  joinTokens,
  masterCerts,
  nodes,
  nodeTargets,
  rollouts,
  topologyVersions,
} from "./schema.ts";

/** A new cluster at version 0 (fails its batch when the name is taken). */
export function insertCluster(d: Db, name: string, rolloutPolicy: object, now: number) {
  return d.insert(clusters).values({ name, version: 0, createdAt: now, rolloutPolicy });
}

/** Every cluster's name, in order. */
export async function clusterNames(d: Db): Promise<string[]> {
  const rows = await d.select({ name: clusters.name }).from(clusters).orderBy(clusters.name).all();
  return rows.map((r) => r.name);
}

/** The statements that delete a cluster with everything it owns (audit entries stay). */
export function deleteCluster(d: Db, name: string): BatchItem<"sqlite">[] {
  return [
    d.delete(topologyVersions).where(eq(topologyVersions.cluster, name)),
    d.delete(nodes).where(eq(nodes.cluster, name)),
    d.delete(joinTokens).where(eq(joinTokens.cluster, name)),
    d.delete(rollouts).where(eq(rollouts.cluster, name)),
    d.delete(nodeTargets).where(eq(nodeTargets.cluster, name)),
    d.delete(drains).where(eq(drains.cluster, name)),
    d.delete(masterCerts).where(eq(masterCerts.cluster, name)),
    d.delete(clusters).where(eq(clusters.name, name)),
  ];
}

/** Marks a version stable: what every node outside a rollout runs (`latest`: the newest). */
export function setStableVersion(d: Db, name: string, version: number | "latest") {
  return d
    .update(clusters)
    .set({ stableVersion: version === "latest" ? sql`${clusters.version}` : version })
    .where(eq(clusters.name, name));
}
