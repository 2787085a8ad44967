import { and, eq, inArray } from "drizzle-orm";
import type { Db } from "./client.ts";
import { nodes } from "./schema.ts";

export type NodeRow = typeof nodes.$inferSelect;

/** A node's credential and what its agent said at join. */
export interface NodeCredential {
  tokenId: string;
  tokenHash: string;
  registeredIp: string;
  facts: Record<string, unknown>;
}

const inCluster = (cluster: string) => eq(nodes.cluster, cluster);
const theNode = (cluster: string, host: string) =>
  and(eq(nodes.cluster, cluster), eq(nodes.host, host));

/** Every node row of a cluster: credentials and what each agent last reported. */
export function nodesOf(d: Db, cluster: string): Promise<NodeRow[]> {
  return d.select().from(nodes).where(inCluster(cluster)).all();
}

/** The node a node credential belongs to, by the credential's id. */
export function nodeByTokenId(d: Db, tokenId: string): Promise<NodeRow | undefined> {
  return d.select().from(nodes).where(eq(nodes.tokenId, tokenId)).get();
}

/** Whether a host of a cluster already has a credential. */
export async function hasCredential(d: Db, cluster: string, host: string): Promise<boolean> {
  const r = await d
    .select({ tokenId: nodes.tokenId })
    .from(nodes)
    .where(theNode(cluster, host))
    .get();
  return r !== undefined;
}

/** A new node row (a plain insert: a concurrent claim of the same host fails its batch). */
export function insertNode(d: Db, cluster: string, host: string, c: NodeCredential, now: number) {
  return d.insert(nodes).values({ cluster, host, ...c, createdAt: now });
}

/** A re-imaged host's new credential: the old one stops working, the state starts afresh. */
export function replaceCredential(d: Db, cluster: string, host: string, c: NodeCredential) {
  return d
    .update(nodes)
    .set({ ...c, connected: false, status: "registered", lastError: null })
    .where(theNode(cluster, host));
}

/** Forgets every node's failed bundle: the next change or a resumed wave retries them. */
export function forgetFailures(d: Db, cluster: string) {
  return d.update(nodes).set({ failedHash: null }).where(inCluster(cluster));
}

/** Removes the rows of hosts that left the topology. */
export function deleteNodes(d: Db, cluster: string, hosts: string[]) {
  return d.delete(nodes).where(and(inCluster(cluster), inArray(nodes.host, hosts)));
}

/** Which hosts of a cluster run some config already (they have applied a bundle). */
export async function hostsInService(d: Db, cluster: string): Promise<Set<string>> {
  const rows = await d
    .select({ host: nodes.host, appliedHash: nodes.appliedHash })
    .from(nodes)
    .where(inCluster(cluster))
    .all();
  return new Set(rows.filter((r) => r.appliedHash !== null).map((r) => r.host));
}

/** A statement that writes what the hub learned about one node. */
export function patchNode(d: Db, cluster: string, host: string, patch: Partial<NodeRow>) {
  return d.update(nodes).set(patch).where(theNode(cluster, host));
}
