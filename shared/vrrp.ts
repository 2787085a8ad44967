import { sha256Hex } from "./hash.ts";
import type { ClusterModel } from "./model.ts";
import { isIPv6 } from "./net.ts";
import type { Issue } from "./result.ts";

/**
 * The external LB made HA: with a VIP (`loadbalancer_apiserver`) and two or more `lb` hosts,
 * keepalived moves the VIP between them. Pure: what each lb host's VRRP instance is.
 */
export interface VrrpPeer {
  /** this host's own address (unicast_src_ip) */
  self: string;
  /** the other lb hosts' addresses: unicast works where multicast does not */
  peers: string[];
  /** from the host order in the group: the first is the preferred master */
  priority: number;
  routerId: number;
  /** 8 characters derived per cluster (VRRP's PASS auth is at most 8; it separates clusters, it is no secret on the wire) */
  authPass: string;
}

/** keepalived is rendered only where it can move something: a VIP and at least two lb hosts. */
export function vrrpApplies(m: ClusterModel, host: string): boolean {
  return m.lb.length > 1 && m.lb.includes(host) && m.settings.get(host)?.externalLb != null;
}

/** A host's own address: `ip`, as the interface carries it (not access_ip, which may be NAT). */
function ownAddress(m: ClusterModel, host: string): string {
  return m.addresses.get(host)?.[0] ?? m.access.get(host) ?? "";
}

/** The default router id, 1-255, derived from the VIP: two clusters on one LAN rarely collide. */
export function defaultRouterId(vip: string): number {
  return (parseInt(sha256Hex(`halo-vrrp-id ${vip}`).slice(0, 8), 16) % 255) + 1;
}

export function vrrpPeer(m: ClusterModel, host: string): VrrpPeer {
  const s = m.settings.get(host);
  const vip = s?.externalLb?.address ?? "";
  const order = m.lb.indexOf(host);
  const all = m.lb.map((h) => ownAddress(m, h));
  const routerId = s?.vip.routerId ?? defaultRouterId(vip);
  return {
    self: ownAddress(m, host),
    peers: m.lb.filter((h) => h !== host).map((h) => ownAddress(m, h)),
    priority: Math.max(1, 150 - 10 * order),
    routerId,
    authPass: sha256Hex(`halo-vrrp-pass ${vip} ${routerId} ${[...all].sort().join(" ")}`).slice(
      0,
      8,
    ),
  };
}

/** What keepalived needs that the inventory must give: an interface per lb host, a free VIP. */
export function checkVrrp(m: ClusterModel): Issue[] {
  const issues: Issue[] = [];
  const owners = new Map<string, string>();
  for (const h of m.hosts) for (const a of m.addresses.get(h) ?? []) owners.set(a, h);
  for (const h of m.lb) {
    if (!vrrpApplies(m, h)) continue;
    const s = m.settings.get(h);
    const vip = s?.externalLb?.address ?? "";
    if (s?.vip.interface === null)
      issues.push({
        path: `hosts.${h}.vars.halo_vip_interface`,
        message: `is required on every lb host when there are ${m.lb.length}: keepalived moves the VIP ${vip} between them on this interface`,
      });
    const owner = owners.get(vip);
    if (owner !== undefined)
      issues.push({
        path: "loadbalancer_apiserver.address",
        message: `is ${owner}'s own address: the VIP must be an address no host has`,
      });
    if (isIPv6(vip))
      issues.push({
        path: "loadbalancer_apiserver.address",
        message:
          "is IPv6: keepalived for an IPv6 VIP is not supported yet (one lb host, or an IPv4 VIP)",
      });
  }
  const seen = new Set<string>();
  return issues.filter((i) => !seen.has(i.path + i.message) && seen.add(i.path + i.message));
}
