import type { Context } from "hono";
import type { TopologyFormat } from "../shared/topology/import.ts";
import type { AppEnv } from "./env.ts";
import { AppError, ErrorCode, invalid } from "./errors.ts";

/** The request's media type, lower case, without parameters. */
export const mediaType = (c: Context) =>
  (c.req.header("content-type") ?? "").split(";")[0]?.trim().toLowerCase() ?? "";

const TOPOLOGY_TYPES: Record<string, TopologyFormat> = {
  "application/json": "json",
  "text/plain": "ini",
  "application/yaml": "yaml",
  "application/x-yaml": "yaml",
  "text/yaml": "yaml",
};

/** A topology body: JSON, an INI inventory (text/plain) or a YAML one (application/yaml). */
export async function readTopologyBody(
  c: Context<AppEnv>,
): Promise<{ text: string; format: TopologyFormat }> {
  const format = TOPOLOGY_TYPES[mediaType(c)];
  if (!format) {
    throw new AppError(
      ErrorCode.unsupportedMediaType,
      "send the topology as application/json, an INI inventory as text/plain, or YAML as application/yaml",
    );
  }
  // Decoded here: YAML and INI bodies are text whatever their media type says.
  return { text: new TextDecoder().decode(await c.req.arrayBuffer()), format };
}

/** Reads If-Match: a version number in quotes (strong or weak), `*`, or nothing. */
export function ifMatch(c: Context): number | "*" | undefined {
  const h = c.req.header("if-match");
  if (h === undefined) return undefined;
  if (h.trim() === "*") return "*";
  const m = /^(?:W\/)?"(\d+)"$/.exec(h.trim());
  if (!m) throw invalid([{ path: "If-Match", message: 'must be an ETag such as "3"' }]);
  return Number(m[1]);
}
