import { endpointsKind } from "./endpoints.ts";
import { etcdProxyKind } from "./etcd-proxy.ts";
import { haproxyKind } from "./haproxy.ts";
import { hostsKind } from "./hosts.ts";
import { keepalivedKind } from "./keepalived.ts";
import { kubeconfigKind } from "./kubeconfig.ts";
import { nginxKind } from "./nginx.ts";
import type { KindModule } from "./types.ts";

/**
 * Every artifact kind. Everything else (bundles, the wire schema, the agent's defaults, its
 * rendering) iterates this list; the order here changes no hash.
 */
export const KINDS = [
  endpointsKind,
  etcdProxyKind,
  haproxyKind,
  hostsKind,
  keepalivedKind,
  kubeconfigKind,
  nginxKind,
] as const;

export type ArtifactKind = (typeof KINDS)[number]["kind"];

/**
 * The renderers' version: bumped whenever any renderer's output for the same spec changes, so
 * an agent with other renderers refuses a bundle instead of failing its sha256 check.
 */
export const RENDERER_VERSION = 2;

const byName = new Map<string, KindModule<unknown>>(
  KINDS.map((k) => [k.kind, k as unknown as KindModule<unknown>]),
);

/** The module of a kind name from anywhere (a wire frame, a config file); undefined if unknown. */
export function kindModule(name: string): KindModule<unknown> | undefined {
  return byName.get(name);
}

export const KIND_NAMES = KINDS.map((k) => k.kind) as unknown as readonly [
  ArtifactKind,
  ...ArtifactKind[],
];

/** The kinds whose module has `flag` set (to `value`, when given): code asks by role, not by name. */
export function kindsWith<F extends keyof KindModule>(flag: F, value?: KindModule[F]): string[] {
  return KINDS.filter((k) => {
    const v = (k as unknown as KindModule)[flag];
    return value === undefined ? v !== undefined && v !== false : v === value;
  }).map((k) => k.kind);
}

/** The spec of the first artifact in a bundle whose kind has `flag`, if any (unparsed). */
export function specWith(
  artifacts: ReadonlyArray<{ kind?: unknown; spec?: unknown }>,
  flag: keyof KindModule,
  value?: unknown,
): { kind: string; spec: unknown } | undefined {
  const kinds = kindsWith(flag, value as never);
  const a = artifacts.find((x) => typeof x.kind === "string" && kinds.includes(x.kind));
  return a ? { kind: a.kind as string, spec: a.spec } : undefined;
}
