import type { $ZodType } from "zod/v4/core";
import type { Backend, NodeEndpoints } from "../endpoints.ts";
import type { Settings } from "../topology/settings.ts";
import type { VrrpPeer } from "../vrrp.ts";

/** What the control plane knows about one host's role: the input every kind selects on. */
export interface HostRole {
  inCluster: boolean;
  master: boolean;
  etcdMember: boolean;
  lb: boolean;
  settings: Settings;
  /** every master as an apiserver backend, m[0] first */
  backends: Backend[];
  /** every etcd member's aip:2379 */
  etcd: string[];
  endpoints: Omit<NodeEndpoints, "host">;
  /** on an lb host that keepalived runs on: its VRRP instance (null elsewhere) */
  vrrp: VrrpPeer | null;
}

/** Where a kind lands on a node and how it is checked and reloaded: the node's own config. */
export interface KindDefaults {
  /** the files this kind writes on a node (most kinds: one) */
  paths: string[];
  check: string | null;
  reload: string | null;
  retire: string | null;
  health: string | null;
}

/**
 * One artifact kind, whole: its typed spec (the only thing that travels), which hosts get it,
 * the pure renderer both sides run, and the node-side defaults. Adding a kind is adding one
 * of these to the registry.
 */
export interface KindModule<S = unknown, K extends string = string> {
  kind: K;
  spec: $ZodType<S>;
  /** the spec for a host of this role, or null when the host does not get this kind */
  select(role: HostRole): S | null;
  render(spec: S): string;
  defaults: KindDefaults;
  /**
   * For a kind that owns only part of a shared file (the /etc/hosts block): how the rendering
   * goes into the current file, and how it comes out again when the kind is retired.
   */
  merge?: { into(current: string, rendered: string): string; remove(current: string): string };
  /** edit files that exist, never create one (kubeconfigs appear when kubeadm joins the node) */
  onlyExisting?: boolean;
  /** a parse the agent runs on the staged file itself, before any `check` command */
  parseCheck?: "kubeconfig";
  /**
   * An apiserver load balancer: its spec lists `backends` (masters) and may mark some `down`.
   * `agent`: the agent checks the backends itself (the LB has no active checks); `self`: the LB
   * checks them. The pre-swap check, drains and the diagram read LBs through this.
   */
  balancer?: "agent" | "self";
  /** its spec names a `vip` this host holds or backs up (the agent reports whether it holds it) */
  holdsVip?: true;
  /** its spec maps names to addresses (`entries`): how this node will resolve them */
  resolves?: true;
  /** its spec moves a client to a new apiserver `server` (checked before it is written) */
  movesClient?: true;
  /** managed only on nodes whose agent config names it, never by default */
  optIn?: true;
}

/** Declares a kind with its spec type inferred from the schema and its name kept literal. */
export function defineKind<S, K extends string>(k: KindModule<S, K>): KindModule<S, K> {
  return k;
}
