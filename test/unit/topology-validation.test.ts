import { describe, expect, it } from "vitest";
import { addressGaps, compileCluster } from "../../shared/bundle.ts";
import { importTopology } from "../../shared/topology/import.ts";
import { parseTopology } from "../../shared/topology/validate.ts";
import { cluster } from "../support/topologies.ts";

type Mutate = (t: ReturnType<typeof cluster>) => void;

/** Hostile or broken topologies, each with the field path the error must name. */
const BAD: Array<{ name: string; mutate: Mutate; path: string; message?: RegExp }> = [
  {
    name: "a host name with a newline",
    mutate: (t) => void (t.hosts["n3\nserver 6.6.6.6"] = {}),
    path: "hosts.n3\nserver 6.6.6.6",
  },
  {
    name: "a host name with a semicolon",
    mutate: (t) => void (t.hosts["evil;"] = {}),
    path: "hosts.evil;",
  },
  {
    name: "a host name with a brace",
    mutate: (t) => void (t.hosts["evil{"] = {}),
    path: "hosts.evil{",
  },
  {
    name: "a host name with a space",
    mutate: (t) => void (t.hosts["evil host"] = {}),
    path: "hosts.evil host",
  },
  {
    name: "a host name with a comment char",
    mutate: (t) => void (t.hosts["evil#x"] = {}),
    path: "hosts.evil#x",
  },
  {
    name: "a host name starting with a hyphen",
    mutate: (t) => void (t.hosts["-n"] = {}),
    path: "hosts.-n",
  },
  {
    name: "a host name label over 63 chars",
    mutate: (t) => void (t.hosts["a".repeat(64)] = {}),
    path: `hosts.${"a".repeat(64)}`,
  },
  {
    name: "an ip that is not an IP literal",
    mutate: (t) => void (t.hosts.n1 = { ip: "10.0.0.256" }),
    path: "hosts.n1.ip",
    message: /IPv4 or IPv6/,
  },
  {
    name: "an ip that is a host name",
    mutate: (t) => void (t.hosts.n1 = { ip: "example.com" }),
    path: "hosts.n1.ip",
  },
  {
    name: "an access_ip with a directive injected",
    mutate: (t) => void (t.hosts.n1 = { access_ip: "10.0.0.1;\n server 6.6.6.6:443" }),
    path: "hosts.n1.access_ip",
  },
  {
    name: "an ip6 that is IPv4",
    mutate: (t) => void (t.hosts.n1 = { ip6: "10.0.0.1" }),
    path: "hosts.n1.ip6",
  },
  {
    name: "an IPv6 with two '::'",
    mutate: (t) => void (t.hosts.n1 = { ip6: "fd00::1::2" }),
    path: "hosts.n1.ip6",
  },
  {
    name: "an unknown host field",
    mutate: (t) => void (t.hosts.n1 = { ...t.hosts.n1, port: 22 } as never),
    path: "hosts.n1",
  },
  {
    name: "port 0 for the apiserver",
    mutate: (t) => void (t.vars.kube_apiserver_port = 0),
    path: "vars.kube_apiserver_port",
    message: /port from 1 to 65535/,
  },
  {
    name: "port 70000 for the apiserver",
    mutate: (t) => void (t.vars.kube_apiserver_port = 70000),
    path: "vars.kube_apiserver_port",
  },
  {
    name: "a port that is not a number",
    mutate: (t) => void (t.vars.kube_apiserver_insecure_port = "80; evil"),
    path: "vars.kube_apiserver_insecure_port",
  },
  {
    name: "an LB port of 70000",
    mutate: (t) => void (t.vars.loadbalancer_apiserver = { address: "10.0.0.9", port: 70000 }),
    path: "vars.loadbalancer_apiserver.port",
  },
  {
    name: "an LB address that is a name",
    mutate: (t) => void (t.vars.loadbalancer_apiserver = { address: "lb.example" }),
    path: "vars.loadbalancer_apiserver.address",
  },
  {
    name: "an LB domain name with a newline",
    mutate: (t) => void (t.vars.apiserver_loadbalancer_domain_name = "lb\n6.6.6.6 evil"),
    path: "vars.apiserver_loadbalancer_domain_name",
  },
  {
    name: "an LB domain name with a semicolon",
    mutate: (t) => void (t.vars.apiserver_loadbalancer_domain_name = "lb;evil"),
    path: "vars.apiserver_loadbalancer_domain_name",
  },
  {
    name: "an LB domain name with a space",
    mutate: (t) => void (t.vars.apiserver_loadbalancer_domain_name = "lb evil"),
    path: "vars.apiserver_loadbalancer_domain_name",
  },
  {
    name: "an LB domain name with a comment char",
    mutate: (t) => void (t.vars.apiserver_loadbalancer_domain_name = "lb#x"),
    path: "vars.apiserver_loadbalancer_domain_name",
  },
  {
    name: "an LB domain name with a brace",
    mutate: (t) => void (t.vars.apiserver_loadbalancer_domain_name = "lb{"),
    path: "vars.apiserver_loadbalancer_domain_name",
  },
  {
    name: "an unknown LB type",
    mutate: (t) => void (t.vars.loadbalancer_apiserver_type = "envoy"),
    path: "vars.loadbalancer_apiserver_type",
  },
  {
    name: "a boolean var that is not a boolean",
    mutate: (t) => void (t.vars.etcd_multiaccess = "maybe"),
    path: "vars.etcd_multiaccess",
  },
  {
    name: "an unknown profile",
    mutate: (t) => void (t.vars.halo_profile = "openshift"),
    path: "vars.halo_profile",
  },
  {
    name: "any var with a newline",
    mutate: (t) => void (t.vars.my_note = "a\nb"),
    path: "vars.my_note",
    message: /control characters/,
  },
  {
    name: "a bad var in a group's vars",
    mutate: (t) =>
      void (t.groups["kube-node"] = {
        hosts: ["n1"],
        children: [],
        vars: { kube_apiserver_port: 0 },
      }),
    path: "groups.kube-node.vars.kube_apiserver_port",
  },
  {
    name: "a bad var in a host's vars",
    mutate: (t) => void (t.hosts.n1 = { vars: { loadbalancer_apiserver_localhost: "sometimes" } }),
    path: "hosts.n1.vars.loadbalancer_apiserver_localhost",
  },
  {
    name: "a group that names a missing host",
    mutate: (t) => void t.groups["kube-node"]?.hosts.push("ghost"),
    path: "groups.kube-node.hosts.2",
    message: /unknown host 'ghost'/,
  },
  {
    name: "a host listed twice in a group",
    mutate: (t) => void t.groups["kube-node"]?.hosts.push("n1"),
    path: "groups.kube-node.hosts.2",
    message: /twice/,
  },
  {
    name: "a child that names a missing group",
    mutate: (t) => void t.groups["k8s-cluster"]?.children.push("calico-rr"),
    path: "groups.k8s-cluster.children.2",
    message: /unknown group/,
  },
  {
    name: "a cycle in children",
    mutate: (t) =>
      void (
        (t.groups.a = { hosts: [], children: ["b"] }),
        (t.groups.b = { hosts: [], children: ["a"] })
      ),
    path: "groups.a.children",
    message: /cycle/,
  },
  {
    name: "a group name with a space",
    mutate: (t) => void (t.groups["bad group"] = { hosts: [], children: [] }),
    path: "groups.bad group",
  },
  {
    name: "no kube-master",
    mutate: (t) => void (t.groups["kube-master"] = { hosts: [], children: [] }),
    path: "groups.kube-master",
    message: /at least one kube-master/,
  },
  {
    name: "no etcd member (an empty etcd upstream)",
    mutate: (t) => void delete t.groups.etcd,
    path: "groups.etcd",
    message: /etcd member/,
  },
  {
    name: "an alias and its canonical group both",
    mutate: (t) => {
      t.groups.kube_control_plane = { hosts: ["m1"], children: [] };
      t.vars.halo_profile = "kargo";
    },
    path: "groups.kube_control_plane",
  },
  {
    name: "two host names equal but for case",
    mutate: (t) => void (t.hosts.N1 = {}),
    path: "hosts.N1",
    message: /ignore case/,
  },
];

describe("topology validation refuses hostile and broken input", () => {
  it.each(BAD)("refuses $name", ({ mutate, path, message }) => {
    const t = cluster();
    mutate(t);
    const r = parseTopology(t);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const hit = r.error.find((i) => i.path === path);
    expect(hit, JSON.stringify(r.error)).toBeDefined();
    if (message) expect(hit?.message).toMatch(message);
  });

  it("holds a master without any address as pending: left out of upstreams, etcd and SANs", () => {
    const t = cluster({ loadbalancer_apiserver_localhost: true });
    t.hosts.m2 = {};
    const parsed = parseTopology(t);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(addressGaps(parsed.value)).toEqual([
      {
        host: "m2",
        reason: "address",
        detail:
          "pending address: a kube-master and etcd member without ip; its agent's join gives it one",
      },
    ]);
    const compiled = compileCluster(parsed.value, 1);
    expect(compiled.ok).toBe(true);
    if (!compiled.ok) return;
    expect([...compiled.value.keys()].sort()).toEqual(["e3", "lb1", "m1", "n1", "n2"]);
    const n1 = compiled.value.get("n1");
    const nginx = n1?.bundle.artifacts.find((a) => a.kind === "nginx")?.content ?? "";
    expect(nginx).toContain("server 10.0.0.1:443");
    expect(nginx).not.toContain("# m2");
    expect(compiled.value.get("m1")?.endpoints.certSANs).not.toContain("172.16.0.2");
    // The join fills the address: m2 is back in every upstream.
    const joined = compileCluster(
      { ...parsed.value, hosts: { ...t.hosts, m2: { ip: "10.0.0.2" } } },
      2,
    );
    expect(
      joined.ok &&
        joined.value.get("n1")?.bundle.artifacts.find((a) => a.kind === "nginx")?.content,
    ).toContain("server 10.0.0.2:443");
  });

  it("makes the other hosts wait while no master or etcd member has an address", () => {
    const t = cluster();
    for (const h of ["m1", "m2", "e3"]) t.hosts[h] = {};
    const parsed = parseTopology(t);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.error));
    const gaps = Object.fromEntries(addressGaps(parsed.value).map((g) => [g.host, g.reason]));
    expect(gaps).toEqual({
      m1: "address",
      m2: "address",
      e3: "address",
      n1: "master-address",
      n2: "master-address",
      lb1: "master-address",
    });
    const compiled = compileCluster(parsed.value, 1);
    expect(compiled.ok && compiled.value.size).toBe(0);
  });

  it("accepts the fixture unchanged", () => {
    expect(parseTopology(cluster()).ok).toBe(true);
  });
});

describe("inventory import refuses broken INI and YAML with a line", () => {
  it.each([
    ["a host range", "[kube-node]\nnode[1:3]\n", "line.2"],
    ["a broken section header", "[kube-node\nn1\n", "line.1"],
    ["a var line without '='", "[all:vars]\nkube_apiserver_port\n", "line.2"],
    ["an unterminated quote", "[all]\nn1 ip='10.0.0.1\n", "line.2"],
  ])("INI: refuses %s", (_name, text, path) => {
    const r = importTopology(text, "ini");
    expect(r.ok ? [] : r.error.map((i) => i.path)).toContain(path);
  });

  it("YAML: refuses a document that does not parse, naming its line", () => {
    const r = importTopology("all:\n  hosts:\n    n1: {ip: [\n", "yaml");
    expect(r.ok).toBe(false);
    expect(r.ok ? "" : r.error[0]?.message).toMatch(/invalid YAML/);
  });

  it("YAML: refuses an unknown key in a group", () => {
    const r = importTopology("all:\n  children:\n    etcd:\n      host: {}\n", "yaml");
    expect(r.ok ? [] : r.error.map((i) => i.path)).toContain("all.children.etcd.host");
  });

  it("JSON: refuses a body that does not parse", () => {
    const r = importTopology("{", "json");
    expect(r.ok ? "" : r.error[0]?.path).toBe("body");
  });
});
