import { parse as parseYaml } from "yaml";
import type { Issue } from "../result.ts";
import { readIniInventory } from "./inventory-ini.ts";
import { declareHost, DECLARATION_GROUPS, emptyRaw, group, type RawTopology } from "./inventory.ts";
import { readYamlInventory } from "./inventory-yaml.ts";

/** An Ansible inventory directory as text: its inventory files and its vars files. */
export interface InventoryDir {
  /** files at the top of the directory (INI, or YAML by extension) */
  inventories: Array<{ path: string; text: string }>;
  /** `group_vars/<group>.yml` and `group_vars/<group>/*.yml`, in the order they apply */
  groupVars: Array<{ group: string; path: string; text: string }>;
  /** `host_vars/<host>.yml` and `host_vars/<host>/*.yml` */
  hostVars: Array<{ host: string; path: string; text: string }>;
}

const isMap = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Merges a directory the way Ansible reads it: every inventory file, then group_vars over
 * the inventory's group vars and host_vars over its host vars (files of one group or host in
 * name order). The result is one raw topology for the API's usual validation.
 */
export function readInventoryDir(dir: InventoryDir): { raw: RawTopology; issues: Issue[] } {
  const raw = emptyRaw();
  const issues: Issue[] = [];
  for (const f of dir.inventories) {
    const yaml = /\.ya?ml$/i.test(f.path);
    const read = yaml ? readYamlInventory(f.text) : readIniInventory(f.text);
    for (const i of read.issues) issues.push({ path: `${f.path}:${i.path}`, message: i.message });
    if (read.issues.length === 0) mergeRaw(raw, read.raw as RawTopology);
  }
  for (const f of dir.groupVars) {
    const vars = varsFile(f, issues);
    if (!vars) continue;
    if (DECLARATION_GROUPS.has(f.group)) Object.assign(raw.vars, vars);
    else Object.assign((group(raw, f.group).vars ??= {}), vars);
  }
  for (const f of dir.hostVars) {
    const vars = varsFile(f, issues);
    // Ansible applies host_vars only to hosts its inventory has.
    if (vars && Object.hasOwn(raw.hosts, f.host)) declareHost(raw, f.host, vars);
  }
  return { raw, issues };
}

function varsFile(f: { path: string; text: string }, issues: Issue[]) {
  let doc: unknown;
  try {
    doc = parseYaml(f.text, { maxAliasCount: 100 }) ?? {};
  } catch (e) {
    const message = e instanceof Error ? (e.message.split("\n")[0] ?? "") : "";
    issues.push({ path: f.path, message: `invalid YAML: ${message}` });
    return null;
  }
  if (!isMap(doc)) {
    issues.push({ path: f.path, message: "a vars file must be a YAML map" });
    return null;
  }
  return doc;
}

function mergeRaw(into: RawTopology, from: Partial<RawTopology>): void {
  for (const [h, v] of Object.entries(from.hosts ?? {})) {
    const { vars, ...fields } = v as { vars?: Record<string, unknown> };
    declareHost(into, h, { ...fields, ...(vars ?? {}) });
  }
  for (const [name, g] of Object.entries(from.groups ?? {})) {
    const target = group(into, name);
    for (const h of g.hosts ?? []) if (!target.hosts.includes(h)) target.hosts.push(h);
    for (const c of g.children ?? []) if (!target.children.includes(c)) target.children.push(c);
    if (g.vars) Object.assign((target.vars ??= {}), g.vars);
  }
  Object.assign(into.vars, from.vars ?? {});
}
