import { X509Certificate } from "node:crypto";
import { describe, expect, it } from "vitest";
import { describeCert, kubeconfigCA, pemCertificates } from "../../agent/certs.ts";
import { compileCluster } from "../../shared/bundle.ts";
import { parseTopology } from "../../shared/topology/validate.ts";
import { covers, nodeTls, routesOf, uncoveredByChange, type CertSeen } from "../../shared/tls.ts";
import { issue, makeCA } from "../../scripts/certs.ts";

const cert = (dns: string[], ips: string[] = [], extra: Partial<CertSeen> = {}): CertSeen => ({
  fingerprint: Array(32).fill("AB").join(":"),
  dns,
  ips,
  issuer: "CN=kubernetes",
  ca: null,
  notAfter: "2027-01-01T00:00:00.000Z",
  ...extra,
});

describe("a certificate covers a host as TLS clients check it", () => {
  it("matches names case-insensitively, a trailing dot ignored", () => {
    const c = cert(["lb-apiserver.kubernetes.local", "localhost"]);
    expect(covers(c, "LB-apiserver.Kubernetes.local")).toBe(true);
    expect(covers(c, "lb-apiserver.kubernetes.local.")).toBe(true);
    expect(covers(c, "apiserver.kubernetes.local")).toBe(false);
  });

  it("lets a wildcard stand for exactly one left-most label", () => {
    const c = cert(["*.example.com"]);
    expect(covers(c, "lb.example.com")).toBe(true);
    expect(covers(c, "example.com")).toBe(false);
    expect(covers(c, "a.lb.example.com")).toBe(false);
    expect(covers(c, "lbexample.com")).toBe(false);
  });

  it("checks an IP only against IP SANs, never DNS names (Go and OpenSSL do the same)", () => {
    const c = cert(["10.0.0.1", "*.0.0.1"], ["127.0.0.1"]);
    expect(covers(c, "127.0.0.1")).toBe(true);
    expect(covers(c, "10.0.0.1")).toBe(false);
    expect(covers(cert([], ["10.0.0.1"]), "10.0.0.1")).toBe(true);
  });

  it("compares IPv6 addresses in any spelling, brackets or not", () => {
    const c = cert([], ["0:0:0:0:0:0:0:1", "fd00:0:0:0:0:0:0:10"]);
    expect(covers(c, "::1")).toBe(true);
    expect(covers(c, "[fd00::10]")).toBe(true);
    expect(covers(c, "fd00::11")).toBe(false);
    expect(covers(c, "localhost")).toBe(false);
  });
});

/** The Kargo document's cluster: two masters, a node, optionally an external LB by name. */
function plans(lb: boolean, localhost = true) {
  const t = parseTopology({
    hosts: {
      m1: { ip: "10.0.0.1" },
      m2: { ip: "10.0.0.2" },
      n1: { ip: "10.0.0.11" },
      e3: { ip: "10.0.0.3" },
    },
    groups: {
      "kube-master": { hosts: ["m1", "m2"], children: [] },
      etcd: { hosts: ["m1", "e3"], children: [] },
      "kube-node": { hosts: ["n1"], children: [] },
    },
    vars: {
      kube_apiserver_insecure_port: 0,
      loadbalancer_apiserver_localhost: localhost,
      ...(lb ? { loadbalancer_apiserver: { address: "10.0.0.100", port: 8443 } } : {}),
    },
  });
  if (!t.ok) throw new Error(JSON.stringify(t.error));
  const c = compileCluster(t.value, 1);
  if (!c.ok) throw new Error(JSON.stringify(c.error));
  return c.value;
}

describe("which masters answer a node, and whether they cover its name", () => {
  it("through an LB any master; a master's local URL, itself; a direct URL, the master it names", () => {
    const r = routesOf(plans(false));
    expect(r.get("n1")).toEqual({
      host: "localhost",
      url: "https://localhost:443",
      servedBy: ["m1", "m2"],
    });
    expect(r.get("m2")?.servedBy).toEqual(["m2"]);
    expect(routesOf(plans(false, false)).get("n1")).toMatchObject({
      host: "10.0.0.1",
      servedBy: ["m1"],
    });
    expect(routesOf(plans(true)).get("m1")).toMatchObject({
      host: "lb-apiserver.kubernetes.local",
      servedBy: ["m1", "m2"],
    });
    // An etcd-only host runs no apiserver client: nothing to cover.
    expect(routesOf(plans(false)).has("e3")).toBe(false);
  });

  it("names what a change newly leaves uncovered; masters never observed are not judged", () => {
    const certs = new Map([["m1", cert(["localhost"], ["127.0.0.1", "10.0.0.1"])]]);
    const { uncovered, unobserved } = uncoveredByChange(
      routesOf(plans(false)),
      routesOf(plans(true)),
      certs,
    );
    expect(unobserved).toEqual(["m2"]);
    expect(uncovered).toEqual(
      ["m1", "m2", "n1"].map((node) => ({
        node,
        name: "lb-apiserver.kubernetes.local",
        masters: ["m1"],
      })),
    );
    // Already pointed there before: not news, so not refused again.
    expect(
      uncoveredByChange(routesOf(plans(true)), routesOf(plans(true)), certs).uncovered,
    ).toEqual([]);
    // Once the certificate carries the name, nothing is uncovered.
    const renewed = new Map([["m1", cert(["localhost", "lb-apiserver.kubernetes.local"])]]);
    expect(
      uncoveredByChange(routesOf(plans(false)), routesOf(plans(true)), renewed).uncovered,
    ).toEqual([]);
  });

  it("gives a node's standing: missing names, CA mismatch, the soonest expiry as warning or alert", () => {
    const now = Date.parse("2026-12-01T00:00:00Z");
    const route = { host: "localhost", url: "https://localhost:6443", servedBy: ["m1", "m2"] };
    const m1 = cert(["localhost"], [], { notAfter: "2026-12-21T12:00:00.000Z", ca: "A" });
    const m2 = cert([], [], { notAfter: "2027-06-01T00:00:00.000Z", ca: "B" });
    expect(
      nodeTls(
        route,
        new Map([
          ["m1", m1],
          ["m2", m2],
        ]),
        now,
      ),
    ).toEqual({
      covered: false,
      missing: [{ master: "m2", name: "localhost" }],
      caMismatch: true,
      expiresInDays: 20,
      expiry: "warning",
    });
    const soon = { ...m1, notAfter: "2026-12-06T00:00:00.000Z", ca: "B" };
    expect(nodeTls(route, new Map([["m1", soon]]), now)).toMatchObject({
      covered: true,
      caMismatch: false,
      expiresInDays: 5,
      expiry: "alert",
    });
    expect(nodeTls(route, new Map(), now).covered).toBeNull();
    // The same issuer with and without a known CA fingerprint is one CA; two issuers are not.
    const a = cert(["localhost"], [], { issuer: "CN=ca-a", ca: null });
    const b = cert(["localhost"], [], { issuer: "CN=ca-b", ca: null });
    expect(
      nodeTls(
        route,
        new Map([
          ["m1", a],
          ["m2", a],
        ]),
        now,
      ).caMismatch,
    ).toBe(false);
    expect(
      nodeTls(
        route,
        new Map([
          ["m1", a],
          ["m2", b],
        ]),
        now,
      ).caMismatch,
    ).toBe(true);
  });
});

describe("what the agent reads from a certificate (node:crypto X509Certificate)", () => {
  const ca = makeCA("halo-unit-ca");
  const other = makeCA("another-ca");
  const leaf = issue(ca, ["localhost", "127.0.0.1", "::1", "lb.example"], 10);
  const x = new X509Certificate(leaf.cert);

  it("reports SANs, issuer, notAfter, and the CA it chains to when the node holds that CA", () => {
    const seen = describeCert(x, [], pemCertificates(other.cert + ca.cert));
    expect(seen).toMatchObject({
      fingerprint: x.fingerprint256,
      dns: ["localhost", "lb.example"],
      ips: ["127.0.0.1", "::1"],
      issuer: "CN=halo-unit-ca",
      ca: new X509Certificate(ca.cert).fingerprint256,
    });
    expect(Date.parse(seen.notAfter) - Date.now()).toBeGreaterThan(9 * 86_400_000);
  });

  it("takes the CA from a presented chain, and says unknown when nothing proves it", () => {
    const caX = new X509Certificate(ca.cert);
    expect(describeCert(x, [caX], []).ca).toBe(caX.fingerprint256);
    expect(describeCert(x, [], []).ca).toBeNull();
    // A CA that did not sign it is never claimed.
    expect(describeCert(x, [new X509Certificate(other.cert)], []).ca).toBeNull();
  });

  it("reads a kubeconfig's certificate-authority-data", () => {
    const kc = `clusters:\n- cluster:\n    certificate-authority-data: ${Buffer.from(ca.cert).toString("base64")}\n    server: https://x:6443\n`;
    expect(kubeconfigCA(kc)).toBe(ca.cert);
    expect(kubeconfigCA("clusters: []\n")).toBeNull();
  });
});
