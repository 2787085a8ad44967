import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { compileCluster } from "../../shared/bundle.ts";
import { importTopology } from "../../shared/topology/import.ts";

const example = (name: string) =>
  readFileSync(new URL(`../../examples/${name}`, import.meta.url), "utf8");

function imported(name: string, format: "ini" | "yaml") {
  const r = importTopology(example(name), format);
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  return r.value;
}

describe("Ansible inventory import", () => {
  it("reads the Kargo document's example cluster from INI and from YAML into the same topology", () => {
    expect(imported("kargo-cluster.ini", "ini")).toEqual(imported("kargo-cluster.yaml", "yaml"));
  });

  it("reads hosts, inline vars, groups, children and [all:vars] from INI", () => {
    const t = imported("kargo-cluster.ini", "ini");
    expect(t.hosts.node1).toEqual({ ip: "10.10.1.21", access_ip: "10.10.2.21" });
    expect(t.groups["kube-master"]).toEqual({ hosts: ["master1", "master2"], children: [] });
    expect(t.groups["k8s-cluster"]).toEqual({ hosts: [], children: ["kube-master", "kube-node"] });
    expect(t.vars).toEqual({
      apiserver_loadbalancer_domain_name: "lb-apiserver.kubernetes.local",
      loadbalancer_apiserver: { address: "10.10.1.100", port: 8383 },
    });
  });

  it("reads [group:vars] and host vars that are not addresses", () => {
    const r = importTopology(
      "[kube-master]\nm1 ip=10.0.0.1 etcd_member_name=etcd1\n[etcd]\nm1\n[kube-master:vars]\nkube_apiserver_port=6443\n",
      "ini",
    );
    expect(r.ok && r.value).toEqual({
      hosts: { m1: { ip: "10.0.0.1", vars: { etcd_member_name: "etcd1" } } },
      groups: {
        "kube-master": { hosts: ["m1"], children: [], vars: { kube_apiserver_port: "6443" } },
        etcd: { hosts: ["m1"], children: [] },
      },
      vars: {},
    });
  });

  it("folds the modern group names into the Kargo document's", () => {
    const t = imported("modern-cluster.yaml", "yaml");
    expect(Object.keys(t.groups).sort()).toEqual([
      "etcd",
      "k8s-cluster",
      "kube-master",
      "kube-node",
    ]);
    expect(t.groups["k8s-cluster"]?.children).toEqual(["kube-master", "kube-node"]);
  });

  it("gives the Kargo document's example cluster the Kargo document's endpoints", () => {
    const compiled = compileCluster(imported("kargo-cluster.ini", "ini"), 1);
    if (!compiled.ok) throw new Error(JSON.stringify(compiled.error));
    const api = (h: string) => compiled.value.get(h)?.endpoints.apiserver;
    expect(api("master1")).toEqual({
      url: "https://lb-apiserver.kubernetes.local:8383",
      via: "external-lb",
    });
    expect(api("node3")).toEqual({
      url: "https://lb-apiserver.kubernetes.local:8383",
      via: "external-lb",
    });
  });

  it.each([
    ["all:\n  vars:\n    __proto__: { kube_apiserver_port: 1 }\n", "all.vars.__proto__"],
    [
      "all:\n  hosts:\n    m1: { ip: 10.0.0.1, __proto__: { ip: 6.6.6.6 } }\n",
      "all.hosts.m1.__proto__",
    ],
  ])("refuses __proto__ in a YAML inventory with its path, as in JSON (%#)", (text, path) => {
    expect(importTopology(text, "yaml")).toEqual({
      ok: false,
      error: [{ path, message: "is a reserved name" }],
    });
  });

  it("accepts halo's JSON topology written as YAML", () => {
    const r = importTopology(
      "hosts: {m1: {ip: 10.0.0.1}}\ngroups:\n  kube-master: {hosts: [m1]}\n  etcd: {hosts: [m1]}\n",
      "yaml",
    );
    expect(r.ok).toBe(true);
  });
});
