import type { Env } from "./env.ts";

/** The hub of a cluster: one Durable Object per cluster name. */
export function hubOf(env: Env, cluster: string): DurableObjectStub {
  return env.HUB.get(env.HUB.idFromName(cluster));
}

async function call(env: Env, cluster: string, path: string, body: unknown): Promise<void> {
  try {
    const res = await hubOf(env, cluster).fetch(`https://hub${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-halo-cluster": cluster },
      body: JSON.stringify(body),
    });
    if (!res.ok) console.error(`hub ${cluster}${path}: ${res.status} ${await res.text()}`);
  } catch (e) {
    // The change is committed; connected agents also catch up on their next hello or poll.
    console.error(`hub ${cluster}${path} unreachable`, e);
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
  return call(env, cluster, "/notify", opts);
}

/** Tells the hub to close revoked nodes' sockets (4001). */
export async function revokeNodes(env: Env, cluster: string, hosts: string[]): Promise<void> {
  if (hosts.length > 0) await call(env, cluster, "/revoke", { hosts });
}

/** Closes every socket of a deleted cluster; their credentials are gone with it. */
export function closeAll(env: Env, cluster: string): Promise<void> {
  return call(env, cluster, "/close-all", {});
}
