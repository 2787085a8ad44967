import { hasOwn, own } from "../own.ts";
import { GROUP_ALIASES, type Host, type Topology } from "./schema.ts";

/**
 * A cluster's members: the topology that compiles, and which of its hosts joined with a token
 * without the operator ever declaring them. Declared hosts are what operators PUT; registered
 * ones stay through a PUT that does not mention them.
 */
export interface Membership {
  topology: Topology;
  /** hosts that joined and were never declared, sorted */
  registered: string[];
}

const EMPTY: Topology = { hosts: {}, groups: {}, vars: {} };

/** The groups that list a host directly (canonical names), in the topology's order. */
export function directGroups(t: Topology, host: string): string[] {
  return Object.entries(t.groups)
    .filter(([, g]) => g.hosts.includes(host))
    .map(([name]) => name);
}

/** Sets one host's entry and exactly the groups named (others lose it); groups are created as needed. */
export function withHost(
  t: Topology | null,
  host: string,
  entry: Host,
  groups: string[],
): Topology {
  const base = t ?? EMPTY;
  const next: Topology = { ...base, hosts: { ...base.hosts, [host]: entry }, groups: {} };
  for (const [name, g] of Object.entries(base.groups)) {
    next.groups[name] = { ...g, hosts: g.hosts.filter((h) => h !== host) };
  }
  for (const name of groups.map(canonicalGroup)) {
    const g = own(next.groups, name) ?? { hosts: [], children: [] };
    next.groups[name] = { ...g, hosts: [...g.hosts, host] };
  }
  return next;
}

/** The topology without these hosts (entries and group membership). */
export function withoutHosts(t: Topology, hosts: ReadonlySet<string>): Topology {
  if (hosts.size === 0) return t;
  const kept = Object.entries(t.hosts).filter(([h]) => !hosts.has(h));
  const groups: Topology["groups"] = {};
  for (const [name, g] of Object.entries(t.groups)) {
    groups[name] = { ...g, hosts: g.hosts.filter((h) => !hosts.has(h)) };
  }
  return { ...t, hosts: Object.fromEntries(kept), groups };
}

/**
 * A PUT's outcome: the declared topology, plus every registered host it does not mention (in
 * the groups it was in), unless `prune`. A registered host the PUT mentions becomes declared.
 */
export function replaceDeclared(
  current: Membership | null,
  declared: Topology,
  prune: boolean,
): Membership {
  if (!current || prune) return { topology: declared, registered: [] };
  let topology = declared;
  const registered: string[] = [];
  for (const h of current.registered) {
    if (hasOwn(declared.hosts, h)) continue;
    const entry = own(current.topology.hosts, h) ?? {};
    topology = withHost(topology, h, entry, directGroups(current.topology, h));
    registered.push(h);
  }
  return { topology, registered };
}

/** The part of a version that operators declared: its topology without its registered hosts. */
export function declaredPart(m: Membership): Topology {
  return withoutHosts(m.topology, new Set(m.registered));
}

/** Hosts present before and gone after: each loses its credential. */
export function removedHosts(before: Topology | null, after: Topology): string[] {
  if (!before) return [];
  return Object.keys(before.hosts)
    .filter((h) => !hasOwn(after.hosts, h))
    .sort();
}

/** A group name as stored: modern aliases fold into the Kargo document's names. */
export function canonicalGroup(name: string): string {
  return own(GROUP_ALIASES, name) ?? name;
}

/**
 * The groups listing `host` that a join token with `tokenGroups` does not grant: a token may
 * claim a declared, never-registered host only when this is empty (a kube-node token cannot
 * become a master).
 */
export function uncoveredGroups(t: Topology, host: string, tokenGroups: string[]): string[] {
  const allowed = new Set(tokenGroups.map(canonicalGroup));
  return directGroups(t, host).filter((g) => !allowed.has(g));
}

/** How a join claims its host: a new one, a declared one never registered, or a re-imaged one. */
export type Claim = "new" | "declared" | "reimage";

/** Why a join may not claim its host: it has an agent already, or the token cannot cover it. */
export type ClaimRefusal = { reason: "registered" | "forbidden"; message: string };

/**
 * The join claim rule, pure: a new host joins in the token's groups; a declared host that
 * never registered is claimed when the token's groups cover its groups (its address filled in
 * from the join when it has none); a host that has an agent (a credential, or registered
 * before) only by a token naming it (`reimage`). Returns the claim and the next membership.
 */
export function claimHost(
  m: Membership | null,
  join: {
    host: string;
    ip: string;
    tokenGroups: string[];
    /** the token names this host: it may replace its agent */
    reimage: boolean;
    /** the host has a credential now */
    hasCredential: boolean;
  },
): { ok: true; claim: Claim; next: Membership } | { ok: false; refusal: ClaimRefusal } {
  const { host, ip, tokenGroups } = join;
  const entry = m ? own(m.topology.hosts, host) : undefined;
  let claim: Claim = "new";
  if (join.hasCredential || (entry && m?.registered.includes(host))) {
    if (!join.reimage)
      return {
        ok: false,
        refusal: {
          reason: "registered",
          message: `host '${host}' already has an agent; to replace its machine, create a join token with hosts: ["${host}"]`,
        },
      };
    claim = "reimage";
  } else if (entry && m) {
    const missing = uncoveredGroups(m.topology, host, tokenGroups);
    if (missing.length > 0)
      return {
        ok: false,
        refusal: {
          reason: "forbidden",
          message: `host '${host}' is declared in ${missing.map((g) => `'${g}'`).join(", ")}, which this join token does not grant`,
        },
      };
    claim = "declared";
  }
  if (!m)
    return {
      ok: true,
      claim,
      next: { topology: withHost(null, host, { ip }, tokenGroups), registered: [host] },
    };
  if (entry) {
    if (entry.ip !== undefined) return { ok: true, claim, next: m };
    const topology = withHost(m.topology, host, { ...entry, ip }, directGroups(m.topology, host));
    return { ok: true, claim, next: { topology, registered: m.registered } };
  }
  const topology = withHost(m.topology, host, { ip }, tokenGroups);
  return { ok: true, claim, next: { topology, registered: [...m.registered, host].sort() } };
}
