import { own } from "./own.ts";
import { err, ok, type Issue, type Result } from "./result.ts";
import { GROUPS, type Topology, type Vars } from "./topology/schema.ts";
import { ETCD_CLIENT_PORT, resolveSettings, type Settings } from "./topology/settings.ts";
import { resolveGroup } from "./topology/validate.ts";
import { checkVrrp } from "./vrrp.ts";

/** Addresses the agents reported when they registered: the fallback for a host without `ip`. */
export type RegisteredAddresses = Readonly<Record<string, string>>;

/** A validated topology with every lookup the endpoint rules need, computed once. */
export interface ClusterModel {
  topology: Topology;
  hosts: string[];
  masters: string[];
  etcd: string[];
  lb: string[];
  k8s: Set<string>;
  groupsOf: Map<string, string[]>;
  settings: Map<string, Settings>;
  /** aip: access_ip, else ip, else the registered address, else the IPv6 ones */
  access: Map<string, string>;
  /** every address a host is known by, for certificate SANs */
  addresses: Map<string, string[]>;
  /**
   * Masters and etcd members with no address yet (no `ip` in the inventory, no agent joined):
   * Kubespray would take the host's default IPv4 fact; halo takes the address its agent reports
   * when it joins. Until then they are left out of upstreams, etcd endpoints and SANs.
   */
  pending: Set<string>;
}

const CANONICAL_ORDER: string[] = [
  GROUPS.etcd,
  GROUPS.master,
  GROUPS.node,
  GROUPS.cluster,
  GROUPS.lb,
];

/** Builds the model; masters and etcd members without an address are `pending`, not refused. */
export function buildModel(
  topology: Topology,
  registered: RegisteredAddresses = {},
): Result<ClusterModel, Issue[]> {
  const hosts = Object.keys(topology.hosts).sort();
  const groupNames = new Set([...Object.keys(topology.groups), ...CANONICAL_ORDER]);
  const members = new Map<string, string[]>();
  for (const g of groupNames) members.set(g, resolveGroup(topology, g));
  const groupsOf = new Map<string, string[]>(hosts.map((h) => [h, []]));
  const ordered = [...groupNames].sort(groupOrder);
  for (const g of ordered) for (const h of members.get(g) ?? []) groupsOf.get(h)?.push(g);

  const access = new Map<string, string>();
  const addresses = new Map<string, string[]>();
  for (const h of hosts) {
    const host = own(topology.hosts, h) ?? {};
    const ip = host.ip ?? own(registered, h);
    const aip = host.access_ip ?? ip ?? host.access_ip6 ?? host.ip6;
    if (aip !== undefined) access.set(h, aip);
    const all = [ip, host.access_ip, host.ip6, host.access_ip6].filter(
      (a): a is string => a !== undefined,
    );
    addresses.set(h, [...new Set(all)]);
  }

  const masters = members.get(GROUPS.master) ?? [];
  // Kubespray: etcd_hosts: "{{ groups['etcd'] | default(groups['kube_control_plane']) }}"
  const etcdGroup = members.get(GROUPS.etcd) ?? [];
  const etcd = etcdGroup.length > 0 ? etcdGroup : masters;
  const pending = new Set([...masters, ...etcd].filter((h) => !access.has(h)));

  const model: ClusterModel = {
    topology,
    hosts,
    masters,
    etcd,
    lb: members.get(GROUPS.lb) ?? [],
    k8s: new Set(members.get(GROUPS.cluster) ?? []),
    groupsOf,
    settings: settingsByHost(topology, hosts, groupsOf),
    access,
    addresses,
    pending,
  };
  const clashes = [...checkListeners(model), ...checkVrrp(model)];
  return clashes.length > 0 ? err(clashes) : ok(model);
}

/**
 * Ports that must differ on one host for its rendered config to work: a load balancer cannot
 * listen twice on one port, and the etcd proxy already holds 127.0.0.1:2379.
 */
function checkListeners(m: ClusterModel): Issue[] {
  const found = new Map<string, Issue>();
  const etcd = new Set(m.etcd);
  const lb = new Set(m.lb);
  for (const h of m.hosts) {
    const s = m.settings.get(h);
    if (!s) continue;
    const master = (m.groupsOf.get(h) ?? []).includes(GROUPS.master);
    const listeners: Array<[string, number]> = [];
    if (master && s.insecurePort !== 0)
      listeners.push(
        ["kube_apiserver_insecure_port", s.insecurePort],
        ["kube_apiserver_port", s.securePort],
      );
    const localLb = m.k8s.has(h) && !master && s.localhostLb && s.externalLb === null;
    if (localLb)
      listeners.push([
        s.lbPort === s.securePort ? "kube_apiserver_port" : "loadbalancer_apiserver_port",
        s.lbPort,
      ]);
    if (s.externalLb && lb.has(h))
      listeners.push(["loadbalancer_apiserver.port", s.externalLb.port]);
    if (localLb || (s.externalLb && lb.has(h)))
      listeners.push(["loadbalancer_apiserver_healthcheck_port", s.lbHealthPort]);
    if (m.k8s.has(h) && !s.etcdMultiaccess && !etcd.has(h))
      listeners.push(["the etcd proxy", ETCD_CLIENT_PORT]);
    const seen = new Map<number, string>();
    for (const [name, port] of listeners) {
      const other = seen.get(port);
      if (other !== undefined && other !== name) {
        const message = `is ${port}, as is ${other}: ${h} would listen twice on that port`;
        found.set(name + message, { path: name, message });
      }
      seen.set(port, name);
    }
  }
  return [...found.values()];
}

function groupOrder(a: string, b: string): number {
  const ia = CANONICAL_ORDER.indexOf(a);
  const ib = CANONICAL_ORDER.indexOf(b);
  if (ia !== -1 || ib !== -1) return (ia === -1 ? 99 : ia) - (ib === -1 ? 99 : ib);
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Ansible's precedence: all vars, then group vars from parent to child (same depth by name),
 * then host vars. Equal settings are one object (hosts whose own vars halo does not read share
 * their role's), so everything keyed by Settings costs per role, not per host.
 */
function settingsByHost(
  t: Topology,
  hosts: string[],
  groupsOf: Map<string, string[]>,
): Map<string, Settings> {
  const depth = groupDepths(t);
  const cache = new Map<string, Settings>();
  const interned = new Map<string, Settings>();
  const out = new Map<string, Settings>();
  for (const h of hosts) {
    const groups = [...(groupsOf.get(h) ?? [])]
      .filter((g) => own(t.groups, g)?.vars !== undefined)
      .sort((a, b) => (depth.get(a) ?? 0) - (depth.get(b) ?? 0) || (a < b ? -1 : 1));
    const hostVars = own(t.hosts, h)?.vars;
    const key = hostVars === undefined ? groups.join(",") : undefined;
    const cached = key === undefined ? undefined : cache.get(key);
    if (cached) {
      out.set(h, cached);
      continue;
    }
    const merged: Vars = { ...t.vars, ...(own(t.groups, "all")?.vars ?? {}) };
    for (const g of groups) Object.assign(merged, own(t.groups, g)?.vars);
    Object.assign(merged, hostVars ?? {});
    const resolved = resolveSettings(merged);
    const content = JSON.stringify(resolved);
    const s = interned.get(content) ?? resolved;
    interned.set(content, s);
    if (key !== undefined) cache.set(key, s);
    out.set(h, s);
  }
  return out;
}

function groupDepths(t: Topology): Map<string, number> {
  const depth = new Map<string, number>();
  const walk = (g: string, d: number, trail: Set<string>) => {
    if (trail.has(g) || (depth.get(g) ?? -1) >= d) return;
    depth.set(g, d);
    trail.add(g);
    for (const c of own(t.groups, g)?.children ?? []) walk(c, d + 1, trail);
    trail.delete(g);
  };
  for (const g of Object.keys(t.groups)) walk(g, 1, new Set());
  return depth;
}
