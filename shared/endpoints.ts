import { hostPort } from "./net.ts";
import type { ClusterModel } from "./model.ts";
import { GROUPS } from "./topology/schema.ts";
import { ETCD_CLIENT_PORT, type Settings } from "./topology/settings.ts";

export type ApiserverVia = "local" | "localhost-lb" | "external-lb" | "direct";
export type EtcdVia = "member" | "proxy" | "direct";

/** What one node's components should use to reach the apiserver and etcd. */
export interface NodeEndpoints {
  host: string;
  groups: string[];
  apiserver: { url: string; via: ApiserverVia };
  etcd: { endpoints: string[]; flannel: string; via: EtcdVia };
  certSANs?: string[];
}

/** A backend of a load balancer: a master's name, access address and apiserver port. */
export interface Backend {
  name: string;
  address: string;
  port: number;
}

export const LOCALHOST = "localhost";
export const ETCD_LOCAL = `127.0.0.1:${ETCD_CLIENT_PORT}`;

export function settingsOf(m: ClusterModel, host: string): Settings {
  const s = m.settings.get(host);
  if (!s) throw new Error(`no settings for host ${host}`);
  return s;
}

export function isMaster(m: ClusterModel, host: string): boolean {
  return (m.groupsOf.get(host) ?? []).includes(GROUPS.master);
}

function accessOf(m: ClusterModel, host: string): string {
  const a = m.access.get(host);
  if (a === undefined) throw new Error(`host ${host} has no address`);
  return a;
}

/** Masters with an address, in kube-master order: the ones other hosts can be pointed at. */
export function addressedMasters(m: ClusterModel): string[] {
  return m.masters.filter((h) => !m.pending.has(h));
}

/** Every master with an address as an apiserver backend, in kube-master order (m[0] first). */
export function apiserverBackends(m: ClusterModel): Backend[] {
  return addressedMasters(m).map((h) => ({
    name: h,
    address: accessOf(m, h),
    port: settingsOf(m, h).securePort,
  }));
}

/** Every etcd member's aip:2379, in etcd group order (members without an address left out). */
export function etcdBackends(m: ClusterModel): string[] {
  return m.etcd
    .filter((h) => !m.pending.has(h))
    .map((h) => hostPort(accessOf(m, h), ETCD_CLIENT_PORT));
}

/** The Kargo endpoint table: which URL a node's components use for the apiserver, and why. */
export function apiserverEndpoint(m: ClusterModel, host: string): NodeEndpoints["apiserver"] {
  const s = settingsOf(m, host);
  const master = isMaster(m, host);
  if (s.externalLb) {
    return { url: `https://${hostPort(s.lbDomain, s.externalLb.port)}`, via: "external-lb" };
  }
  if (master) {
    // Kubespray: https://{{ kube_apiserver_bind_address | regex_replace('::', '127.0.0.1') }}:sp
    if (s.profile === "kubespray")
      return { url: `https://127.0.0.1:${s.securePort}`, via: "local" };
    return s.insecurePort === 0
      ? { url: `https://${LOCALHOST}:${s.securePort}`, via: "local" }
      : { url: `http://${LOCALHOST}:${s.insecurePort}`, via: "local" };
  }
  if (s.localhostLb) return { url: `https://${LOCALHOST}:${s.lbPort}`, via: "localhost-lb" };
  const first = addressedMasters(m)[0];
  if (first === undefined) throw new Error("no kube-master with an address");
  const port = settingsOf(m, first).securePort;
  return { url: `https://${hostPort(accessOf(m, first), port)}`, via: "direct" };
}

/** etcd_access_endpoint: members and proxied nodes use 127.0.0.1; multiaccess lists members. */
export function etcdEndpoint(m: ClusterModel, host: string): NodeEndpoints["etcd"] {
  const s = settingsOf(m, host);
  const scheme = s.etcdScheme;
  if (s.etcdMultiaccess) {
    const endpoints = etcdBackends(m).map((b) => `${scheme}://${b}`);
    return { endpoints, flannel: endpoints[0] ?? "", via: "direct" };
  }
  const local = `${scheme}://${ETCD_LOCAL}`;
  const via = m.etcd.includes(host) ? "member" : "proxy";
  return { endpoints: [local], flannel: local, via };
}

/** The names and addresses a master's apiserver certificate must carry. */
export function certSANs(m: ClusterModel, host: string): string[] {
  const s = settingsOf(m, host);
  const sans = [LOCALHOST, "127.0.0.1"];
  if (s.externalLb) sans.push(s.lbDomain, s.externalLb.address);
  for (const h of m.masters) {
    sans.push(h, ...(m.addresses.get(h) ?? []));
    if (!m.pending.has(h)) sans.push(accessOf(m, h));
  }
  return [...new Set(sans)];
}

/** A node's whole endpoint record, as the API serves it and the `endpoints` artifact holds it. */
export function nodeEndpoints(m: ClusterModel, host: string): NodeEndpoints {
  const out: NodeEndpoints = {
    host,
    groups: m.groupsOf.get(host) ?? [],
    apiserver: apiserverEndpoint(m, host),
    etcd: etcdEndpoint(m, host),
  };
  if (isMaster(m, host)) out.certSANs = certSANs(m, host);
  return out;
}
