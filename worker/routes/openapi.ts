import { Hono } from "hono";
import { z } from "zod";
import type { $ZodType } from "zod/v4/core";
import { canonicalJson } from "../../shared/canonical-json.ts";
import { sha256Hex } from "../../shared/hash.ts";
import { LivePolicySchema } from "../../shared/live.ts";
import * as S from "../../shared/api-schemas.ts";
import type { AppEnv } from "../env.ts";

/** Schemas that refer to themselves (vars nest), hoisted into components, keyed by content. */
let hoisted: Record<string, unknown> = {};

function rewriteRefs(x: unknown, names: Map<string, string>): unknown {
  if (Array.isArray(x)) return x.map((v) => rewriteRefs(v, names));
  if (x && typeof x === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(x)) {
      const local = typeof v === "string" ? /^#\/(?:definitions|\$defs)\/(.+)$/.exec(v) : null;
      out[k] =
        k === "$ref" && local?.[1] !== undefined
          ? `#/components/schemas/${names.get(local[1]) ?? local[1]}`
          : rewriteRefs(v, names);
    }
    return out;
  }
  return x;
}

function json(schema: $ZodType): unknown {
  const out = z.toJSONSchema(schema, {
    io: "input",
    unrepresentable: "any",
    target: "openapi-3.0",
  }) as Record<string, unknown>;
  const defs = (out.definitions ?? out.$defs) as Record<string, unknown> | undefined;
  delete out.definitions;
  delete out.$defs;
  delete out.$schema;
  if (!defs) return out;
  const names = new Map(
    Object.entries(defs).map(([k, v]) => [k, `Shared${sha256Hex(canonicalJson(v)).slice(0, 10)}`]),
  );
  for (const [k, v] of Object.entries(defs)) hoisted[names.get(k) ?? k] = rewriteRefs(v, names);
  return rewriteRefs(out, names);
}

/** Every `{name}` of a path as a required string parameter. */
function withPathParams(paths: Record<string, Record<string, unknown>>) {
  for (const [path, item] of Object.entries(paths)) {
    const names = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1] as string);
    for (const [method, op] of Object.entries(item)) {
      const o = op as { parameters?: Array<{ name: string; in: string }> };
      const declared = new Set(
        (o.parameters ?? []).filter((p) => p.in === "path").map((p) => p.name),
      );
      const missing = names
        .filter((n) => !declared.has(n))
        .map((name) => ({ name, in: "path", required: true, schema: { type: "string" } }));
      if (missing.length > 0)
        item[method] = { ...o, parameters: [...(o.parameters ?? []), ...missing] };
    }
  }
  return paths;
}

const problem = {
  description: "problem+json",
  content: { "application/problem+json": { schema: json(S.Problem) } },
};
const ok = (schema: $ZodType, description = "OK") => ({
  description,
  content: { "application/json": { schema: json(schema) } },
});
const body = (schema: $ZodType) => ({
  required: true,
  content: { "application/json": { schema: json(schema) } },
});
const errors = {
  "400": problem,
  "401": problem,
  "403": problem,
  "404": problem,
  "413": problem,
  "415": problem,
  "422": problem,
};
const admin = [{ admin: [] }];
const query = (name: string, type: string, description: string) => ({
  name,
  in: "query",
  required: false,
  description,
  schema: { type },
});
const ifMatchHeader = {
  name: "If-Match",
  in: "header",
  required: false,
  description: 'the version read, as an ETag such as "3"; 412 when the topology moved on',
  schema: { type: "string" },
};
const nodeOrAdmin = [{ admin: [] }, { node: [] }];

/** The OpenAPI document, built from the very zod schemas the routes validate with. */
function buildDocument() {
  const topologyBody = {
    required: true,
    content: {
      "application/json": { schema: json(S.TopologySchema) },
      "text/plain": { schema: { type: "string", description: "an Ansible INI inventory" } },
      "application/yaml": { schema: { type: "string", description: "an Ansible YAML inventory" } },
    },
  };
  return {
    openapi: "3.0.3",
    info: { title: "halo control plane", version: "1" },
    components: {
      securitySchemes: {
        admin: { type: "http", scheme: "bearer", description: "HALO_ADMIN_TOKEN" },
        node: {
          type: "http",
          scheme: "bearer",
          description: "a node credential from /v1/register",
        },
      },
    },
    paths: {
      "/v1/clusters": {
        post: {
          security: admin,
          requestBody: body(S.CreateClusterBody),
          responses: { "201": ok(S.ClusterSummary, "created"), "409": problem, ...errors },
        },
        get: {
          security: admin,
          responses: { "200": ok(z.object({ clusters: z.array(S.ClusterSummary) })), ...errors },
        },
      },
      "/v1/clusters/{c}": {
        get: { security: admin, responses: { "200": ok(S.ClusterSummary), ...errors } },
        delete: { security: admin, responses: { "204": { description: "deleted" }, ...errors } },
      },
      "/v1/clusters/{c}/topology": {
        get: { security: admin, responses: { "200": ok(S.TopologyResponse), ...errors } },
        put: {
          security: admin,
          parameters: [
            query(
              "dryRun",
              "boolean",
              "describe the change per host (and the profile chosen), commit nothing",
            ),
            query("prune", "boolean", "also remove registered hosts the body does not list"),
            ifMatchHeader,
          ],
          requestBody: topologyBody,
          responses: { "200": ok(S.PutTopologyResponse), "412": problem, ...errors },
        },
      },
      "/v1/clusters/{c}/hosts/{h}": {
        put: {
          security: admin,
          parameters: [ifMatchHeader],
          requestBody: body(S.HostBody),
          responses: { "200": ok(S.PutTopologyResponse), "412": problem, ...errors },
        },
        delete: {
          security: admin,
          parameters: [ifMatchHeader],
          responses: { "200": ok(S.PutTopologyResponse), "412": problem, ...errors },
        },
      },
      "/v1/clusters/{c}/nodes": {
        get: {
          security: admin,
          responses: { "200": ok(z.object({ nodes: z.array(S.NodeStatus) })), ...errors },
        },
      },
      "/v1/clusters/{c}/nodes/{h}/endpoints": {
        get: { security: nodeOrAdmin, responses: { "200": ok(S.EndpointsResponse), ...errors } },
      },
      "/v1/clusters/{c}/nodes/{h}/config": {
        get: { security: nodeOrAdmin, responses: { "200": ok(S.BundleSchema), ...errors } },
      },
      "/v1/clusters/{c}/join-tokens": {
        post: {
          security: admin,
          requestBody: body(S.JoinTokenBody),
          responses: { "201": ok(S.JoinTokenResponse, "created"), ...errors },
        },
        get: { security: admin, responses: { "200": ok(S.JoinTokenList), ...errors } },
      },
      "/v1/clusters/{c}/join-tokens/{id}": {
        delete: { security: admin, responses: { "204": { description: "revoked" }, ...errors } },
      },
      "/v1/clusters/{c}/audit": {
        get: {
          security: admin,
          parameters: [
            query("limit", "integer", "at most this many entries (newest first)"),
            query("before", "integer", "entries with an id below this one (the next page)"),
          ],
          responses: { "200": ok(z.object({ entries: z.array(S.AuditEntry) })), ...errors },
        },
      },
      "/v1/clusters/{c}/rollout-policy": {
        get: { security: admin, responses: { "200": ok(S.RolloutPolicySchema), ...errors } },
        put: {
          security: admin,
          requestBody: body(S.RolloutPolicySchema),
          responses: { "200": ok(S.RolloutPolicySchema), ...errors },
        },
      },
      "/v1/clusters/{c}/rollouts": {
        get: {
          security: admin,
          responses: { "200": ok(z.object({ rollouts: z.array(S.RolloutSummary) })), ...errors },
        },
      },
      "/v1/clusters/{c}/rollouts/{id}": {
        get: { security: admin, responses: { "200": ok(S.RolloutDetail), ...errors } },
      },
      "/v1/clusters/{c}/rollouts/{id}/{action}": {
        post: {
          security: admin,
          parameters: [
            {
              name: "action",
              in: "path",
              required: true,
              schema: { type: "string", enum: ["pause", "resume", "abort", "rollback"] },
            },
          ],
          responses: {
            "200": ok(S.RolloutDetail),
            "201": ok(S.PutTopologyResponse, "rollback started"),
            "409": problem,
            ...errors,
          },
        },
      },
      "/v1/clusters/{c}/rollback": {
        post: {
          security: admin,
          requestBody: body(S.RollbackBody),
          responses: { "201": ok(S.PutTopologyResponse, "rollback started"), ...errors },
        },
      },
      "/v1/clusters/{c}/live-policy": {
        get: { security: admin, responses: { "200": ok(LivePolicySchema), ...errors } },
        put: {
          security: admin,
          requestBody: body(LivePolicySchema),
          responses: { "200": ok(LivePolicySchema), ...errors },
        },
      },
      "/v1/clusters/{c}/diagram": {
        get: {
          security: admin,
          description:
            "the traffic diagram: masters, etcd members, the external LB and every distinct path nodes take to the apiserver and etcd",
          responses: { "200": ok(S.DiagramResponse), ...errors },
        },
      },
      "/v1/clusters/{c}/reachability": {
        get: { security: admin, responses: { "200": ok(S.ReachabilityResponse), ...errors } },
      },
      "/v1/clusters/{c}/metrics": {
        get: {
          security: admin,
          responses: {
            "200": {
              description: "the fleet's gauges",
              content: { "text/plain": { schema: { type: "string" } } },
            },
            ...errors,
          },
        },
      },
      "/v1/clusters/{c}/events": {
        get: {
          security: admin,
          responses: {
            "101": {
              description: "WebSocket: JSON frames {type: node|probe|drift|rollout, at, ...}",
            },
            ...errors,
          },
        },
      },
      "/v1/register": {
        post: {
          requestBody: body(S.RegisterBody),
          responses: { "201": ok(S.RegisterResponse, "registered"), ...errors },
        },
      },
      "/v1/agent/config": {
        get: {
          security: [{ node: [] }],
          responses: {
            "200": ok(S.WireBundleSchema),
            "304": { description: "unchanged (If-None-Match)" },
            ...errors,
          },
        },
      },
      "/v1/agent/connect": {
        get: {
          security: [{ node: [] }],
          responses: { "101": { description: "WebSocket: shared/protocol.ts frames" }, ...errors },
        },
      },
    },
  };
}

export const openApiRoutes = new Hono<AppEnv>().get("/openapi.json", (c) =>
  c.json(openApiDocument()),
);

/** The document as served: path parameters declared, shared schemas in components. */
export function openApiDocument() {
  hoisted = {};
  const doc = buildDocument();
  withPathParams(doc.paths as Record<string, Record<string, unknown>>);
  return { ...doc, components: { ...doc.components, schemas: hoisted } };
}
