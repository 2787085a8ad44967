import SwaggerParser from "@apidevtools/swagger-parser";
import { describe, expect, it } from "vitest";
import { app, openApiDocument } from "../../worker/app.ts";

/** Hono's `:c` spelled as OpenAPI's `{c}`. */
const toOpenApi = (path: string) => path.replace(/:(\w+)/g, "{$1}");

type Doc = {
  paths: Record<string, Record<string, { parameters?: Array<{ name: string; in: string }> }>>;
};

describe("GET /v1/openapi.json", () => {
  it("is a valid OpenAPI 3.1 document by a standard validator", async () => {
    const doc = structuredClone(openApiDocument()) as { openapi: string };
    expect(doc.openapi).toBe("3.1.0");
    await expect(SwaggerParser.validate(doc as never)).resolves.toBeDefined();
  });

  it("describes every route the app serves", () => {
    const doc = openApiDocument() as unknown as Doc;
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
    expect(described.length).toBeGreaterThanOrEqual(27);
  });

  it("declares the query parameters and headers the routes read", () => {
    const doc = openApiDocument() as unknown as Doc;
    const names = (path: string, method: string) =>
      (doc.paths[path]?.[method]?.parameters ?? []).map((p) => `${p.in}:${p.name}`).sort();
    expect(names("/v1/clusters/{c}/topology", "put")).toEqual([
      "header:if-match",
      "path:c",
      "query:dryRun",
      "query:force",
      "query:prune",
    ]);
    expect(names("/v1/clusters/{c}/audit", "get")).toEqual([
      "path:c",
      "query:before",
      "query:limit",
    ]);
    expect(names("/v1/clusters/{c}/rollouts/{id}/{action}", "post")).toEqual([
      "path:action",
      "path:c",
      "path:id",
    ]);
  });
});
