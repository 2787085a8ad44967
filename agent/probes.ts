import type { X509Certificate } from "node:crypto";
import type { ProbeResult, Target } from "../shared/live.ts";
import { peerCert } from "./certs.ts";
import { readOrNull } from "./fs-atomic.ts";
import { guardProbe } from "./loopback-guard.ts";
import {
  readyzResult,
  socketError,
  splitAddress,
  StatusGetter,
  type ReadyzChecker,
} from "./readyz.ts";
import { withRoot } from "./plan.ts";

const since = (t0: number) => Math.round((performance.now() - t0) * 10) / 10;
const message = (e: unknown) =>
  (e instanceof Error ? e.message : String(e)).replace(/[\u0000-\u001f]/g, " ").slice(0, 200);

/** A TCP connect, and with `tls` a TLS handshake (reachability, not identity: no verification). */
export function probeSocket(
  address: string,
  tls: boolean,
  timeoutMs: number,
): Promise<ProbeResult> {
  const { host, port } = splitAddress(address);
  guardProbe(host, `the probe of ${address}`);
  const t0 = performance.now();
  return new Promise((resolve) => {
    let sock: { terminate(): void } | null = null;
    let settled = false;
    const done = (r: ProbeResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock?.terminate();
      resolve(r);
    };
    const fail = (_s: unknown, e: unknown) =>
      done({ ok: false, ms: since(t0), error: message(socketError(e, host, port)) });
    const timer = setTimeout(
      () => done({ ok: false, ms: since(t0), error: `no answer in ${timeoutMs} ms` }),
      timeoutMs,
    );
    Bun.connect({
      hostname: host,
      port,
      ...(tls ? { tls: { rejectUnauthorized: false } } : {}),
      socket: {
        open: () => {
          if (!tls) done({ ok: true, ms: since(t0) });
        },
        handshake: () => done({ ok: true, ms: since(t0) }),
        data: () => {},
        error: fail,
        connectError: fail,
      },
    })
      .then((s) => (settled ? s.terminate() : (sock = s)))
      .catch((e: unknown) => fail(null, e));
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
  const vip = splitAddress(address).host;
  const t0 = performance.now();
  try {
    const found = sandboxed(root)
      ? hostsFileLookup(root, name)
      : (await Bun.dns.lookup(name)).map((a) => a.address);
    return found.includes(vip)
      ? { ok: true, ms: since(t0) }
      : { ok: false, ms: since(t0), error: `${name} resolves to ${found.join(", ") || "nothing"}` };
  } catch (e) {
    return { ok: false, ms: since(t0), error: message(e) };
  }
}

/** The own-path probe's connections: one per URL, kept alive between probes. */
const ownPath = new Map<string, { getter: StatusGetter; known: X509Certificate[] }>();

/**
 * The node's own apiserver URL: any HTTP answer from /readyz counts as reachable. Under --root
 * a name is looked up in the sandbox's hosts file, as the node's resolver would on a real node.
 */
export async function probeUrl(
  url: string,
  timeoutMs: number,
  root = "/",
  known: X509Certificate[] = [],
): Promise<ProbeResult> {
  const t0 = performance.now();
  let target: URL;
  try {
    target = new URL("/readyz", url);
  } catch {
    return { ok: false, ms: 0, error: `not a URL: ${url.slice(0, 100)}` };
  }
  const name = target.hostname.replace(/^\[|\]$/g, "");
  const tls = target.protocol === "https:";
  const port = Number(target.port || (tls ? 443 : 80));
  let host = name;
  if (!/^[\d.]+$|:/.test(name)) {
    const ip = sandboxed(root) ? hostsFileLookup(root, name)[0] : await resolveName(name);
    if (!ip) return { ok: false, ms: 0, error: `${name} is not in ${root}/etc/hosts` };
    host = ip;
  }
  guardProbe(host, `the probe of ${url}`);
  let path = ownPath.get(url);
  if (!path) {
    const p = {
      known,
      getter: new StatusGetter(null, (c) => (c.cert = peerCert(c.socket, p.known))),
    };
    ownPath.set(url, p);
    path = p;
  }
  path.known = known;
  const r = await path.getter.get(
    {
      host,
      port,
      tls,
      path: "/readyz",
      hostHeader: target.host,
      ...(host !== name ? { servername: name } : {}),
    },
    timeoutMs,
  );
  if ("error" in r) return { ok: false, ms: since(t0), error: r.error };
  // Through the node's LB: the apiserver that answered is ready, or alive (401/403).
  const result = readyzResult(r.status, since(t0));
  return r.cert ? { ...result, cert: r.cert } : result;
}

/** A name by this node's resolver: its first address, or null. */
async function resolveName(name: string): Promise<string | null> {
  try {
    return (await Bun.dns.lookup(name))[0]?.address ?? null;
  } catch {
    return null;
  }
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
