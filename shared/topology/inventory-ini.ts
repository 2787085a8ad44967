import { parse as parseYaml } from "yaml";
import type { Issue } from "../result.ts";
import { STRUCTURED_VARS } from "./settings.ts";
import { declareHost, DECLARATION_GROUPS, emptyRaw, group, type RawTopology } from "./inventory.ts";

type Section = { name: string; kind: "hosts" | "children" | "vars" };

/**
 * Reads an Ansible INI inventory: `[group]`, `[group:children]`, `[group:vars]`, `[all:vars]`
 * and inline host vars. Problems are collected with their line numbers.
 */
export function readIniInventory(text: string): { raw: RawTopology; issues: Issue[] } {
  const raw = emptyRaw();
  const issues: Issue[] = [];
  let section: Section = { name: "ungrouped", kind: "hosts" };
  text.split(/\r?\n/).forEach((line, index) => {
    const at = `line.${index + 1}`;
    const trimmed = line.trim();
    if (trimmed === "" || trimmed.startsWith("#") || trimmed.startsWith(";")) return;
    if (trimmed.startsWith("[")) {
      const m = /^\[([^\]:]+)(?::(children|vars))?\]$/.exec(trimmed);
      if (!m || m[1] === undefined) {
        issues.push({ path: at, message: `not a section header: ${JSON.stringify(trimmed)}` });
        return;
      }
      section = { name: m[1], kind: (m[2] as "children" | "vars" | undefined) ?? "hosts" };
      if (section.kind !== "vars" && !DECLARATION_GROUPS.has(section.name))
        group(raw, section.name);
      return;
    }
    const tokens = tokenize(trimmed);
    if (!tokens.ok) {
      issues.push({ path: at, message: tokens.error });
      return;
    }
    readLine(raw, section, tokens.value, at, issues);
  });
  return { raw, issues };
}

function readLine(raw: RawTopology, s: Section, tokens: string[], at: string, issues: Issue[]) {
  const [first = "", ...rest] = tokens;
  if (s.kind === "children") {
    if (rest.length > 0) issues.push({ path: at, message: "a children line names one group" });
    group(raw, s.name).children.push(first);
    return;
  }
  if (s.kind === "vars") {
    const kv = splitVar(tokens.join(" "), at, issues);
    if (!kv) return;
    if (DECLARATION_GROUPS.has(s.name)) raw.vars[kv[0]] = kv[1];
    else (group(raw, s.name).vars ??= {})[kv[0]] = kv[1];
    return;
  }
  if (/\[[^\]]*:[^\]]*\]/.test(first)) {
    issues.push({ path: at, message: `host ranges such as '${first}' are not supported` });
    return;
  }
  const vars: Record<string, unknown> = {};
  for (const token of rest) {
    const kv = splitVar(token, at, issues);
    if (kv) vars[kv[0]] = kv[1];
  }
  declareHost(raw, first, vars);
  if (!DECLARATION_GROUPS.has(s.name)) group(raw, s.name).hosts.push(first);
}

function splitVar(text: string, at: string, issues: Issue[]): [string, unknown] | null {
  const eq = text.indexOf("=");
  if (eq <= 0) {
    issues.push({ path: at, message: `expected name=value, got ${JSON.stringify(text)}` });
    return null;
  }
  const name = text.slice(0, eq).trim();
  const value = text.slice(eq + 1).trim();
  // Only a var halo reads as a structure is parsed as one; any other value (Jinja, maps halo
  // never reads) is kept as the string Ansible would see.
  const structured = STRUCTURED_VARS.has(name) && !/\{\{|\{%/.test(value);
  if (structured && (value.startsWith("{") || value.startsWith("["))) {
    try {
      return [name, parseYaml(value) as unknown];
    } catch {
      issues.push({ path: `${at}.${name}`, message: "is not a valid inline map or list" });
      return null;
    }
  }
  return [name, unquote(value)];
}

function unquote(v: string): string {
  const q = v[0];
  return (q === '"' || q === "'") && v.length >= 2 && v.endsWith(q) ? v.slice(1, -1) : v;
}

/** Splits on whitespace outside quotes and braces, so `lb={"address": "x"}` stays whole. */
function tokenize(line: string): { ok: true; value: string[] } | { ok: false; error: string } {
  const out: string[] = [];
  let cur = "";
  let quote: string | null = null;
  let depth = 0;
  for (const ch of line) {
    if (quote) {
      cur += ch;
      if (ch === quote) quote = null;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      cur += ch;
    } else if (ch === "{" || ch === "[") {
      depth++;
      cur += ch;
    } else if (ch === "}" || ch === "]") {
      depth--;
      cur += ch;
    } else if (/\s/.test(ch) && depth === 0) {
      if (cur !== "") out.push(cur);
      cur = "";
    } else if (ch === "#" && depth === 0 && cur === "") {
      break;
    } else {
      cur += ch;
    }
  }
  if (quote) return { ok: false, error: "unterminated quote" };
  if (cur !== "") out.push(cur);
  return { ok: true, value: out };
}
