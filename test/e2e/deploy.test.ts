import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";

/** `npm run deploy` as an operator without a Cloudflare account runs it: no login, no API token. */
function deploy(args: string[]): Promise<{ code: number | null; out: string }> {
  const home = mkdtempSync(join(tmpdir(), "halo-deploy-home-"));
  const env: Record<string, string | undefined> = { ...process.env, HOME: home };
  delete env.CLOUDFLARE_API_TOKEN;
  delete env.XDG_CONFIG_HOME;
  return new Promise((done) =>
    execFile(
      resolve("node_modules/.bin/tsx"),
      ["scripts/deploy.ts", ...args],
      { env, encoding: "utf8", timeout: 120_000 },
      (e, stdout, stderr) =>
        done({ code: e ? (typeof e.code === "number" ? e.code : null) : 0, out: stdout + stderr }),
    ),
  );
}

describe("npm run deploy", () => {
  const toml = () => readFileSync("wrangler.toml", "utf8");

  it("--dry-run walks the five steps, builds the Worker and applies every migration locally", async () => {
    const before = toml();
    const r = await deploy(["--dry-run"]);
    expect(r.code, r.out).toBe(0);
    const steps = [...r.out.matchAll(/^\[(\d)\/5\] (.+)$/gm)].map((m) => m[2]);
    expect(steps).toEqual([
      "credentials",
      "D1 database `halo`",
      "admin token (secret HALO_ADMIN_TOKEN)",
      "migrations",
      "deploy",
    ]);
    expect(r.out).toContain("run `npx wrangler login`");
    expect(r.out).toContain("every migration applies to an empty local database");
    expect(r.out).toMatch(/the Worker builds \(\d+ KiB, bindings DB and HUB\)/);
    expect(toml()).toBe(before);
  });

  it("without credentials stops at the first step, says what to do, and changes nothing", async () => {
    const before = toml();
    const r = await deploy([]);
    expect(r.code).toBe(3);
    expect(r.out).toMatch(/deploy stopped at step 1: no Cloudflare credentials/);
    expect(r.out).toContain("CLOUDFLARE_API_TOKEN");
    expect(r.out).not.toContain("[2/5]");
    expect(toml()).toBe(before);
  });

  it("refuses an unknown argument", async () => {
    const r = await deploy(["--force"]);
    expect(r.code).toBe(2);
    expect(r.out).toContain("unknown argument '--force'");
  });
});
