import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import type { ControlPlane } from "../scripts/control-plane.ts";
import type { Topology } from "../shared/topology/schema.ts";

export type Api = (
  method: string,
  path: string,
  body?: unknown,
) => Promise<Record<string, unknown>>;

/**
 * fetch, once more on a fresh socket when a pooled keep-alive socket that wrangler dev closed
 * while idle fails before the request is read ("other side closed"), as any HTTP client does.
 */
export async function fetchOnce(url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (e) {
    const code = (e as { cause?: { code?: string } }).cause?.code;
    if (code === "UND_ERR_SOCKET" || code === "ECONNRESET") return fetch(url, init);
    throw e;
  }
}

/** The admin API of a control plane (its own admin token); a non-2xx answer throws. */
export function benchApi(cp: ControlPlane): Api {
  return async (method, path, body) => {
    const r = await fetchOnce(`${cp.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${cp.adminToken}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${await r.text()}`);
    return (await r.json()) as Record<string, unknown>;
  };
}

/** Registers every host with the join token, 16 at a time; their node credentials. */
export async function registerAll(
  cp: ControlPlane,
  token: string,
  topology: Topology,
  hosts: string[],
): Promise<Array<{ host: string; token: string }>> {
  const out: Array<{ host: string; token: string }> = [];
  for (let i = 0; i < hosts.length; i += 16)
    await Promise.all(
      hosts.slice(i, i + 16).map(async (host) => {
        const reg = await fetchOnce(`${cp.url}/v1/register`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ token, hostname: host, ip: topology.hosts[host]?.ip }),
        });
        const { nodeToken } = (await reg.json()) as { nodeToken: string };
        out.push({ host, token: nodeToken });
      }),
    );
  return out;
}

/** Resident memory of every workerd process (the hub lives in one), in MB. */
export function workerdRssMb(): number {
  const pids = spawnSync("pgrep", ["-f", "workerd"], { encoding: "utf8" }).stdout.split("\n");
  let kb = 0;
  for (const pid of pids.filter(Boolean)) {
    try {
      const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
      kb += Number(m?.[1] ?? 0);
    } catch {
      // gone
    }
  }
  return Math.round(kb / 1024);
}
