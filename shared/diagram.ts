import { specWith } from "./kinds/registry.ts";
import type { NodePlan } from "./bundle.ts";
import { GROUPS } from "./topology/schema.ts";

/** One way to the apiserver and etcd, and every host that takes it. */
export interface TrafficPath {
  /** stable across requests: the way itself, not its hosts */
  id: string;
  role: "master" | "node";
  /** how the node reaches the apiserver, as the Kargo endpoint table says */
  via: "local" | "localhost-lb" | "external-lb" | "direct";
  url: string;
  /** the localhost LB's software, for `localhost-lb` */
  /** the localhost LB's kind (a balancer kind of the registry), or null */
  proxy: "nginx" | "haproxy" | null;
  etcd: { via: "member" | "proxy" | "direct"; endpoints: string[]; flannel: string };
  hosts: string[];
}

/**
 * The Kargo document's lost diagram as data: the masters (apiserver aip:sp), the etcd members, the
 * external LB (name, VIP, the hosts that run it) and each distinct path nodes take, with its
 * hosts. Identical nodes share a path, so 5,000 nodes are a handful of rows.
 */
export interface TrafficDiagram {
  masters: Array<{ host: string; address: string }>;
  etcd: { members: string[]; endpoints: string[] };
  lb: { name: string; address: string; hosts: string[] } | null;
  paths: TrafficPath[];
}

const lbHost = /^https?:\/\/(\[[^\]]+\]|[^:/]+):(\d+)$/;

/** Groups every node's computed endpoints into the diagram; pure. */
export function trafficDiagram(plans: ReadonlyMap<string, NodePlan>): TrafficDiagram {
  const masters = new Map<string, string>();
  const members: string[] = [];
  const lbHosts: string[] = [];
  let lb: { name: string; address: string } | null = null;
  // Members' own client addresses: what a proxy balances over, or what direct nodes dial.
  let memberEndpoints: string[] = [];
  const paths = new Map<string, TrafficPath>();
  for (const [host, plan] of [...plans].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const e = plan.endpoints;
    if (e.groups.includes(GROUPS.etcd)) members.push(host);
    if (e.groups.includes(GROUPS.lb)) lbHosts.push(host);
    const proxy = plan.bundle.artifacts.find((a) => a.kind === "etcd-proxy")?.spec as
      { backends?: string[] } | undefined;
    if (proxy?.backends) memberEndpoints = proxy.backends.map((b) => `http://${b}`);
    else if (e.etcd.via === "direct" && memberEndpoints.length === 0)
      memberEndpoints = e.etcd.endpoints;
    for (const t of plan.targets) {
      if (t.kind === "apiserver" && t.host) masters.set(t.host, t.address);
      if (t.kind === "lb-name" && t.host) lb = { name: t.host, address: t.address };
    }
    if (lb === null && e.apiserver.via === "external-lb") {
      const m = lbHost.exec(e.apiserver.url);
      if (m) lb = { name: m[1] ?? "", address: `${m[1]}:${m[2]}` };
    }
    // lb-only hosts (no k8s endpoints to speak of) are drawn as the LB, not as a path.
    if (!e.groups.includes(GROUPS.cluster)) continue;
    const lbSoftware =
      e.apiserver.via !== "localhost-lb"
        ? null
        : ((specWith(plan.bundle.artifacts, "balancer")?.kind ?? null) as TrafficPath["proxy"]);
    const role = e.groups.includes(GROUPS.master) ? "master" : "node";
    const id = [
      role,
      e.apiserver.via,
      e.apiserver.url,
      lbSoftware,
      e.etcd.via,
      ...e.etcd.endpoints,
    ].join(" ");
    const path = paths.get(id);
    if (path) path.hosts.push(host);
    else
      paths.set(id, {
        id,
        role,
        via: e.apiserver.via,
        url: e.apiserver.url,
        proxy: lbSoftware,
        etcd: { via: e.etcd.via, endpoints: e.etcd.endpoints, flannel: e.etcd.flannel },
        hosts: [host],
      });
  }
  return {
    masters: [...masters].map(([host, address]) => ({ host, address })),
    etcd: { members, endpoints: memberEndpoints },
    lb: lb === null ? null : { ...(lb as { name: string; address: string }), hosts: lbHosts },
    paths: [...paths.values()].sort((a, b) =>
      a.role === b.role ? b.hosts.length - a.hosts.length : a.role === "master" ? -1 : 1,
    ),
  };
}
