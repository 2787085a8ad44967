import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { addressGaps, compileCluster } from "../../shared/bundle.ts";
import { importTopology, type TopologyFormat } from "../../shared/topology/import.ts";
import { parseTopology } from "../../shared/topology/validate.ts";
import { run } from "../support/binaries.ts";
import { cluster, plans } from "../support/topologies.ts";

const dir = mkdtempSync(join(tmpdir(), "halo-odd-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const PROTOTYPE_NAMES = ["constructor", "toString", "hasOwnProperty", "valueOf"];

/** What storage does to a version: JSON out, JSON in, validated again. */
function reloads(text: string, format: TopologyFormat) {
  const first = importTopology(text, format);
  if (!first.ok) return { first, again: first };
  const again = parseTopology(JSON.parse(JSON.stringify(first.value)));
  return { first, again };
}

describe("names that are also Object.prototype's", () => {
  it.each(PROTOTYPE_NAMES)("a JSON group named %s is kept and reloads unchanged", (name) => {
    const t = cluster({}, { groups: { [name]: { hosts: ["n1"], children: [] } } });
    const { first, again } = reloads(JSON.stringify(t), "json");
    expect(first.ok).toBe(true);
    expect(again).toEqual(first);
    if (first.ok) expect(compileCluster(first.value, 1).ok).toBe(true);
  });

  it.each(PROTOTYPE_NAMES)("an INI section [%s] is kept and reloads unchanged", (name) => {
    const ini = `[kube-master]\nm1 ip=10.0.0.1\n[etcd]\nm1\n[kube-node]\nn1 ip=10.0.1.1\n[${name}]\nn1\n[${name}:vars]\nfoo=bar\n`;
    const { first, again } = reloads(ini, "ini");
    expect(first.ok).toBe(true);
    expect(again).toEqual(first);
    if (first.ok)
      expect(first.value.groups[name]).toEqual({
        hosts: ["n1"],
        children: [],
        vars: { foo: "bar" },
      });
  });

  it.each(PROTOTYPE_NAMES)("a YAML group named %s is kept and reloads unchanged", (name) => {
    const yaml = `all:\n  children:\n    kube-master:\n      hosts:\n        m1: {ip: 10.0.0.1}\n    etcd:\n      hosts:\n        m1:\n    ${name}:\n      hosts:\n        m1:\n`;
    const { first, again } = reloads(yaml, "yaml");
    expect(first.ok).toBe(true);
    expect(again).toEqual(first);
  });

  it.each(PROTOTYPE_NAMES)("a kube-node host named %s without an ip compiles", (name) => {
    const t = cluster(
      {},
      { hosts: { [name]: {} }, groups: { "kube-node": { hosts: ["n1", name], children: [] } } },
    );
    const p = plans(t);
    expect(p.get(name)?.endpoints.apiserver).toEqual({
      url: "https://10.0.0.1:443",
      via: "direct",
    });
  });

  it.each(PROTOTYPE_NAMES)("a master named %s without an ip is pending, by its name", (name) => {
    const t = cluster(
      {},
      { hosts: { [name]: {} }, groups: { "kube-master": { hosts: ["m1", name], children: [] } } },
    );
    const parsed = parseTopology(t);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(addressGaps(parsed.value).map((g) => [g.host, g.reason])).toEqual([[name, "address"]]);
    const compiled = compileCluster(parsed.value, 1);
    expect(compiled.ok && [...compiled.value.keys()]).not.toContain(name);
  });

  it("refuses a group or var named __proto__", () => {
    const doc = `{"hosts":{"m1":{"ip":"10.0.0.1"}},"groups":{"kube-master":{"hosts":["m1"]},"etcd":{"hosts":["m1"]},"__proto__":{"hosts":["m1"]}},"vars":{"__proto__":{"x":1}}}`;
    const r = importTopology(doc, "json");
    expect(r.ok).toBe(false);
    expect(r.ok ? [] : r.error).toEqual([
      { path: "vars.__proto__", message: "is a reserved name" },
    ]);
    expect(({} as Record<string, unknown>).hosts).toBeUndefined();
  });
});

describe("input shaped to exhaust the validator", () => {
  it("refuses JSON nested 10,000 deep with the path where it goes too deep", () => {
    const deep = '{"x":'.repeat(10_000) + "1" + "}".repeat(10_000);
    const doc = `{"hosts":{"m1":{"ip":"10.0.0.1","vars":{"v":${deep}}}},"groups":{}}`;
    const r = importTopology(doc, "json");
    expect(r.ok).toBe(false);
    expect(r.ok ? "" : r.error[0]?.message).toMatch(/nests deeper than 32 levels/);
    expect(r.ok ? "" : r.error[0]?.path).toMatch(/^hosts\.m1\.vars\.v(\.x)+$/);
  });

  it("refuses YAML nested 10,000 deep", () => {
    const yaml = "all:\n  vars:\n    v: " + "[".repeat(10_000) + "]".repeat(10_000) + "\n";
    const r = importTopology(yaml, "yaml");
    expect(r.ok).toBe(false);
  });

  it("refuses a chain of 20,000 groups, naming the nesting limit", () => {
    const groups: Record<string, { hosts: string[]; children: string[] }> = {
      "kube-master": { hosts: ["m1"], children: [] },
      etcd: { hosts: ["m1"], children: [] },
    };
    for (let i = 0; i < 20_000; i++)
      groups[`g${i}`] = { hosts: [], children: i < 19_999 ? [`g${i + 1}`] : [] };
    const r = parseTopology({ hosts: { m1: { ip: "10.0.0.1" } }, groups, vars: {} });
    expect(r.ok).toBe(false);
    expect(r.ok ? "" : r.error[0]?.message).toBe("groups nest more than 64 levels deep");
  });

  it("still names a cycle in children", () => {
    const t = cluster(
      {},
      { groups: { a: { hosts: [], children: ["b"] }, b: { hosts: [], children: ["a"] } } },
    );
    const r = parseTopology(t);
    expect(r.ok ? [] : r.error.map((i) => i.message)).toContain("cycle in children: a -> b -> a");
  });
});

/** Topologies that validate field by field but could not work once rendered. */
const CLASHES: Array<[string, Record<string, unknown>, string, RegExp]> = [
  [
    "kube_apiserver_port equal to the LB health port",
    { loadbalancer_apiserver_localhost: true, kube_apiserver_port: 8081 },
    "loadbalancer_apiserver_healthcheck_port",
    /is 8081, as is kube_apiserver_port: n1 would listen twice/,
  ],
  [
    "the VIP's port equal to the LB health port",
    { loadbalancer_apiserver: { address: "10.0.9.9", port: 8081 } },
    "loadbalancer_apiserver_healthcheck_port",
    /is 8081, as is loadbalancer_apiserver.port: lb1/,
  ],
  [
    "the localhost LB on the etcd proxy's port",
    { loadbalancer_apiserver_localhost: true, kube_apiserver_port: 2379 },
    "the etcd proxy",
    /is 2379, as is kube_apiserver_port/,
  ],
  [
    "the insecure port equal to the secure one",
    { kube_apiserver_port: 8080, kube_apiserver_insecure_port: 8080 },
    "kube_apiserver_port",
    /is 8080, as is kube_apiserver_insecure_port: m1/,
  ],
  [
    "the LB name localhost",
    {
      apiserver_loadbalancer_domain_name: "localhost",
      loadbalancer_apiserver: { address: "10.0.9.9" },
    },
    "vars.apiserver_loadbalancer_domain_name",
    /must not be localhost/,
  ],
  [
    "an all-numeric LB name",
    {
      apiserver_loadbalancer_domain_name: "10.0.9",
      loadbalancer_apiserver: { address: "10.0.9.9" },
    },
    "vars.apiserver_loadbalancer_domain_name",
    /all-numeric/,
  ],
];

describe("semantic validation", () => {
  it.each(CLASHES)("refuses %s", (_name, vars, path, message) => {
    const parsed = parseTopology(cluster(vars));
    const issues = !parsed.ok
      ? parsed.error
      : (() => {
          const c = compileCluster(parsed.value, 1);
          return c.ok ? [] : c.error;
        })();
    const hit = issues.find((i) => i.path === path);
    expect(hit, JSON.stringify(issues)).toBeDefined();
    expect(hit?.message).toMatch(message);
  });

  it("stores an IPv6 literal in its canonical spelling, which nginx and HAProxy accept", () => {
    const t = cluster({ loadbalancer_apiserver_localhost: true });
    t.hosts.m1 = { ip6: "1:2:3:4:5:6:7::" };
    t.hosts.m2 = { ip: "10.0.0.2", access_ip6: "FD00:0:0::2" };
    const parsed = parseTopology(t);
    expect(parsed.ok && parsed.value.hosts.m1).toEqual({ ip6: "1:2:3:4:5:6:7:0" });
    expect(parsed.ok && parsed.value.hosts.m2).toEqual({ ip: "10.0.0.2", access_ip6: "fd00::2" });
    const nginx = [...plans(t).values()]
      .flatMap((p) => p.bundle.artifacts)
      .find((a) => a.kind === "nginx");
    expect(nginx?.content).toContain("server [1:2:3:4:5:6:7:0]:443");
    const file = join(dir, "v6.conf");
    writeFileSync(file, nginx?.content ?? "");
    const r = run("nginx", ["-t", "-c", file]);
    expect(r.code, r.output).toBe(0);
  });
});
