import { describe, expect, it } from "vitest";
import { readDir } from "../../cli/inventory-dir.ts";
import { compileCluster, type NodePlan } from "../../shared/bundle.ts";
import { importTopology } from "../../shared/topology/import.ts";
import { readInventoryDir } from "../../shared/topology/inventory-dir.ts";
import type { ProfileChoice } from "../../shared/topology/profile.ts";
import { parseTopology } from "../../shared/topology/validate.ts";

/**
 * Kubespray's own rules, at kubernetes-sigs/kubespray 46dbdd399,
 * roles/kubespray_defaults/defaults/main/main.yml (KSD below), each beside halo's result.
 */
const KSD = "roles/kubespray_defaults/defaults/main/main.yml";

/** The docs example (docs/ansible/inventory.md), modern names, no halo_profile. */
const DOCS_EXAMPLE = `node1 ansible_host=95.54.0.12 ip=10.3.0.1
node2 ansible_host=95.54.0.13 ip=10.3.0.2
node3 ansible_host=95.54.0.14 ip=10.3.0.3
node4 ansible_host=95.54.0.15 ip=10.3.0.4
node5 ansible_host=95.54.0.16 ip=10.3.0.5
node6 ansible_host=95.54.0.17 ip=10.3.0.6

[kube_control_plane]
node1
node2

[etcd]
node1
node2
node3

[kube_node]
node2
node3
node4
node5
node6
`;

function compile(ini: string, vars = ""): Map<string, NodePlan> {
  const t = importTopology(ini + (vars ? `\n[all:vars]\n${vars}\n` : ""), "ini");
  if (!t.ok) throw new Error(JSON.stringify(t.error));
  const c = compileCluster(t.value, 1);
  if (!c.ok) throw new Error(JSON.stringify(c.error));
  return c.value;
}

const ROWS: Array<{
  rule: string;
  kubespray: string;
  vars?: string;
  host: string;
  url: string;
  via: string;
}> = [
  {
    rule: "a node dials its localhost LB by default (no external LB)",
    kubespray: `${KSD}:669 loadbalancer_apiserver_localhost: "{{ loadbalancer_apiserver is not defined }}"; :684-685 https://localhost:{{ loadbalancer_apiserver_port | default(kube_apiserver_port) }}`,
    host: "node4",
    url: "https://localhost:6443",
    via: "localhost-lb",
  },
  {
    rule: "the localhost LB listens on loadbalancer_apiserver_port",
    kubespray: `${KSD}:685 https://localhost:{{ loadbalancer_apiserver_port | default(kube_apiserver_port) }}`,
    vars: "loadbalancer_apiserver_port=8443",
    host: "node4",
    url: "https://localhost:8443",
    via: "localhost-lb",
  },
  {
    rule: "a control-plane node dials its own apiserver on 127.0.0.1",
    kubespray: `${KSD}:686-687 https://{{ kube_apiserver_bind_address | regex_replace('::', '127.0.0.1') }}:{{ kube_apiserver_port }} (bind address '::', :308; port 6443, :311)`,
    host: "node2",
    url: "https://127.0.0.1:6443",
    via: "local",
  },
  {
    rule: "an external LB without a name is dialled by its address",
    kubespray: `${KSD}:672 apiserver_loadbalancer_domain_name: loadbalancer_apiserver.address; :682-683 https://{{ apiserver_loadbalancer_domain_name }}:{{ loadbalancer_apiserver.port | default(kube_apiserver_port) }}`,
    vars: 'loadbalancer_apiserver={"address": "10.3.0.100", "port": 8383}',
    host: "node4",
    url: "https://10.3.0.100:8383",
    via: "external-lb",
  },
  {
    rule: "an external LB with a name, its port defaulting to the apiserver's",
    kubespray: `${KSD}:683 https://{{ apiserver_loadbalancer_domain_name }}:{{ loadbalancer_apiserver.port | default(kube_apiserver_port) }}`,
    vars: 'loadbalancer_apiserver={"address": "10.3.0.100"}\napiserver_loadbalancer_domain_name=lb.example.internal',
    host: "node1",
    url: "https://lb.example.internal:6443",
    via: "external-lb",
  },
  {
    rule: "the localhost LB turned off: nodes dial the first control-plane node",
    kubespray: `${KSD}:688-689 https://{{ first_kube_control_plane_address }}:{{ kube_apiserver_port }}`,
    vars: "loadbalancer_apiserver_localhost=false",
    host: "node6",
    url: "https://10.3.0.1:6443",
    via: "direct",
  },
];

describe("the kubespray profile follows roles/kubespray_defaults", () => {
  it.each(ROWS)("$rule ($kubespray)", ({ vars, host, url, via }) => {
    const p = compile(DOCS_EXAMPLE, vars);
    expect(p.get(host)?.endpoints.apiserver).toEqual({ url, via });
  });

  it(`gives every node every member's https://aip:2379 (${KSD}:708-710 etcd_access_addresses)`, () => {
    expect(compile(DOCS_EXAMPLE).get("node6")?.endpoints.etcd).toEqual({
      endpoints: ["https://10.3.0.1:2379", "https://10.3.0.2:2379", "https://10.3.0.3:2379"],
      flannel: "https://10.3.0.1:2379",
      via: "direct",
    });
  });

  it(`uses the control plane as etcd when the etcd group is empty (${KSD}:698 etcd_hosts)`, () => {
    const ini =
      "[kube_control_plane]\ncp1 ip=10.0.0.1\ncp2 ip=10.0.0.2\n[etcd]\n[kube_node]\nw1 ip=10.0.1.1\n";
    expect(compile(ini).get("w1")?.endpoints.etcd.endpoints).toEqual([
      "https://10.0.0.1:2379",
      "https://10.0.0.2:2379",
    ]);
  });

  it("counts calico_rr in k8s_cluster (docs/ansible/inventory.md: the union of kube_node, kube_control_plane and calico_rr)", () => {
    const ini = `${DOCS_EXAMPLE}\n[calico_rr]\nrr1 ip=10.3.0.9\n`;
    expect(compile(ini).get("rr1")?.endpoints.groups).toContain("k8s-cluster");
  });

  it("renders the localhost LB where the URL says (nginx listens on loadbalancer_apiserver_port)", () => {
    const nginx = compile(DOCS_EXAMPLE, "loadbalancer_apiserver_port=8443")
      .get("node4")
      ?.bundle.artifacts.find((a) => a.kind === "nginx")?.content;
    expect(nginx).toContain("listen 127.0.0.1:8443 reuseport;");
    expect(nginx).toContain("server 10.3.0.1:6443");
  });

  it("maps no name in /etc/hosts when the LB is dialled by its address", () => {
    const hosts = compile(DOCS_EXAMPLE, 'loadbalancer_apiserver={"address": "10.3.0.100"}')
      .get("node4")
      ?.bundle.artifacts.find((a) => a.kind === "hosts")?.spec;
    expect(hosts).toEqual({ entries: [] });
  });
});

describe("the profile comes from the group names", () => {
  const choice = (ini: string) => {
    const info: { profile?: ProfileChoice } = {};
    const r = importTopology(ini, "ini", info);
    return r.ok ? info.profile : r.error;
  };

  it("modern names mean kubespray, and the choice is written down", () => {
    expect(choice(DOCS_EXAMPLE)).toEqual({
      name: "kubespray",
      reason: "the inventory uses today's Kubespray group names (kube_control_plane, kube_node)",
    });
    const t = importTopology(DOCS_EXAMPLE, "ini");
    expect(t.ok && t.value.vars.halo_profile).toBe("kubespray");
    // What is stored reads back with the same profile.
    expect(t.ok && parseTopology(JSON.parse(JSON.stringify(t.value)))).toEqual(t);
  });

  it("the Kargo document's names mean kargo", () => {
    expect(choice("[kube-master]\nm1 ip=10.0.0.1\n[etcd]\nm1\n[kube-node]\nn1\n")).toEqual({
      name: "kargo",
      reason: "the inventory uses the Kargo document's group names (kube-master, kube-node)",
    });
  });

  it("an explicit halo_profile wins", () => {
    expect(choice(`${DOCS_EXAMPLE}\n[all:vars]\nhalo_profile=kargo\n`)).toEqual({
      name: "kargo",
      reason: "halo_profile is set in the inventory",
    });
  });

  it("a mix of both namings is an error unless halo_profile says", () => {
    const mixed = "[kube_control_plane]\nm1 ip=10.0.0.1\n[etcd]\nm1\n[kube-node]\nn1\n";
    expect(choice(mixed)).toEqual([
      {
        path: "groups",
        message:
          "mixes modern group names (kube_control_plane) with the Kargo document's (kube-node): rename one set, or set halo_profile",
      },
    ]);
    expect(choice(`${mixed}[all:vars]\nhalo_profile=kubespray\n`)).toMatchObject({
      name: "kubespray",
    });
  });
});

describe("vars as real inventories carry them", () => {
  it("keeps Jinja and inline maps in vars halo does not read, as strings", () => {
    const ini =
      "[kube_control_plane]\nnode1 ip=10.0.0.1 ansible_connection=local local_release_dir={{ansible_env.HOME}}/releases\n[etcd]\nnode1\n[kube_node]\nnode1\n[all:vars]\nsupplementary_addresses_in_ssl_keys=[10.0.0.9, lb.example]\nlabels={'a': 1}\n";
    const t = importTopology(ini, "ini");
    expect(t.ok).toBe(true);
    if (!t.ok) return;
    expect(t.value.hosts.node1?.vars?.local_release_dir).toBe("{{ansible_env.HOME}}/releases");
    expect(t.value.vars.supplementary_addresses_in_ssl_keys).toBe("[10.0.0.9, lb.example]");
  });

  it("refuses Jinja in a var halo reads, naming it", () => {
    const t = importTopology(
      `${DOCS_EXAMPLE}\n[all:vars]\nkube_apiserver_port={{ my_port }}\n`,
      "ini",
    );
    expect(t.ok ? [] : t.error).toEqual([
      {
        path: "vars.kube_apiserver_port",
        message: "halo reads literal values; evaluate it or set it in the inventory",
      },
    ]);
  });

  it("reads an inventory directory the way Ansible does: group_vars and host_vars over the file", () => {
    const { raw, issues } = readInventoryDir(readDir("test/fixtures/kubespray-layout"));
    expect(issues).toEqual([]);
    const t = parseTopology(raw);
    if (!t.ok) throw new Error(JSON.stringify(t.error));
    expect(t.value.hosts.node5).toMatchObject({ ip: "10.3.0.55", access_ip: "10.3.1.55" });
    const c = compileCluster(t.value, 1);
    if (!c.ok) throw new Error(JSON.stringify(c.error));
    const summary = Object.fromEntries(
      [...c.value].map(([h, p]) => [
        h,
        [p.endpoints.apiserver.url, p.endpoints.etcd.endpoints.length],
      ]),
    );
    expect(summary).toEqual({
      node1: ["https://127.0.0.1:6443", 3],
      node2: ["https://127.0.0.1:6443", 3],
      node3: ["https://127.0.0.1:6443", 3],
      node4: ["https://localhost:6443", 3],
      node5: ["https://localhost:6443", 3],
    });
    expect(c.value.get("node4")?.endpoints.etcd.endpoints[0]).toBe("https://10.3.0.1:2379");
  });
});
