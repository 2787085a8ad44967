import type { WireBundle } from "../shared/bundle-schema.ts";
import { kindsWith } from "../shared/kinds/registry.ts";
import { hostPort } from "../shared/net.ts";
import type { ProbeResult } from "../shared/live.ts";

/** The LB backends a bundle gives this node (its nginx or HAProxy): master name -> `ip:port`. */
export function lbBackendsByName(wire: WireBundle | null): Map<string, string> {
  const out = new Map<string, string>();
  const balancers = kindsWith("balancer");
  for (const a of (wire?.artifacts ?? []) as Array<{ kind?: unknown; spec?: unknown }>) {
    if (typeof a.kind !== "string" || !balancers.includes(a.kind)) continue;
    const spec = a.spec as
      { backends?: Array<{ name: string; address: string; port: number }> } | undefined;
    for (const b of spec?.backends ?? []) out.set(b.name, hostPort(b.address, b.port));
  }
  return out;
}

/** The LB backends (`ip:port`) a bundle gives this node, sorted. */
export function lbBackends(wire: WireBundle | null): string[] {
  return [...new Set(lbBackendsByName(wire).values())].sort();
}

/**
 * The pre-swap check: a bundle that changes this node's LB backends is refused when at least
 * one current backend is ready from here and none of the new ones is, so a typo in a master's
 * address stops at the canary instead of cutting the node off. A node with no ready backend
 * now (a cluster being built) is not held back. Returns the reason to refuse, or null.
 */
export async function preswapCheck(
  next: WireBundle,
  current: WireBundle | null,
  check: (address: string) => Promise<ProbeResult>,
): Promise<string | null> {
  const now = lbBackends(current);
  const after = lbBackends(next);
  if (after.length === 0 || now.length === 0 || now.join() === after.join()) return null;
  // The new backends first: one of them ready settles it (the common case), with no check of
  // the current ones.
  const results = new Map<string, ProbeResult>();
  const checkAll = async (list: string[]) => {
    const todo = list.filter((a) => !results.has(a));
    for (const [a, r] of await Promise.all(todo.map(async (a) => [a, await check(a)] as const)))
      results.set(a, r);
  };
  const ready = (a: string) => results.get(a)?.ok === true;
  await checkAll(after);
  if (after.some(ready)) return null;
  await checkAll(now);
  if (!now.some(ready)) return null;
  const why = after.map((a) => `${a}: ${results.get(a)?.error ?? "not ready"}`).join("; ");
  return `none of the new LB backends is ready from this node (${why}), while ${now.filter(ready).join(", ")} is; nothing was changed`;
}
