import type { X509Certificate } from "node:crypto";
import { lookup } from "node:dns/promises";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { connect as netConnect } from "node:net";
import { connect as tlsConnect } from "node:tls";
import type { ProbeResult, Target } from "../shared/live.ts";
import { peerCert } from "./certs.ts";
import { readOrNull } from "./fs-atomic.ts";
import { guardProbe } from "./loopback-guard.ts";
import { readyzResult, type ReadyzChecker } from "./readyz.ts";
import { withRoot } from "./plan.ts";

const since = (t0: number) => Math.round((performance.now() - t0) * 10) / 10;
const message = (e: unknown) =>
  (e instanceof Error ? e.message : String(e)).replace(/[\u0000-\u001f]/g, " ").slice(0, 200);

/** `ip:port` or `[v6]:port` into its parts. */
function split(address: string): { host: string; port: number } {
  const i = address.lastIndexOf(":");
  return { host: address.slice(0, i).replace(/^\[|\]$/g, ""), port: Number(address.slice(i + 1)) };
}

/** A TCP connect, and with `tls` a TLS handshake (reachability, not identity: no verification). */
export function probeSocket(
  address: string,
  tls: boolean,
  timeoutMs: number,
): Promise<ProbeResult> {
  const { host, port } = split(address);
  guardProbe(host, `the probe of ${address}`);
  const t0 = performance.now();
  return new Promise((resolve) => {
    const done = (r: ProbeResult) => {
      clearTimeout(timer);
      sock.destroy();
      resolve(r);
    };
    const sock = tls
      ? tlsConnect({ host, port, rejectUnauthorized: false }, () =>
          done({ ok: true, ms: since(t0) }),
        )
      : netConnect({ host, port }, () => done({ ok: true, ms: since(t0) }));
    sock.on("error", (e) => done({ ok: false, ms: since(t0), error: message(e) }));
    const timer = setTimeout(
      () => done({ ok: false, ms: since(t0), error: `no answer in ${timeoutMs} ms` }),
      timeoutMs,
    );
  });
}

/** Addresses a name has in the hosts file under --root (a sandbox has no resolver of its own). */
export function hostsFileLookup(root: string, name: string): string[] {
  const hosts = readOrNull(withRoot(root, "/etc/hosts")) ?? "";
  return hosts
    .split("\n")
    .map((l) => l.replace(/#.*/, "").trim().split(/\s+/))
    .filter((f) => f.slice(1).includes(name))
    .map((f) => f[0] ?? "");
}

const sandboxed = (root: string) => root !== "/" && root !== "";

/** The LB name must resolve to the VIP: by this node's resolver, or its hosts file under --root. */
export async function probeName(name: string, address: string, root: string): Promise<ProbeResult> {
  const vip = split(address).host;
  const t0 = performance.now();
  try {
    const found = sandboxed(root)
      ? hostsFileLookup(root, name)
      : (await lookup(name, { all: true })).map((a) => a.address);
    return found.includes(vip)
      ? { ok: true, ms: since(t0) }
      : { ok: false, ms: since(t0), error: `${name} resolves to ${found.join(", ") || "nothing"}` };
  } catch (e) {
    return { ok: false, ms: since(t0), error: message(e) };
  }
}

/**
 * The node's own apiserver URL: any HTTP answer from /readyz counts as reachable. Under --root
 * a name is looked up in the sandbox's hosts file, as the node's resolver would on a real node.
 */
export function probeUrl(
  url: string,
  timeoutMs: number,
  root = "/",
  known: X509Certificate[] = [],
): Promise<ProbeResult> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const target = new URL("/readyz", url);
    const name = target.hostname;
    const headers: Record<string, string> = {};
    if (sandboxed(root) && !/^[\d.]+$|^\[/.test(name)) {
      const ip = hostsFileLookup(root, name)[0];
      if (!ip) return resolve({ ok: false, ms: 0, error: `${name} is not in ${root}/etc/hosts` });
      headers.host = target.host;
      target.hostname = ip.includes(":") ? `[${ip}]` : ip;
    }
    guardProbe(target.hostname, `the probe of ${url}`);
    const get = target.protocol === "https:" ? httpsRequest : httpRequest;
    const req = get(
      target,
      {
        method: "GET",
        rejectUnauthorized: false,
        timeout: timeoutMs,
        headers,
        ...(headers.host ? { servername: name } : {}),
      },
      (res) => {
        res.resume();
        // Through the node's LB: the apiserver that answered is ready, or alive (401/403).
        const r = readyzResult(res.statusCode ?? 0, since(t0));
        const cert = peerCert(res.socket, known);
        resolve(cert ? { ...r, cert } : r);
      },
    );
    req.on("timeout", () => req.destroy(new Error(`no answer in ${timeoutMs} ms`)));
    req.on("error", (e) => resolve({ ok: false, ms: since(t0), error: message(e) }));
    req.end();
  });
}

/**
 * Every target of the node, probed at once: apiservers by their `/readyz` (ready, unknown or
 * not ready, over kept-alive TLS), etcd by TCP, the LB name by resolving it.
 */
export async function probeAll(
  targets: Target[],
  root: string,
  timeoutMs: number,
  readyz: ReadyzChecker,
  drained: readonly string[] = [],
): Promise<Record<string, ProbeResult>> {
  const results = await Promise.all(
    targets.map((t) =>
      t.kind === "lb-name"
        ? probeName(t.host ?? "", t.address, root)
        : t.kind === "apiserver"
          ? readyz.check(t.address, !drained.includes(t.host ?? ""))
          : probeSocket(t.address, false, timeoutMs),
    ),
  );
  return Object.fromEntries(targets.map((t, i) => [t.id, results[i] as ProbeResult]));
}
