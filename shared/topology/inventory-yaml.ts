import { parse as parseYaml } from "yaml";
import type { Issue } from "../result.ts";
import { unsafeShape } from "./limits.ts";
import { declareHost, DECLARATION_GROUPS, emptyRaw, group, type RawTopology } from "./inventory.ts";

const isMap = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Reads YAML: an Ansible inventory (`all: {hosts, children, vars}`), or halo's JSON topology
 * written as YAML (top-level `hosts`/`groups`/`vars`), which is returned as it is.
 */
export function readYamlInventory(text: string): { raw: unknown; issues: Issue[] } {
  let doc: unknown;
  try {
    doc = parseYaml(text, { maxAliasCount: 100 });
  } catch (e) {
    const line = (e as { linePos?: Array<{ line: number }> }).linePos?.[0]?.line;
    const message = e instanceof Error ? (e.message.split("\n")[0] ?? "") : "";
    return {
      raw: null,
      issues: [{ path: line ? `line.${line}` : "body", message: `invalid YAML: ${message}` }],
    };
  }
  if (!isMap(doc)) return { raw: null, issues: [{ path: "body", message: "must be a YAML map" }] };
  // Before any copying: a `__proto__` key (which an assignment would silently drop) is refused
  // with its path, as in JSON, and so is a document nested too deep.
  const unsafe = unsafeShape(doc);
  if (unsafe) return { raw: null, issues: [unsafe] };
  if (!("all" in doc)) return { raw: doc, issues: [] };
  const raw = emptyRaw();
  const issues: Issue[] = [];
  readGroup(raw, "all", doc.all ?? {}, "all", issues);
  return { raw, issues };
}

function readGroup(
  raw: RawTopology,
  name: string,
  node: unknown,
  at: string,
  issues: Issue[],
): void {
  if (node === null) node = {};
  if (!isMap(node)) {
    issues.push({ path: at, message: "a group must be a map of hosts, children and vars" });
    return;
  }
  for (const key of Object.keys(node)) {
    if (!["hosts", "children", "vars"].includes(key)) {
      issues.push({
        path: `${at}.${key}`,
        message: "unknown key (expected hosts, children or vars)",
      });
    }
  }
  const declaration = DECLARATION_GROUPS.has(name);
  if (!declaration) group(raw, name);
  const { hosts = {}, children = {}, vars } = node as Record<string, unknown>;
  if (!isMap(hosts ?? {}))
    issues.push({ path: `${at}.hosts`, message: "must be a map of host names" });
  else
    for (const [h, hv] of Object.entries(hosts ?? {})) {
      if (hv !== null && !isMap(hv)) {
        issues.push({ path: `${at}.hosts.${h}`, message: "host vars must be a map" });
        continue;
      }
      declareHost(raw, h, hv ?? {});
      if (!declaration) group(raw, name).hosts.push(h);
    }
  if (vars !== undefined && vars !== null) {
    if (!isMap(vars)) issues.push({ path: `${at}.vars`, message: "must be a map" });
    else if (declaration) Object.assign(raw.vars, vars);
    else Object.assign((group(raw, name).vars ??= {}), vars);
  }
  if (!isMap(children ?? {}))
    issues.push({ path: `${at}.children`, message: "must be a map of groups" });
  else
    for (const [c, cn] of Object.entries(children ?? {})) {
      if (!declaration) group(raw, name).children.push(c);
      readGroup(raw, c, cn, `${at}.children.${c}`, issues);
    }
}
