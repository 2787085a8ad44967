/** The host fields an inventory carries as vars; every other var stays a var. */
const HOST_FIELDS = ["ip", "access_ip", "ip6", "access_ip6"] as const;

/** A topology under construction from an inventory, before validation. */
export interface RawTopology {
  hosts: Record<string, Record<string, unknown>>;
  groups: Record<string, { hosts: string[]; children: string[]; vars?: Record<string, unknown> }>;
  vars: Record<string, unknown>;
}

/** Groups whose hosts are only declared, never a group of their own (Ansible's implicit ones). */
export const DECLARATION_GROUPS = new Set(["all", "ungrouped"]);

export function emptyRaw(): RawTopology {
  return { hosts: Object.create(null), groups: Object.create(null), vars: Object.create(null) };
}

/** Declares a host (merging its vars), lifting ip/access_ip/ip6/access_ip6 into host fields. */
export function declareHost(raw: RawTopology, name: string, vars: Record<string, unknown>): void {
  const host = (raw.hosts[name] ??= {});
  for (const [k, v] of Object.entries(vars)) {
    if ((HOST_FIELDS as readonly string[]).includes(k)) {
      host[k] = v;
    } else {
      const hv = (host.vars ??= {}) as Record<string, unknown>;
      hv[k] = v;
    }
  }
}

export function group(raw: RawTopology, name: string): RawTopology["groups"][string] {
  return (raw.groups[name] ??= { hosts: [], children: [] });
}
