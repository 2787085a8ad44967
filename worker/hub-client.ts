import type { Env } from "./env.ts";
import type { ClusterHub } from "./hub/cluster-hub.ts";

/** What the Worker tells the hub about a WebSocket it hands over (clients' own are dropped). */
export const HUB_HEADERS = {
  cluster: "x-halo-cluster",
  host: "x-halo-host",
  tokenId: "x-halo-token-id",
  subprotocol: "x-halo-subprotocol",
} as const;

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

/** Hands an agent's WebSocket upgrade to its cluster's hub, saying which node it is. */
export function connectAgent(
  env: Env,
  request: Request,
  node: { cluster: string; host: string; tokenId: string },
): Promise<Response> {
  const headers = hubHeaders(request.headers, {
    [HUB_HEADERS.cluster]: node.cluster,
    [HUB_HEADERS.host]: node.host,
    [HUB_HEADERS.tokenId]: node.tokenId,
  });
  return hubOf(env, node.cluster).fetch("https://hub/connect", { headers });
}

/** Hands an operator's events WebSocket to the hub; `halo.v1` is answered when it was offered. */
export function connectWatcher(
  env: Env,
  request: Request,
  cluster: string,
  subprotocol: "halo.v1" | null,
): Promise<Response> {
  const headers = hubHeaders(request.headers, {
    [HUB_HEADERS.cluster]: cluster,
    ...(subprotocol ? { [HUB_HEADERS.subprotocol]: subprotocol } : {}),
  });
  return hubOf(env, cluster).fetch("https://hub/events", { headers });
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
