import {
  apiserverBackends,
  etcdBackends,
  ETCD_LOCAL,
  isMaster,
  nodeEndpoints,
  settingsOf,
  type Backend,
  type NodeEndpoints,
} from "./endpoints.ts";
import { sha256Hex } from "./hash.ts";
import { buildModel, type ClusterModel, type RegisteredAddresses } from "./model.ts";
import { isIPv6 } from "./net.ts";
import { renderEtcdProxy } from "./render/etcd-proxy.ts";
import { renderHaproxy } from "./render/haproxy.ts";
import { renderHostsBlock } from "./render/hosts.ts";
import { renderNginx } from "./render/nginx.ts";
import { err, ok, type Issue, type Result } from "./result.ts";
import type { Topology } from "./topology/schema.ts";
import type { Settings } from "./topology/settings.ts";
import type { Artifact, ArtifactKind, Bundle } from "./bundle-schema.ts";

export {
  ARTIFACT_KINDS,
  ArtifactKindSchema,
  ArtifactSchema,
  BundleSchema,
  type Artifact,
  type ArtifactKind,
  type Bundle,
} from "./bundle-schema.ts";

/** Everything one node receives and is told. */
export interface NodePlan {
  endpoints: NodeEndpoints;
  bundle: Bundle;
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
  const roles = new Map<Settings, Map<string, { shared: SharedEndpoints; bundle: Bundle }>>();
  const plans = new Map<string, NodePlan>();
  for (const host of m.hosts) {
    const s = settingsOf(m, host);
    const key = (m.groupsOf.get(host) ?? []).join(",");
    let byGroups = roles.get(s);
    if (!byGroups) roles.set(s, (byGroups = new Map()));
    let role = byGroups.get(key);
    if (!role) {
      const { host: _name, ...shared } = nodeEndpoints(m, host);
      const artifacts = artifactsFor(m, host, shared, ctx, cache);
      role = { shared, bundle: cache.bundle(version, artifacts) };
      byGroups.set(key, role);
    }
    plans.set(host, { endpoints: { host, ...role.shared }, bundle: role.bundle });
  }
  return ok(plans);
}

type SharedEndpoints = Omit<NodeEndpoints, "host">;
interface Context {
  backends: Backend[];
  etcd: string[];
}

/** The bundle hash covers kinds and contents, not the version: unchanged nodes keep their hash. */
export function bundleHash(artifacts: ReadonlyArray<Artifact>): string {
  return sha256Hex(artifacts.map((a) => `${a.kind} ${a.sha256}\n`).join(""));
}

class Cache {
  private readonly artifacts = new Map<string, Artifact>();
  private readonly hashes = new Map<string, string>();

  artifact(kind: ArtifactKind, key: string, render: () => string): Artifact {
    const k = `${kind}\u0000${key}`;
    let a = this.artifacts.get(k);
    if (!a) {
      const content = render();
      a = { kind, content, sha256: sha256Hex(content) };
      this.artifacts.set(k, a);
    }
    return a;
  }

  bundle(version: number, artifacts: Artifact[]): Bundle {
    const key = artifacts.map((a) => `${a.kind} ${a.sha256}\n`).join("");
    let hash = this.hashes.get(key);
    if (hash === undefined) {
      hash = sha256Hex(key);
      this.hashes.set(key, hash);
    }
    return { version, hash, artifacts };
  }
}

function artifactsFor(
  m: ClusterModel,
  host: string,
  shared: SharedEndpoints,
  ctx: Context,
  cache: Cache,
): Artifact[] {
  const s = settingsOf(m, host);
  const inCluster = m.k8s.has(host);
  const master = isMaster(m, host);
  const out: Artifact[] = [];
  // Only k8s-cluster nodes run the components that read the endpoints file.
  if (inCluster) {
    const json = JSON.stringify(shared, null, 2) + "\n";
    out.push(cache.artifact("endpoints", json, () => json));
  }

  if (inCluster && !s.etcdMultiaccess && !m.etcd.includes(host)) {
    const backends = ctx.etcd;
    out.push(
      cache.artifact("etcd-proxy", backends.join(","), () => renderEtcdProxy(ETCD_LOCAL, backends)),
    );
  }

  const localLb = inCluster && !master && s.localhostLb && s.externalLb === null;
  const backends = ctx.backends;
  const v6 = backends.some((b) => isIPv6(b.address));
  if (s.externalLb && m.lb.includes(host)) {
    const input = {
      mode: "external",
      vip: s.externalLb.address,
      port: s.externalLb.port,
      healthPort: s.lbHealthPort,
      backends,
    } as const;
    out.push(cache.artifact("haproxy", JSON.stringify(input), () => renderHaproxy(input)));
  } else if (localLb && s.lbType === "haproxy") {
    const input = {
      mode: "localhost",
      listenPort: s.securePort,
      healthPort: s.lbHealthPort,
      v6,
      backends,
    } as const;
    out.push(cache.artifact("haproxy", JSON.stringify(input), () => renderHaproxy(input)));
  }

  if (inCluster) {
    const entries = s.externalLb ? [{ address: s.externalLb.address, names: [s.lbDomain] }] : [];
    out.push(cache.artifact("hosts", JSON.stringify(entries), () => renderHostsBlock(entries)));
  }

  if (localLb && s.lbType === "nginx") {
    const input = { listenPort: s.securePort, healthPort: s.lbHealthPort, backends };
    out.push(cache.artifact("nginx", JSON.stringify(input), () => renderNginx(input)));
  }
  return out;
}
