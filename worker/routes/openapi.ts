import { Hono } from "hono";
import { z } from "zod";
import type { $ZodType } from "zod/v4/core";
import * as S from "../api-schemas.ts";
import type { AppEnv } from "../env.ts";

const json = (schema: $ZodType) =>
  z.toJSONSchema(schema, { io: "input", unrepresentable: "any", target: "openapi-3.0" });

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
const nodeOrAdmin = [{ admin: [] }, { node: [] }];

/** The OpenAPI document, built from the very zod schemas the routes validate with. */
export function openApiDocument() {
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
          requestBody: topologyBody,
          responses: { "200": ok(S.PutTopologyResponse), "412": problem, ...errors },
        },
      },
      "/v1/clusters/{c}/hosts/{h}": {
        put: {
          security: admin,
          requestBody: body(S.HostBody),
          responses: { "200": ok(S.PutTopologyResponse), "412": problem, ...errors },
        },
        delete: {
          security: admin,
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
      },
      "/v1/clusters/{c}/audit": {
        get: {
          security: admin,
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
