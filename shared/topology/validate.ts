import { hasOwn, own } from "../own.ts";
import { err, issuesOf, ok, type Issue, type Result } from "../result.ts";
import { MAX_GROUP_DEPTH, unsafeShape } from "./limits.ts";
import { GROUPS, GROUP_ALIASES, TopologySchema, type Group, type Topology } from "./schema.ts";
import { chooseProfile, type ProfileChoice } from "./profile.ts";
import { checkKnownVars } from "./settings.ts";

/** Groups that exist in every cluster even when the inventory leaves them out. */
const IMPLICIT_GROUPS = [GROUPS.etcd, GROUPS.master, GROUPS.node, GROUPS.cluster, GROUPS.lb, "all"];

/**
 * Parses and checks a topology: shape, group aliases folded into the Kargo document's names, references,
 * duplicates, cycles, the known vars' types, and a kube-master and an etcd member present.
 */
export function parseTopology(
  input: unknown,
  /** filled in with the profile chosen and why, for the dry run */
  info: { profile?: ProfileChoice } = {},
): Result<Topology, Issue[]> {
  const deep = unsafeShape(input);
  if (deep) return err([deep]);
  const parsed = TopologySchema.safeParse(input);
  if (!parsed.success) {
    return err(issuesOf(parsed.error.issues));
  }
  const issues: Issue[] = [];
  const chosen = chooseProfile(parsed.data);
  if ("issue" in chosen) return err([chosen.issue]);
  info.profile = chosen.choice;
  // The naming is folded away below: a profile it implied is written down, so it survives.
  const named =
    chosen.choice.name === "kubespray" && !hasOwn(parsed.data.vars, "halo_profile")
      ? { ...parsed.data, vars: { ...parsed.data.vars, halo_profile: "kubespray" } }
      : parsed.data;
  const topology = foldAliases(named, issues);
  checkNames(topology, issues);
  checkReferences(topology, issues);
  if (issues.length === 0) checkNesting(topology, issues);
  checkVars(topology, issues);
  if (issues.length === 0) checkRoles(topology, issues);
  return issues.length === 0 ? ok(topology) : err(issues);
}

function foldAliases(t: Topology, issues: Issue[]): Topology {
  const groups: Record<string, Group> = {};
  const rename = (g: string) => own(GROUP_ALIASES, g) ?? g;
  for (const [name, group] of Object.entries(t.groups)) {
    const canonical = rename(name);
    if (canonical !== name && hasOwn(t.groups, canonical)) {
      issues.push({
        path: `groups.${name}`,
        message: `names the same group as '${canonical}'; use one of them`,
      });
      continue;
    }
    groups[canonical] = { ...group, children: group.children.map(rename) };
  }
  return { ...t, groups };
}

function checkNames(t: Topology, issues: Issue[]): void {
  const seen = new Map<string, string>();
  for (const name of Object.keys(t.hosts)) {
    const lower = name.toLowerCase();
    const other = seen.get(lower);
    if (other !== undefined) {
      issues.push({
        path: `hosts.${name}`,
        message: `duplicates host '${other}' (names ignore case)`,
      });
    }
    seen.set(lower, name);
  }
}

function checkReferences(t: Topology, issues: Issue[]): void {
  for (const [name, group] of Object.entries(t.groups)) {
    const hosts = new Set<string>();
    group.hosts.forEach((h, i) => {
      if (!hasOwn(t.hosts, h)) {
        issues.push({ path: `groups.${name}.hosts.${i}`, message: `unknown host '${h}'` });
      }
      if (hosts.has(h)) {
        issues.push({ path: `groups.${name}.hosts.${i}`, message: `host '${h}' is listed twice` });
      }
      hosts.add(h);
    });
    const children = new Set<string>();
    group.children.forEach((c, i) => {
      if (!hasOwn(t.groups, c) && !IMPLICIT_GROUPS.includes(c)) {
        issues.push({ path: `groups.${name}.children.${i}`, message: `unknown group '${c}'` });
      }
      if (children.has(c)) {
        issues.push({
          path: `groups.${name}.children.${i}`,
          message: `group '${c}' is listed twice`,
        });
      }
      children.add(c);
    });
  }
}

/**
 * Children must form no cycle and nest at most MAX_GROUP_DEPTH levels. Walked with an explicit
 * stack: a chain of 20,000 groups is refused in linear time, not by a stack overflow.
 */
function checkNesting(t: Topology, issues: Issue[]): void {
  const state = new Map<string, "visiting" | "done">();
  for (const root of Object.keys(t.groups)) {
    if (state.has(root)) continue;
    const trail: Array<{ group: string; next: number }> = [{ group: root, next: 0 }];
    state.set(root, "visiting");
    while (trail.length > 0) {
      const top = trail[trail.length - 1] as { group: string; next: number };
      const child = own(t.groups, top.group)?.children[top.next++];
      if (child === undefined) {
        state.set(top.group, "done");
        trail.pop();
        continue;
      }
      const seen = state.get(child);
      if (seen === "done") continue;
      const names = () => [...trail.map((f) => f.group), child];
      if (seen === "visiting") {
        const cycle = names();
        issues.push({
          path: `groups.${child}.children`,
          message: `cycle in children: ${cycle.slice(cycle.indexOf(child)).join(" -> ")}`,
        });
        return;
      }
      if (trail.length >= MAX_GROUP_DEPTH) {
        issues.push({
          path: `groups.${root}.children`,
          message: `groups nest more than ${MAX_GROUP_DEPTH} levels deep`,
        });
        return;
      }
      state.set(child, "visiting");
      trail.push({ group: child, next: 0 });
    }
  }
}

function checkVars(t: Topology, issues: Issue[]): void {
  issues.push(...checkKnownVars(t.vars, "vars"));
  for (const [name, g] of Object.entries(t.groups)) {
    issues.push(...checkKnownVars(g.vars, `groups.${name}.vars`));
  }
  for (const [name, h] of Object.entries(t.hosts)) {
    issues.push(...checkKnownVars(h.vars, `hosts.${name}.vars`));
  }
}

function checkRoles(t: Topology, issues: Issue[]): void {
  const members = (g: string) => resolveGroup(t, g);
  if (members(GROUPS.master).length === 0) {
    issues.push({
      path: `groups.${GROUPS.master}`,
      message: "a cluster needs at least one kube-master host",
    });
  }
  // Kubespray: etcd_hosts: "{{ groups['etcd'] | default(groups['kube_control_plane']) }}"
  if (members(GROUPS.etcd).length === 0 && own(t.vars, "halo_profile") !== "kubespray") {
    issues.push({
      path: `groups.${GROUPS.etcd}`,
      message: "a cluster needs at least one etcd member",
    });
  }
}

/**
 * A group's hosts in inventory order: its own hosts, then each child's, without repeats.
 * k8s-cluster defaults to the children kube-master and kube-node, as in Kargo's inventories.
 */
export function resolveGroup(t: Topology, name: string, seen = new Set<string>()): string[] {
  if (seen.has(name)) return [];
  seen.add(name);
  const given = own(t.groups, name);
  // A k8s-cluster named only to carry vars (group_vars/k8s_cluster) keeps its default members.
  const bare = given !== undefined && given.hosts.length === 0 && given.children.length === 0;
  const group = (bare ? defaultGroup(name) : undefined) ?? given ?? defaultGroup(name);
  if (!group) return [];
  const out = new Set<string>(group.hosts);
  for (const child of group.children) for (const h of resolveGroup(t, child, seen)) out.add(h);
  return [...out];
}

function defaultGroup(name: string): Group | undefined {
  // Kubespray: "k8s_cluster is dynamically defined as the union of kube_node,
  // kube_control_plane and calico_rr" (docs/ansible/inventory.md).
  if (name === GROUPS.cluster)
    return { hosts: [], children: [GROUPS.master, GROUPS.node, "calico_rr"] };
  return undefined;
}
