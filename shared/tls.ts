import * as z from "zod/mini";
import type { NodePlan } from "./bundle.ts";
import { canonicalIp, hostPort, isIp } from "./net.ts";
import { GROUPS } from "./topology/schema.ts";

/** A SHA-256 fingerprint as X.509 tools print it: 32 upper-case hex bytes joined by colons. */
const Fingerprint = z
  .string()
  .check(z.regex(/^(?:[0-9A-F]{2}:){31}[0-9A-F]{2}$/, "must be a SHA-256 fingerprint"));

/**
 * What an apiserver presented in a TLS handshake (or what a master's agent read from its serving
 * certificate): the names and addresses it is valid for, who issued it, the CA it chains to
 * when the observer could tell, and when it expires.
 */
export const CertSeenSchema = z.strictObject({
  fingerprint: Fingerprint,
  dns: z.array(z.string().check(z.maxLength(253))).check(z.maxLength(100)),
  ips: z.array(z.string().check(z.maxLength(45))).check(z.maxLength(100)),
  issuer: z.string().check(z.maxLength(300)),
  /** the fingerprint of the CA certificate it chains to, null when the observer holds no CA that issued it */
  ca: z.nullable(Fingerprint),
  notAfter: z
    .string()
    .check(z.regex(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z$/, "must be an ISO time")),
});
export type CertSeen = z.infer<typeof CertSeenSchema>;

/**
 * Whether certificates chain to more than one CA: different issuers, or different CA
 * fingerprints where observers knew them (kubeadm names every cluster CA `kubernetes`, so two
 * CAs may share a name; an observer without the CA reports none, which is no difference).
 */
export function differentCAs(certs: readonly CertSeen[]): boolean {
  const issuers = new Set(certs.map((c) => c.issuer));
  const cas = new Set(certs.flatMap((c) => (c.ca === null ? [] : [c.ca])));
  return issuers.size > 1 || cas.size > 1;
}

const DAY_MS = 86_400_000;

/**
 * Whether a certificate is valid for `host` as a TLS client checks it (RFC 6125, as Go and
 * OpenSSL do): an IP literal only against IP SANs; a name against DNS SANs, case-insensitive,
 * a wildcard standing for exactly one whole left-most label (`*.example.com` covers
 * `a.example.com`, not `example.com` nor `a.b.example.com`).
 */
export function covers(cert: Pick<CertSeen, "dns" | "ips">, host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "");
  if (isIp(h)) {
    const want = canonicalIp(h);
    return cert.ips.some((ip) => isIp(ip) && canonicalIp(ip) === want);
  }
  const name = h.toLowerCase().replace(/\.$/, "");
  return cert.dns.some((san) => {
    const s = san.toLowerCase().replace(/\.$/, "");
    if (!s.startsWith("*.")) return s === name;
    const dot = name.indexOf(".");
    return dot > 0 && name.slice(dot + 1) === s.slice(2);
  });
}

/** Whole days until a certificate expires (negative once it has). */
export const expiresInDays = (c: CertSeen, now: number) =>
  Math.floor((Date.parse(c.notAfter) - now) / DAY_MS);

/** A node's TLS standing: is its apiserver URL's host covered by every master that can serve it. */
export interface NodeTls {
  /** null while no certificate of those masters has been observed */
  covered: boolean | null;
  missing: Array<{ master: string; name: string }>;
  /** the masters that can serve this node chain to more than one CA */
  caMismatch: boolean;
  /** the soonest expiry among those masters' certificates, whole days; null if none observed */
  expiresInDays: number | null;
  /** `warning` within the warning days, `alert` within 7, null when fine or unknown */
  expiry: "warning" | "alert" | null;
}

/** The alert threshold: a certificate expiring within this many days is an alert everywhere. */
export const CERT_ALERT_DAYS = 7;
export const DEFAULT_CERT_WARNING_DAYS = 30;

/** The host part of a URL (`https://[::1]:6443` -> `::1`). */
export function urlHost(url: string): string {
  const m = /^[a-z]+:\/\/(\[[^\]]+\]|[^:/]+)/i.exec(url);
  return (m?.[1] ?? "").replace(/^\[|\]$/g, "");
}

/** How a node reaches the apiserver, as far as certificates go: the host it names and who answers. */
export interface NodeRoute {
  host: string;
  url: string;
  /** the masters whose certificate a client on this node may be shown */
  servedBy: string[];
}

/**
 * Each node's route as far as certificates go. The masters that may answer its apiserver URL:
 * through an LB (localhost or external) any master; a master's local URL, that master; a direct
 * URL, the master whose address it names. Masters are read from the nodes' apiserver probe targets.
 */
export function routesOf(plans: ReadonlyMap<string, NodePlan>): Map<string, NodeRoute> {
  const masters = new Map<string, string>();
  for (const p of plans.values())
    for (const t of p.targets) if (t.kind === "apiserver" && t.host) masters.set(t.address, t.host);
  const all = [...new Set(masters.values())];
  const out = new Map<string, NodeRoute>();
  for (const [host, p] of plans) {
    // Only k8s-cluster hosts run clients of the apiserver (kubelet, kube-proxy): an etcd-only
    // or lb-only host is pointed at nothing a certificate must cover.
    if (!p.endpoints.groups.includes(GROUPS.cluster)) continue;
    const { url, via } = p.endpoints.apiserver;
    const name = urlHost(url);
    let served = all;
    // Plain HTTP (a master's insecure local port) shows no certificate.
    if (url.startsWith("http://")) served = [];
    else if (via === "local") served = [host];
    else if (via === "direct") {
      const port = Number(/:(\d+)$/.exec(url)?.[1] ?? 0);
      const m = masters.get(hostPort(canonicalIp(name), port)) ?? masters.get(hostPort(name, port));
      served = m ? [m] : all.slice(0, 1);
    }
    out.set(host, { host: name, url, servedBy: served });
  }
  return out;
}

/** A node's TLS standing against the masters' observed certificates. */
export function nodeTls(
  route: NodeRoute,
  certs: ReadonlyMap<string, CertSeen>,
  now: number,
  warningDays = DEFAULT_CERT_WARNING_DAYS,
): NodeTls {
  const seen = route.servedBy.flatMap((m) => {
    const c = certs.get(m);
    return c ? [[m, c] as const] : [];
  });
  if (seen.length === 0)
    return { covered: null, missing: [], caMismatch: false, expiresInDays: null, expiry: null };
  const missing = seen
    .filter(([, c]) => !covers(c, route.host))
    .map(([master]) => ({ master, name: route.host }));
  const days = Math.min(...seen.map(([, c]) => expiresInDays(c, now)));
  return {
    covered: missing.length === 0,
    missing,
    caMismatch: differentCAs(seen.map(([, c]) => c)),
    expiresInDays: days,
    expiry: days <= CERT_ALERT_DAYS ? "alert" : days <= warningDays ? "warning" : null,
  };
}

/** One name a change would point a node at that a master's observed certificate does not cover. */
export interface Uncovered {
  node: string;
  name: string;
  masters: string[];
}

/**
 * The names a topology change newly leaves uncovered: for each node, the host of its apiserver
 * URL after the change against every master that may serve it, where that master's certificate
 * has been observed. A node already pointed at an uncovered name before the change is not news
 * (the nodes listing shows it); a master never observed cannot be judged (`unobserved`).
 */
export function uncoveredByChange(
  before: ReadonlyMap<string, NodeRoute>,
  after: ReadonlyMap<string, NodeRoute>,
  certs: ReadonlyMap<string, CertSeen>,
): { uncovered: Uncovered[]; unobserved: string[] } {
  const uncovered: Uncovered[] = [];
  const unobserved = new Set<string>();
  const missingFor = (r: NodeRoute | undefined) =>
    new Set(
      (r?.servedBy ?? []).filter((m) => {
        const c = certs.get(m);
        return c !== undefined && !covers(c, r?.host ?? "");
      }),
    );
  for (const [node, r] of after) {
    for (const m of r.servedBy) if (!certs.has(m)) unobserved.add(m);
    const now = missingFor(r);
    const prev = before.get(node);
    const was = prev?.host === r.host ? missingFor(prev) : new Set<string>();
    const masters = [...now].filter((m) => !was.has(m)).sort();
    if (masters.length > 0) uncovered.push({ node, name: r.host, masters });
  }
  return { uncovered, unobserved: [...unobserved].sort() };
}

/** What fixes an uncovered name, in the terms of the tools that make apiserver certificates. */
export const SAN_ADVICE =
  "add the name to the apiservers' certificates (Kubespray: supplementary_addresses_in_ssl_keys, or apiserver_loadbalancer_domain_name for the LB name; kubeadm: apiServer.certSANs) and renew them, or pass force to apply anyway";

/** The fleet's certificate gauges: each master's seconds to expiry, and whether it covers each name nodes use through it. */
export function certificateGauges(
  routes: ReadonlyMap<string, NodeRoute>,
  certs: ReadonlyMap<string, CertSeen>,
  now: number,
): {
  expiry: Array<{ master: string; seconds: number }>;
  covered: Array<{ master: string; name: string; value: number }>;
} {
  const pairs = new Set<string>();
  for (const r of routes.values())
    for (const m of r.servedBy) if (certs.has(m)) pairs.add(JSON.stringify([m, r.host]));
  const masters = [...certs.keys()].filter((m) =>
    [...routes.values()].some((r) => r.servedBy.includes(m)),
  );
  return {
    expiry: masters.sort().map((master) => ({
      master,
      seconds: Math.round((Date.parse(certs.get(master)?.notAfter ?? "") - now) / 1000),
    })),
    covered: [...pairs].sort().map((p) => {
      const [master, name] = JSON.parse(p) as [string, string];
      const c = certs.get(master);
      return { master, name, value: c && covers(c, name) ? 1 : 0 };
    }),
  };
}
