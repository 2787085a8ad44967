import type { Context } from "hono";
import * as z from "zod/mini";
import type { $ZodType, output } from "zod/v4/core";
import type { TopologyFormat } from "../shared/topology/import.ts";
import type { AppEnv } from "./env.ts";
import { AppError, ErrorCode, invalid } from "./errors.ts";

const mediaType = (c: Context) =>
  (c.req.header("content-type") ?? "").split(";")[0]?.trim().toLowerCase() ?? "";

/** Reads a JSON body and validates it; 415 for another media type, 422 naming the fields. */
export async function readJson<S extends $ZodType>(
  c: Context<AppEnv>,
  schema: S,
): Promise<output<S>> {
  if (mediaType(c) !== "application/json") {
    throw new AppError(ErrorCode.unsupportedMediaType, 415, "send Content-Type: application/json");
  }
  let doc: unknown;
  try {
    doc = JSON.parse(await c.req.text());
  } catch {
    throw invalid([{ path: "body", message: "is not valid JSON" }]);
  }
  const parsed = z.safeParse(schema, doc);
  if (!parsed.success) {
    throw invalid(
      parsed.error.issues.map((i) => ({ path: i.path.map(String).join("."), message: i.message })),
    );
  }
  return parsed.data;
}

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
      415,
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
