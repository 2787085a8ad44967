import type { X509Certificate } from "node:crypto";
import { readOrNull } from "./fs-atomic.ts";
import { withRoot } from "./plan.ts";
import { canonicalIp, isIp } from "../shared/net.ts";
import type { CertSeen } from "../shared/tls.ts";

type Peer = { raw?: Buffer; issuerCertificate?: Peer } | null;

/**
 * node:crypto's X509Certificate, loaded the first time a certificate is read: an agent that
 * never sees one does not carry the module.
 */
const x509 = (pem: string | Buffer): X509Certificate =>
  new (process.getBuiltinModule("node:crypto").X509Certificate)(pem);

/** Every certificate of a PEM bundle (a CA file may hold several). */
export function pemCertificates(pem: string | null): X509Certificate[] {
  const out: X509Certificate[] = [];
  for (const m of (pem ?? "").matchAll(
    /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g,
  )) {
    try {
      out.push(x509(m[0]));
    } catch {
      // Not a certificate: nothing to compare against.
    }
  }
  return out;
}

const issued = (ca: X509Certificate, cert: X509Certificate) => {
  try {
    return cert.checkIssued(ca) && cert.verify(ca.publicKey);
  } catch {
    return false;
  }
};

/**
 * What a certificate says, as halo reports it: SANs (IPs in one spelling), issuer, notAfter,
 * and the CA it chains to. The CA is one of `known` that signed it (the node's own copies of
 * the cluster CA), else the self-signed top of the chain the server presented, else unknown.
 */
export function describeCert(
  leaf: X509Certificate,
  chain: X509Certificate[],
  known: X509Certificate[],
): CertSeen {
  const dns: string[] = [];
  const ips: string[] = [];
  for (const part of (leaf.subjectAltName ?? "").split(/,\s*/)) {
    if (part.startsWith("DNS:")) dns.push(part.slice(4));
    else if (part.startsWith("IP Address:")) {
      const ip = part.slice(11);
      ips.push(isIp(ip) ? canonicalIp(ip) : ip);
    }
  }
  let ca = known.find((c) => issued(c, leaf)) ?? null;
  if (ca === null) {
    const top = chain[chain.length - 1] ?? leaf;
    const signs = chain.length > 0 ? issued(top, chain[chain.length - 2] ?? leaf) : true;
    if (issued(top, top) && signs) ca = top;
  }
  return {
    fingerprint: leaf.fingerprint256,
    dns: dns.slice(0, 100).map((d) => d.slice(0, 253)),
    ips: ips.slice(0, 100).map((d) => d.slice(0, 45)),
    issuer: leaf.issuer.replace(/\n/g, ", ").slice(0, 300),
    ca: ca?.fingerprint256 ?? null,
    notAfter: new Date(leaf.validTo).toISOString(),
  };
}

const seen = new WeakMap<object, CertSeen | null>();

/**
 * The certificate a TLS socket's server presented, described; cached per socket (a kept-alive
 * connection shows the same certificate for its life). Null when there is none to read. Takes
 * node's TLSSocket and Bun's own socket alike: Bun's `getPeerCertificate` gives the chain the
 * server sent when asked for the abbreviated form (`false`), node's when asked for `true`.
 */
export function peerCert(socket: unknown, known: X509Certificate[]): CertSeen | null {
  const s = socket as { getPeerCertificate?: (detailed: boolean) => unknown } | null;
  if (s === null || typeof s?.getPeerCertificate !== "function") return null;
  const hit = seen.get(s);
  if (hit !== undefined) return hit;
  let out: CertSeen | null = null;
  try {
    const bunSocket = typeof (s as { terminate?: unknown }).terminate === "function";
    const peer = s.getPeerCertificate(!bunSocket) as Peer;
    if (peer?.raw) {
      const leaf = x509(peer.raw);
      const chain: X509Certificate[] = [];
      let p = peer.issuerCertificate;
      let last: Peer | undefined = peer;
      while (p?.raw && p !== last && chain.length < 8) {
        chain.push(x509(p.raw));
        last = p;
        p = p.issuerCertificate;
      }
      out = describeCert(leaf, chain, known);
    }
  } catch {
    out = null;
  }
  seen.set(s, out);
  return out;
}

/** The CA a kubeconfig names: `certificate-authority-data` (base64 PEM), as kubelet reads it. */
export function kubeconfigCA(text: string | null): string | null {
  const m = /^\s*certificate-authority-data:\s*["']?([A-Za-z0-9+/=]+)["']?\s*$/m.exec(text ?? "");
  if (!m?.[1]) return null;
  const pem = Buffer.from(m[1], "base64").toString("utf8");
  return pem.includes("BEGIN CERTIFICATE") ? pem : null;
}

/**
 * A master's own serving certificate, from the first of `paths` (under `root`) that holds one:
 * what it serves, known before any node has probed it. Null on other nodes.
 */
export function servedCert(root: string, paths: readonly string[], known: X509Certificate[]) {
  for (const p of paths) {
    const certs = pemCertificates(readOrNull(withRoot(root, p)));
    const leaf = certs[0];
    if (leaf) return describeCert(leaf, certs.slice(1), known);
  }
  return null;
}
