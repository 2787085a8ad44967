import { err, type Issue, type Result } from "../result.ts";
import { readIniInventory } from "./inventory-ini.ts";
import { readYamlInventory } from "./inventory-yaml.ts";
import type { Topology } from "./schema.ts";
import type { ProfileChoice } from "./profile.ts";
import { parseTopology } from "./validate.ts";

export type TopologyFormat = "json" | "ini" | "yaml";

/** Any accepted body (JSON topology, INI or YAML inventory) to a validated topology. */
export function importTopology(
  text: string,
  format: TopologyFormat,
  info: { profile?: ProfileChoice } = {},
): Result<Topology, Issue[]> {
  if (format === "ini") {
    const { raw, issues } = readIniInventory(text);
    return issues.length > 0 ? err(issues) : parseTopology(raw, info);
  }
  if (format === "yaml") {
    const { raw, issues } = readYamlInventory(text);
    return issues.length > 0 ? err(issues) : parseTopology(raw, info);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    return err([{ path: "body", message: `invalid JSON: ${e instanceof Error ? e.message : ""}` }]);
  }
  return parseTopology(doc, info);
}
