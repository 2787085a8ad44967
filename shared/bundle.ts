import {
  apiserverBackends,
  etcdBackends,
  isMaster,
  nodeEndpoints,
  settingsOf,
  type Backend,
  type NodeEndpoints,
} from "./endpoints.ts";
import { canonicalJson } from "./canonical-json.ts";
import { probeTargets, type Target } from "./live.ts";
import { sha256Hex } from "./hash.ts";
import { KINDS, type ArtifactKind } from "./kinds/registry.ts";
import type { HostRole, KindModule } from "./kinds/types.ts";
import { buildModel, type ClusterModel, type RegisteredAddresses } from "./model.ts";
import { err, ok, type Issue, type Result } from "./result.ts";
import type { Topology } from "./topology/schema.ts";
import type { Settings } from "./topology/settings.ts";
import { bundleHash, type Artifact, type Bundle } from "./bundle-schema.ts";
import { vrrpApplies, vrrpPeer } from "./vrrp.ts";

export {
  ARTIFACT_KINDS,
  bundleHash,
  ArtifactKindSchema,
  toWire,
  WireBundleSchema,
  type Artifact,
  type ArtifactKind,
  type Bundle,
  type WireBundle,
} from "./bundle-schema.ts";

/** Everything one node receives and is told. */
export interface NodePlan {
  endpoints: NodeEndpoints;
  bundle: Bundle;
  /** what the node's agent probes (not part of the bundle or its hash) */
  targets: Target[];
}

/**
 * Computes every host's endpoints and bundle. Equal contents are rendered and hashed once and
 * shared, so a large cluster costs about as much as its number of distinct roles.
 */
export function compileCluster(
  topology: Topology,
  version: number,
  registered: RegisteredAddresses = {},
): Result<Map<string, NodePlan>, Issue[]> {
  const built = buildModel(topology, registered);
  if (!built.ok) return err(built.error);
  const m = built.value;
  const cache = new Cache();
  const ctx = { backends: apiserverBackends(m), etcd: etcdBackends(m) };
  // Hosts with the same settings and groups have the same role: one computation serves them all.
  const roles = new Map<
    Settings,
    Map<string, { shared: SharedEndpoints; bundle: Bundle; targets: Target[] }>
  >();
  const plans = new Map<string, NodePlan>();
  const gaps = new Set(addressGapsOf(m).map((g) => g.host));
  for (const host of m.hosts) {
    if (gaps.has(host)) continue;
    const s = settingsOf(m, host);
    // An lb host running keepalived has a VRRP instance of its own (priority, address).
    const key =
      (m.groupsOf.get(host) ?? []).join(",") + (vrrpApplies(m, host) ? `\u0000${host}` : "");
    let byGroups = roles.get(s);
    if (!byGroups) roles.set(s, (byGroups = new Map()));
    let role = byGroups.get(key);
    if (!role) {
      const { host: _name, ...shared } = nodeEndpoints(m, host);
      const artifacts = artifactsFor(m, host, shared, ctx, cache);
      const lb = s.externalLb && { ...s.externalLb, name: s.lbDomain };
      const targets = m.k8s.has(host)
        ? probeTargets({ masters: ctx.backends, etcd: shared.etcd.endpoints, externalLb: lb })
        : [];
      role = { shared, bundle: cache.bundle(version, artifacts), targets };
      byGroups.set(key, role);
    }
    plans.set(host, {
      endpoints: { host, ...role.shared },
      bundle: role.bundle,
      targets: role.targets,
    });
  }
  return ok(plans);
}

/**
 * Why a host has no plan yet: `address`: a master or etcd member nobody gave an address (no
 * `ip`, no agent joined); `master-address` / `etcd-address`: a host that needs a master (etcd
 * member) to point at while none has an address.
 */
export interface AddressGap {
  host: string;
  reason: "address" | "master-address" | "etcd-address";
  detail: string;
}

/** The hosts that get no plan until an address is known, and why; [] for an addressed cluster. */
export function addressGaps(
  topology: Topology,
  registered: RegisteredAddresses = {},
): AddressGap[] {
  const built = buildModel(topology, registered);
  return built.ok ? addressGapsOf(built.value) : [];
}

function addressGapsOf(m: ClusterModel): AddressGap[] {
  if (m.pending.size === 0) return [];
  const masters = apiserverBackends(m).length > 0;
  const etcd = etcdBackends(m).length > 0;
  const out: AddressGap[] = [];
  for (const host of m.hosts) {
    const master = isMaster(m, host);
    const inCluster = m.k8s.has(host);
    if (m.pending.has(host)) {
      const roles = [master && "kube-master", m.etcd.includes(host) && "etcd member"];
      out.push({
        host,
        reason: "address",
        detail: `pending address: a ${roles.filter(Boolean).join(" and ")} without ip; its agent's join gives it one`,
      });
    } else if (!masters && !master && (inCluster || m.lb.includes(host)))
      out.push({
        host,
        reason: "master-address",
        detail: "waits for a kube-master's address: no master has one yet",
      });
    else if (!etcd && inCluster && !m.etcd.includes(host))
      out.push({
        host,
        reason: "etcd-address",
        detail: "waits for an etcd member's address: no member has one yet",
      });
  }
  return out;
}

type SharedEndpoints = Omit<NodeEndpoints, "host">;
interface Context {
  backends: Backend[];
  etcd: string[];
}

/** Renders each distinct spec once: a large cluster shares a handful of contents. */
class Cache {
  private readonly artifacts = new Map<string, Artifact>();
  private readonly hashes = new Map<string, string>();

  artifact(k: KindModule<unknown>, spec: unknown): Artifact {
    const key = `${k.kind}\u0000${canonicalJson(spec)}`;
    let a = this.artifacts.get(key);
    if (!a) {
      const content = k.render(spec);
      a = { kind: k.kind as ArtifactKind, spec, content, sha256: sha256Hex(content) };
      this.artifacts.set(key, a);
    }
    return a;
  }

  bundle(version: number, artifacts: Artifact[]): Bundle {
    const sorted = [...artifacts].sort((a, b) => (a.kind < b.kind ? -1 : 1));
    const key = sorted.map((a) => `${a.kind} ${a.sha256}\n`).join("");
    let hash = this.hashes.get(key);
    if (hash === undefined) {
      hash = bundleHash(sorted);
      this.hashes.set(key, hash);
    }
    return { version, hash, artifacts: sorted };
  }
}

/** Every kind the registry has that this host's role selects, with its spec. */
function artifactsFor(
  m: ClusterModel,
  host: string,
  shared: SharedEndpoints,
  ctx: Context,
  cache: Cache,
): Artifact[] {
  const role: HostRole = {
    inCluster: m.k8s.has(host),
    master: isMaster(m, host),
    etcdMember: m.etcd.includes(host),
    lb: m.lb.includes(host),
    settings: settingsOf(m, host) as Settings,
    backends: ctx.backends,
    etcd: ctx.etcd,
    endpoints: shared,
    vrrp: vrrpApplies(m, host) ? vrrpPeer(m, host) : null,
  };
  const out: Artifact[] = [];
  for (const k of KINDS as ReadonlyArray<KindModule<unknown>>) {
    const spec = k.select(role);
    if (spec !== null) out.push(cache.artifact(k, spec));
  }
  return out;
}
