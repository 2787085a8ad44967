import SwaggerParser from "@apidevtools/swagger-parser";
import { describe, expect, it } from "vitest";
import { app } from "../../worker/app.ts";
import { openApiDocument } from "../../worker/routes/openapi.ts";

/** Hono's `:c` and `:action{a|b}` spelled as OpenAPI's `{c}`. */
const toOpenApi = (path: string) =>
  path.replace(/:(\w+)\{[^}]*\}/g, "{$1}").replace(/:(\w+)/g, "{$1}");

describe("GET /v1/openapi.json", () => {
  it("is a valid OpenAPI document by a standard validator", async () => {
    await expect(
      SwaggerParser.validate(structuredClone(openApiDocument()) as never),
    ).resolves.toBeDefined();
  });

  it("describes every route the app serves", () => {
    const doc = openApiDocument() as { paths: Record<string, Record<string, unknown>> };
    const served = app.routes
      .filter((r) => r.path.startsWith("/v1/") && r.method !== "ALL")
      .map((r) => `${r.method.toLowerCase()} ${toOpenApi(r.path)}`);
    const described = Object.entries(doc.paths).flatMap(([p, ops]) =>
      Object.keys(ops).map((m) => `${m} ${p}`),
    );
    const missing = [...new Set(served)].filter(
      (r) => !described.includes(r) && r !== "get /v1/openapi.json",
    );
    expect(missing).toEqual([]);
  });
});
