import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import type { ZodType } from "zod";
import type { ControlPlane } from "../scripts/control-plane.ts";
import { RegisterResponse } from "../shared/api-schemas.ts";
import type { Topology } from "../shared/topology/schema.ts";

/** The benchmarks' control planes run on this admin token (at least 32 characters, as any must). */
export const BENCH_TOKEN = "bench-admin-token-0123456789abcdef";

/** The admin API; given a schema (from shared/api-schemas.ts), the answer is parsed with it. */
export type Api = {
  <T>(method: string, path: string, body: unknown, schema: ZodType<T>): Promise<T>;
  (method: string, path: string, body?: unknown): Promise<Record<string, unknown>>;
};

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
  return (async (method: string, path: string, body?: unknown, schema?: ZodType) => {
    const r = await fetchOnce(`${cp.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${cp.adminToken}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${await r.text()}`);
    const doc: unknown = await r.json();
    if (schema === undefined) return doc;
    const parsed = schema.safeParse(doc);
    if (!parsed.success) throw new Error(`${method} ${path}: ${parsed.error.message}`);
    return parsed.data;
  }) as Api;
}

/** Registers every host with the join token, 16 at a time; their node credentials. */
export async function registerAll(
  cp: { url: string },
  token: string,
  topology: Topology,
  hosts: string[],
): Promise<Array<{ host: string; token: string }>> {
  const out: Array<{ host: string; token: string }> = [];
  for (let i = 0; i < hosts.length; i += 16)
    await Promise.all(
      hosts.slice(i, i + 16).map(async (host) => {
        const send = () =>
          fetchOnce(`${cp.url}/v1/register`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ token, hostname: host, ip: topology.hosts[host]?.ip }),
          });
        let reg = await send();
        // Past the registration rate limit: wait as told, as an agent's join does.
        for (let tries = 0; reg.status === 429 && tries < 10; tries++) {
          await new Promise((r) =>
            setTimeout(r, Number(reg.headers.get("retry-after") ?? 1) * 1000),
          );
          reg = await send();
        }
        const { nodeToken } = RegisterResponse.parse(await reg.json());
        out.push({ host, token: nodeToken });
      }),
    );
  return out;
}

/** A workerd process of a control plane: its pid, listening ports, RSS (MB) and descriptors. */
export type Workerd = { pid: number; ports: number[]; rssMb: number; fds: number };

/** The workerd processes `wrangler dev` started for `cp` (its process group), as they are now. */
export function workerdsOf(cp: ControlPlane): Workerd[] {
  const group = cp.process.pid;
  const listening = spawnSync("ss", ["-Htlnp"], { encoding: "utf8" }).stdout;
  const out: Workerd[] = [];
  for (const pid of spawnSync("pgrep", ["workerd"], { encoding: "utf8" }).stdout.split("\n")) {
    if (pid === "") continue;
    try {
      // /proc/PID/stat: "pid (comm) state ppid pgrp ..."; comm has no spaces here.
      const pgrp = Number(readFileSync(`/proc/${pid}/stat`, "utf8").split(" ")[4]);
      if (pgrp !== group) continue;
      const rss = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
      const ports = [...listening.matchAll(new RegExp(`:(\\d+)\\s.*pid=${pid},`, "g"))].map((m) =>
        Number(m[1]),
      );
      out.push({
        pid: Number(pid),
        ports,
        rssMb: Math.round(Number(rss?.[1] ?? 0) / 1024),
        fds: readdirSync(`/proc/${pid}/fd`).length,
      });
    } catch {
      // gone
    }
  }
  return out;
}

/**
 * Where the Worker itself listens under `wrangler dev`: workerd's own entry socket, behind the
 * dev proxy that `cp.url` is (a second workerd, which does not exist on Cloudflare, and holds
 * about six descriptors per WebSocket: at 5,000 agents more than this machine's 20,000 allow).
 * The port that is not `cp.port` and answers /healthz.
 */
export async function workerdEntry(cp: ControlPlane): Promise<{ url: string; pid: number }> {
  for (const w of workerdsOf(cp))
    for (const port of w.ports.filter((p) => p !== cp.port)) {
      const url = `http://127.0.0.1:${port}`;
      const ok = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) }).then(
        async (r) => r.ok && (await r.text()) === "ok\n",
        () => false,
      );
      if (ok) return { url, pid: w.pid };
    }
  throw new Error("no workerd entry socket answered /healthz");
}
