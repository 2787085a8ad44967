import type { Env } from "./env.ts";
import type { ClusterHub } from "./hub/cluster-hub.ts";

/**
 * The headers a WebSocket upgrade takes to the hub: the client's, less any `x-halo-*` it sent
 * (only the Worker says who is calling), plus the Worker's own.
 */
export function hubHeaders(raw: Headers, own: Record<string, string>): Headers {
  const headers = new Headers();
  for (const [k, v] of raw) if (!k.toLowerCase().startsWith("x-halo-")) headers.set(k, v);
  for (const [k, v] of Object.entries(own)) headers.set(k, v);
  return headers;
}

/** The hub of a cluster: one Durable Object per cluster name. */
export function hubOf(env: Env, cluster: string): DurableObjectStub<ClusterHub> {
  return env.HUB.get(env.HUB.idFromName(cluster));
}

/**
 * Calls the hub after a committed change. A failure is logged, not thrown: the change stands,
 * and connected agents also catch up on their next hello or poll.
 */
async function tell(cluster: string, what: string, call: () => Promise<unknown>): Promise<void> {
  try {
    await call();
  } catch (e) {
    console.error(`hub ${cluster}: ${what} failed`, e);
  }
}

/**
 * Tells the hub that the desired state changed, so it sends bundles to nodes that differ. With
 * `retry`, bundles already sent and not applied (a failed apply) are sent again.
 */
export function notifyHub(
  env: Env,
  cluster: string,
  opts: { retry?: boolean } = {},
): Promise<void> {
  return tell(cluster, "notify", () => hubOf(env, cluster).notify(cluster, opts));
}

/** Tells the hub to close revoked nodes' sockets (4001). */
export async function revokeNodes(env: Env, cluster: string, hosts: string[]): Promise<void> {
  if (hosts.length > 0) await tell(cluster, "revoke", () => hubOf(env, cluster).revoke(hosts));
}

/** Closes every socket of a deleted cluster; their credentials are gone with it. */
export function closeAll(env: Env, cluster: string): Promise<void> {
  return tell(cluster, "close-all", () => hubOf(env, cluster).closeAll());
}
