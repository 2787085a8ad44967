import { describe, expect, it } from "vitest";
import { cluster, plan } from "../support/topologies.ts";

const EXTERNAL = { address: "10.0.9.9", port: 8383 };

/** The Kargo endpoint table, one row per cell: endpoint type x role -> URL and how it is reached. */
const TABLE = [
  // Local LB
  {
    row: "local LB",
    role: "kube-master",
    host: "m1",
    vars: { loadbalancer_apiserver_localhost: true },
    url: "http://localhost:8080",
    via: "local",
  },
  {
    row: "local LB",
    role: "non-master",
    host: "n1",
    vars: { loadbalancer_apiserver_localhost: true },
    url: "https://localhost:443",
    via: "localhost-lb",
  },
  // External LB, no internal
  {
    row: "external LB",
    role: "kube-master",
    host: "m1",
    vars: { loadbalancer_apiserver: EXTERNAL },
    url: "https://lb-apiserver.kubernetes.local:8383",
    via: "external-lb",
  },
  {
    row: "external LB",
    role: "non-master",
    host: "n1",
    vars: { loadbalancer_apiserver: EXTERNAL },
    url: "https://lb-apiserver.kubernetes.local:8383",
    via: "external-lb",
  },
  // No ext/int LB (default)
  {
    row: "default",
    role: "kube-master",
    host: "m2",
    vars: {},
    url: "http://localhost:8080",
    via: "local",
  },
  {
    row: "default",
    role: "non-master",
    host: "n1",
    vars: {},
    url: "https://10.0.0.1:443",
    via: "direct",
  },
] as const;

/** The rules under the table. */
const RULES = [
  {
    rule: "the external LB overrides the localhost LB",
    host: "n1",
    vars: { loadbalancer_apiserver: EXTERNAL, loadbalancer_apiserver_localhost: true },
    url: "https://lb-apiserver.kubernetes.local:8383",
    via: "external-lb",
  },
  {
    rule: "lp defers to sp",
    host: "n1",
    vars: { loadbalancer_apiserver: { address: "10.0.9.9" }, kube_apiserver_port: 6443 },
    url: "https://lb-apiserver.kubernetes.local:6443",
    via: "external-lb",
  },
  {
    rule: "lb is apiserver_loadbalancer_domain_name",
    host: "m1",
    vars: {
      loadbalancer_apiserver: EXTERNAL,
      apiserver_loadbalancer_domain_name: "api.example.internal",
    },
    url: "https://api.example.internal:8383",
    via: "external-lb",
  },
  {
    rule: "m[0] is the first kube-master",
    host: "n2",
    vars: {},
    url: "https://10.0.0.1:443",
    via: "direct",
  },
  {
    rule: "p and sp come from the vars",
    host: "m1",
    vars: { kube_apiserver_insecure_port: 8888, kube_apiserver_port: 6443 },
    url: "http://localhost:8888",
    via: "local",
  },
  {
    rule: "the insecure port disabled moves masters to https",
    host: "m1",
    vars: { kube_apiserver_insecure_port: 0 },
    url: "https://localhost:443",
    via: "local",
  },
  {
    rule: "the insecure port disabled also for a local LB master",
    host: "m2",
    vars: {
      kube_apiserver_insecure_port: 0,
      loadbalancer_apiserver_localhost: true,
      kube_apiserver_port: 6443,
    },
    url: "https://localhost:6443",
    via: "local",
  },
  {
    rule: "the kubespray profile: localhost LB on 6443",
    host: "n1",
    vars: { halo_profile: "kubespray" },
    url: "https://localhost:6443",
    via: "localhost-lb",
  },
  {
    rule: "the kubespray profile: masters on https://127.0.0.1 (bind address :: -> 127.0.0.1)",
    host: "m1",
    vars: { halo_profile: "kubespray" },
    url: "https://127.0.0.1:6443",
    via: "local",
  },
  {
    rule: "an explicit var wins over the profile",
    host: "n1",
    vars: { halo_profile: "kubespray", loadbalancer_apiserver_localhost: false },
    url: "https://10.0.0.1:6443",
    via: "direct",
  },
  {
    rule: "INI strings are read as their types",
    host: "n1",
    vars: { loadbalancer_apiserver_localhost: "True", kube_apiserver_port: "6443" },
    url: "https://localhost:6443",
    via: "localhost-lb",
  },
] as const;

describe("the Kargo document's endpoint table", () => {
  it.each(TABLE)("$row, $role: $url", ({ host, vars, url, via }) => {
    expect(plan(cluster(vars), host).endpoints.apiserver).toEqual({ url, via });
  });
  it.each(RULES)("$rule", ({ host, vars, url, via }) => {
    expect(plan(cluster(vars), host).endpoints.apiserver).toEqual({ url, via });
  });

  it("uses m[0]'s access_ip when it has one (aip defers to ip only without it)", () => {
    const t = cluster({});
    t.groups["kube-master"] = { hosts: ["m2", "m1"], children: [] };
    expect(plan(t, "n1").endpoints.apiserver).toEqual({
      url: "https://172.16.0.2:443",
      via: "direct",
    });
  });

  it("brackets an IPv6 m[0] in the URL", () => {
    const t = cluster({});
    t.hosts.m1 = { ip6: "fd00::1" };
    expect(plan(t, "n1").endpoints.apiserver.url).toBe("https://[fd00::1]:443");
  });

  it("uses the address the agent registered when the topology has no ip", async () => {
    const { compileCluster } = await import("../../shared/bundle.ts");
    const t = cluster({});
    t.hosts.m1 = {};
    const compiled = compileCluster(t, 1, { m1: "10.9.9.9" });
    expect(compiled.ok && compiled.value.get("n1")?.endpoints.apiserver.url).toBe(
      "https://10.9.9.9:443",
    );
  });
});

describe("etcd access endpoints", () => {
  it("gives members and proxied nodes http://127.0.0.1:2379 without multiaccess", () => {
    expect(plan(cluster(), "m1").endpoints.etcd).toEqual({
      endpoints: ["http://127.0.0.1:2379"],
      flannel: "http://127.0.0.1:2379",
      via: "member",
    });
    expect(plan(cluster(), "n1").endpoints.etcd).toEqual({
      endpoints: ["http://127.0.0.1:2379"],
      flannel: "http://127.0.0.1:2379",
      via: "proxy",
    });
  });

  it("lists every member by access_ip with multiaccess, and gives flannel exactly one", () => {
    expect(plan(cluster({ etcd_multiaccess: true }), "n1").endpoints.etcd).toEqual({
      endpoints: ["http://10.0.0.1:2379", "http://172.16.0.2:2379", "http://10.0.0.3:2379"],
      flannel: "http://10.0.0.1:2379",
      via: "direct",
    });
  });

  it("uses https for etcd in the kubespray profile", () => {
    expect(plan(cluster({ halo_profile: "kubespray" }), "n1").endpoints.etcd.flannel).toBe(
      "https://10.0.0.1:2379",
    );
  });

  it("points a non-member's etcd proxy at every member's aip:2379", () => {
    const proxy = plan(cluster(), "n1").bundle.artifacts.find((a) => a.kind === "etcd-proxy");
    expect(proxy?.content).toContain(
      "ETCD_GATEWAY_ENDPOINTS=10.0.0.1:2379,172.16.0.2:2379,10.0.0.3:2379\n",
    );
    expect(proxy?.content).toContain("ETCD_GATEWAY_LISTEN_ADDR=127.0.0.1:2379\n");
  });
});

describe("certificate SANs", () => {
  it("gives masters localhost, 127.0.0.1, the LB name and address and every master", () => {
    expect(plan(cluster({ loadbalancer_apiserver: EXTERNAL }), "m1").endpoints.certSANs).toEqual([
      "localhost",
      "127.0.0.1",
      "lb-apiserver.kubernetes.local",
      "10.0.9.9",
      "m1",
      "10.0.0.1",
      "m2",
      "10.0.0.2",
      "172.16.0.2",
    ]);
  });

  it("gives non-masters no SAN list", () => {
    expect(plan(cluster(), "n1").endpoints.certSANs).toBeUndefined();
  });
});
