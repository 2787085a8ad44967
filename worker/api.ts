import { HostNameSchema } from "../shared/topology/schema.ts";
import { OpenAPIHono } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { createMiddleware } from "hono/factory";
import { z } from "zod";
import type { $ZodType } from "zod/v4/core";
import { Problem } from "../shared/api-schemas.ts";
import { issuesOf } from "../shared/result.ts";
import { requireAdmin, requireAdminOrNode, requireNode } from "./auth.ts";
import { mediaType } from "./body.ts";
import type { AppEnv } from "./env.ts";
import { AppError, ErrorCode, invalid } from "./errors.ts";

/**
 * What every route file builds on: a router whose routes describe themselves (`createRoute`
 * from `@hono/zod-openapi`: params, query, headers, body and responses declared once, the
 * OpenAPI document generated from them), and the pieces those declarations share.
 */

/** A router: a request that fails a declared schema is a 422 naming each field. */
export const router = () =>
  new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) throw invalid(issuesOf(result.error.issues));
    },
  });

/** 415 unless the body is JSON, 422 when it does not parse; the validator then reuses it. */
const jsonOnly = createMiddleware<AppEnv>(async (c, next) => {
  if (mediaType(c) !== "application/json")
    throw new AppError(ErrorCode.unsupportedMediaType, "send Content-Type: application/json");
  try {
    await c.req.json();
  } catch {
    throw invalid([{ path: "body", message: "is not valid JSON" }]);
  }
  await next();
});

// Guards run as route middleware, before any validator: a caller without the right token
// learns nothing about the input's shape.
const adminOnly = createMiddleware<AppEnv>(async (c, next) => {
  requireAdmin(c.get("principal"));
  await next();
});
const adminOrThatNode = createMiddleware<AppEnv>(async (c, next) => {
  requireAdminOrNode(c.get("principal"), c.req.param("c") ?? "", c.req.param("h") ?? "");
  await next();
});
const nodeOnly = createMiddleware<AppEnv>(async (c, next) => {
  requireNode(c.get("principal"));
  await next();
});

type Access = {
  security: Array<Record<string, string[]>>;
  middleware: Array<MiddlewareHandler<AppEnv>>;
};

/** Who may call a route: its OpenAPI security and the guard that enforces it. */
export const access: Record<
  "admin" | "adminWithJson" | "adminOrNode" | "node" | "anyoneWithJson",
  Access
> = {
  admin: { security: [{ admin: [] }], middleware: [adminOnly] },
  adminWithJson: { security: [{ admin: [] }], middleware: [adminOnly, jsonOnly] },
  adminOrNode: { security: [{ admin: [] }, { node: [] }], middleware: [adminOrThatNode] },
  node: { security: [{ node: [] }], middleware: [nodeOnly] },
  /** the join token travels in the body */
  anyoneWithJson: { security: [], middleware: [jsonOnly] },
};

/** The security schemes `access` names. */
export const SECURITY_SCHEMES = {
  admin: { type: "http", scheme: "bearer", description: "HALO_ADMIN_TOKEN" },
  node: { type: "http", scheme: "bearer", description: "a node credential from /v1/register" },
} as const;

const problem = {
  description: "problem+json (RFC 9457); a 422 lists each field in `errors`",
  content: { "application/problem+json": { schema: Problem } },
};

/** The errors any route may answer with, plus `extra` statuses (409, 412). */
export const problems = <const S extends number>(...extra: S[]) =>
  Object.fromEntries(
    [400, 401, 403, 404, 413, 415, 422, ...extra].map((s) => [s, problem]),
  ) as Record<400 | 401 | 403 | 404 | 413 | 415 | 422 | S, typeof problem>;

/** A JSON response. */
export const json = <T extends $ZodType>(schema: T, description = "OK") => ({
  description,
  content: { "application/json": { schema } },
});

/** A required JSON request body. */
export const jsonBody = <T extends $ZodType>(schema: T) => ({
  required: true,
  content: { "application/json": { schema } },
});

/** Path parameters: a cluster, a host, an id. Their rules are the handlers' (404 or 422). */
export const params = {
  c: z.string().meta({ description: "the cluster's name" }),
  h: z.string().meta({ description: "a host of the cluster" }),
  /** a host name checked by the route itself: a bad one is a 422 naming `host` */
  host: z
    .string()
    .refine((h) => HostNameSchema.safeParse(h).success, "must be an RFC 1123 host name")
    .meta({ description: "the host's name" }),
};

/** A query flag: absent or `false` is false; `true` or empty is true. */
export const flag = (description: string) =>
  z
    .enum(["true", "false", ""], { error: "must be true or false" })
    .optional()
    .transform((v) => v === "true" || v === "")
    .meta({ description });

/** If-Match, declared here and read by `ifMatch` in body.ts (its errors name `If-Match`). */
export const ifMatchHeader = z.object({
  "if-match": z.string().optional().meta({
    description: 'the version read, as an ETag such as "3" (or *); 412 when the topology moved on',
  }),
});
