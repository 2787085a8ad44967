import fc from "fast-check";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { compileCluster, type NodePlan } from "../../shared/bundle.ts";
import { sha256Hex } from "../../shared/hash.ts";
import { canonicalIp } from "../../shared/net.ts";
import type { Topology } from "../../shared/topology/schema.ts";
import { parseTopology } from "../../shared/topology/validate.ts";
import { run } from "../support/binaries.ts";
import { cluster, plans } from "../support/topologies.ts";

const kinds = (p: Map<string, NodePlan>, h: string) =>
  p.get(h)?.bundle.artifacts.map((a) => a.kind);

describe("bundles", () => {
  it("gives each node only the kinds its roles need (default: no LB)", () => {
    const p = plans(cluster());
    expect(Object.fromEntries([...p.keys()].map((h) => [h, kinds(p, h)]))).toEqual({
      e3: [],
      lb1: [],
      m1: ["endpoints", "hosts", "kubeconfig"],
      m2: ["endpoints", "hosts", "kubeconfig"],
      n1: ["endpoints", "etcd-proxy", "hosts", "kubeconfig"],
      n2: ["endpoints", "etcd-proxy", "hosts", "kubeconfig"],
    });
  });

  it("gives non-masters an nginx localhost LB, masters none", () => {
    const p = plans(cluster({ loadbalancer_apiserver_localhost: true }));
    expect(kinds(p, "n1")).toEqual(["endpoints", "etcd-proxy", "hosts", "kubeconfig", "nginx"]);
    expect(kinds(p, "m1")).toEqual(["endpoints", "hosts", "kubeconfig"]);
  });

  it("gives non-masters a HAProxy localhost LB when the type is haproxy", () => {
    const p = plans(
      cluster({ loadbalancer_apiserver_localhost: true, loadbalancer_apiserver_type: "haproxy" }),
    );
    expect(kinds(p, "n1")).toEqual(["endpoints", "etcd-proxy", "haproxy", "hosts", "kubeconfig"]);
  });

  it("gives the lb hosts the Kargo document's HAProxy and every k8s-cluster node the LB name", () => {
    const p = plans(cluster({ loadbalancer_apiserver: { address: "10.0.9.9", port: 8383 } }));
    expect(kinds(p, "lb1")).toEqual(["haproxy"]);
    for (const h of ["m1", "m2", "n1", "n2"]) {
      const hosts = p.get(h)?.bundle.artifacts.find((a) => a.kind === "hosts")?.content;
      expect(hosts).toContain("\n10.0.9.9 lb-apiserver.kubernetes.local\n");
    }
    expect(kinds(p, "e3")).toEqual([]);
  });

  it("needs no etcd proxy with multiaccess", () => {
    expect(kinds(plans(cluster({ etcd_multiaccess: true })), "n1")).toEqual([
      "endpoints",
      "hosts",
      "kubeconfig",
    ]);
  });

  it("hashes each artifact's content and the bundle's kinds and hashes", () => {
    const b = plans(cluster()).get("n1")?.bundle;
    for (const a of b?.artifacts ?? []) expect(a.sha256).toBe(sha256Hex(a.content));
    const lines = (b?.artifacts ?? []).map((a) => `${a.kind} ${a.sha256}\n`).join("");
    expect(b?.hash).toBe(sha256Hex(lines));
  });

  it("keeps a node's hash when the version changes but its content does not", () => {
    const a = plans(cluster(), 1).get("n1")?.bundle;
    const b = plans(cluster(), 2).get("n1")?.bundle;
    expect(b?.version).toBe(2);
    expect(b?.hash).toBe(a?.hash);
  });

  it("shares one bundle between nodes of the same role", () => {
    const p = plans(cluster({ loadbalancer_apiserver_localhost: true }));
    expect(p.get("n1")?.bundle.hash).toBe(p.get("n2")?.bundle.hash);
  });
});

/** Ports drawn mostly from the ones that clash (health 8081, etcd 2379, 443, 8080, 6443). */
const port = (min: number) =>
  fc.oneof(
    fc.constantFrom(8081, 2379, 443, 8080, 6443, ...(min === 0 ? [0] : [])),
    fc.integer({ min, max: 65535 }),
  );

/**
 * Random clusters: 1-5 masters, 1-5 etcd members, 0-30 nodes, random LB settings. Some are
 * refused (clashing ports): properties hold for every one the validator accepts.
 */
const arbCluster: fc.Arbitrary<Topology> = fc
  .record({
    masters: fc.integer({ min: 1, max: 5 }),
    etcd: fc.integer({ min: 1, max: 5 }),
    nodes: fc.integer({ min: 0, max: 30 }),
    v6: fc.boolean(),
    accessIps: fc.boolean(),
    vars: fc.record(
      {
        loadbalancer_apiserver_localhost: fc.boolean(),
        loadbalancer_apiserver_type: fc.constantFrom("nginx", "haproxy"),
        etcd_multiaccess: fc.boolean(),
        halo_profile: fc.constantFrom("kargo", "kubespray"),
        kube_apiserver_port: port(1),
        kube_apiserver_insecure_port: port(0),
        loadbalancer_apiserver_healthcheck_port: port(1),
        loadbalancer_apiserver: fc.record({
          address: fc.oneof(fc.ipV4(), fc.ipV6()),
          port: port(1),
        }),
      },
      { requiredKeys: [] },
    ),
  })
  .map(({ masters, etcd, nodes, v6, accessIps, vars }) => {
    const hosts: Topology["hosts"] = {};
    const name = (p: string, i: number) => `${p}${i}`;
    // Every spelling of one IPv6 address a user might write; all must render the same.
    const v6s = (i: number) => [
      `fd00::${(i + 1).toString(16)}`,
      `FD00:0:0:0:0:0:0:${(i + 1).toString(16)}`,
    ];
    const addr = (i: number) =>
      v6 ? { ip6: v6s(i)[i % 2] as string } : { ip: `10.1.${i >> 8}.${i & 255}` };
    let i = 0;
    const add = (n: string) => {
      hosts[n] = { ...addr(i), ...(accessIps ? { access_ip: `172.20.${i >> 8}.${i & 255}` } : {}) };
      i++;
    };
    const m = Array.from({ length: masters }, (_, k) => name("m", k));
    const e = Array.from({ length: etcd }, (_, k) => name("e", k));
    const n = Array.from({ length: nodes }, (_, k) => name("n", k));
    [...m, ...e, ...n].forEach(add);
    hosts.lb0 = { ip: "10.2.0.1" };
    return {
      hosts,
      groups: {
        "kube-master": { hosts: m, children: [] },
        etcd: { hosts: e, children: [] },
        "kube-node": { hosts: n, children: [] },
        lb: { hosts: ["lb0"], children: [] },
      },
      vars,
    };
  });

/** Reverses every object's key order: the topology means the same, so bundles must not change. */
function reorder(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reorder);
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value)
        .reverse()
        .map(([k, v]) => [k, reorder(v)]),
    );
  }
  return value;
}

/** The plans of an accepted topology; null when the validator refuses it (a clash). */
function compile(t: unknown): Map<string, NodePlan> | null {
  const parsed = parseTopology(t);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.error));
  const c = compileCluster(parsed.value, 7);
  if (!c.ok) {
    expect(c.error.every((i) => /port|equals|listen/.test(i.path + i.message))).toBe(true);
    return null;
  }
  return c.value;
}

const ADDRESS = /(?:\d{1,3}\.){3}\d{1,3}|\[[0-9a-f:]+\]|fd00::[0-9a-f]+/g;

const dir = mkdtempSync(join(tmpdir(), "halo-prop-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
/** Each distinct proxy config checked once by the real binary, across all runs. */
const checked = new Map<string, { code: number; output: string }>();
function realCheck(kind: string, content: string) {
  const key = sha256Hex(content);
  let r = checked.get(key);
  if (!r) {
    const file = join(dir, `${key}.conf`);
    writeFileSync(file, content);
    r = kind === "nginx" ? run("nginx", ["-t", "-c", file]) : run("haproxy", ["-c", "-f", file]);
    checked.set(key, r);
  }
  return r;
}

describe("bundles over random valid topologies", () => {
  it("are deterministic whatever the key order", () => {
    fc.assert(
      fc.property(arbCluster, (t) => {
        const a = compile(t);
        const b = compile(reorder(t));
        expect(b === null).toBe(a === null);
        if (a && b) expect([...b.entries()].sort()).toEqual([...a.entries()].sort());
      }),
      { numRuns: 150 },
    );
  });

  it("render proxy configs that pass the real nginx -t and haproxy -c whenever accepted", () => {
    fc.assert(
      fc.property(arbCluster, (t) => {
        for (const [, p] of compile(t) ?? []) {
          for (const a of p.bundle.artifacts) {
            if (a.kind !== "nginx" && a.kind !== "haproxy") continue;
            const r = realCheck(a.kind, a.content);
            expect(r.code, `${a.kind}:\n${a.content}\n${r.output}`).toBe(0);
          }
        }
      }),
      { numRuns: 60 },
    );
  });

  it("never make one host listen twice on a port (LB, health endpoint, etcd proxy)", () => {
    fc.assert(
      fc.property(arbCluster, (t) => {
        for (const [host, p] of compile(t) ?? []) {
          const ports = p.bundle.artifacts.flatMap((a) => [
            ...new Set(
              [...a.content.matchAll(/(?:listen|bind|LISTEN_ADDR=)\s*(\S+?);?$/gm)].map((m) =>
                (m[1] ?? "").split(":").pop(),
              ),
            ),
          ]);
          expect(ports.length, `${host}: ${ports.join(" ")}`).toBe(new Set(ports).size);
        }
      }),
      { numRuns: 150 },
    );
  });

  it("never render an empty upstream", () => {
    fc.assert(
      fc.property(arbCluster, (t) => {
        for (const [, p] of compile(t) ?? []) {
          for (const a of p.bundle.artifacts) {
            if (a.kind === "nginx") expect(a.content).toMatch(/\n {4}server \S+/);
            if (a.kind === "haproxy") expect(a.content).toMatch(/\n {2}server \S+ \S+/);
            if (a.kind === "etcd-proxy") expect(a.content).toMatch(/ETCD_GATEWAY_ENDPOINTS=\S+/);
          }
        }
      }),
      { numRuns: 150 },
    );
  });

  it("put no address in any artifact that the topology does not hold", () => {
    fc.assert(
      fc.property(arbCluster, (t) => {
        // Loopback, and the wildcards Kubespray's LB pods answer /healthz on.
        const known = new Set<string>(["127.0.0.1", "::1", "::", "0.0.0.0"]);
        const parsed = parseTopology(t);
        if (!parsed.ok) throw new Error("refused");
        for (const h of Object.values(parsed.value.hosts))
          for (const v of Object.values(h)) known.add(String(v));
        const lb = parsed.value.vars.loadbalancer_apiserver as { address: string } | undefined;
        if (lb) known.add(canonicalIp(lb.address));
        for (const [, p] of compile(t) ?? []) {
          for (const a of p.bundle.artifacts) {
            for (const found of a.content.match(ADDRESS) ?? []) {
              expect(known, `${a.kind}: ${found}`).toContain(found.replace(/^\[|\]$/g, ""));
            }
          }
        }
      }),
      { numRuns: 150 },
    );
  });
});
