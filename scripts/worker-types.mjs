// The Worker's generated types (worker/worker-configuration.d.ts), made and checked by
// `wrangler types` the same way on every machine: in a scratch copy of the project whose
// .dev.vars names the one secret (HALO_ADMIN_TOKEN), so a developer's own .dev.vars changes
// nothing. `node scripts/worker-types.mjs` regenerates; `--check` fails when they are stale
// (npm test runs it).
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const ROOT = resolve(import.meta.dirname, "..");
const TYPES = join(ROOT, "worker/worker-configuration.d.ts");
const check = process.argv.includes("--check");
const dir = mkdtempSync(join(tmpdir(), "halo-types-"));
try {
  copyFileSync(join(ROOT, "wrangler.toml"), join(dir, "wrangler.toml"));
  for (const d of ["worker", "shared", "dashboard", "migrations", "node_modules"])
    symlinkSync(join(ROOT, d), join(dir, d));
  writeFileSync(join(dir, ".dev.vars"), "HALO_ADMIN_TOKEN=secret\n");
  const r = spawnSync(
    join(ROOT, "node_modules/.bin/wrangler"),
    ["types", "worker/worker-configuration.d.ts", ...(check ? ["--check"] : [])],
    {
      cwd: dir,
      encoding: "utf8",
      env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
    },
  );
  if (r.status !== 0) {
    process.stderr.write(
      check
        ? `${TYPES} is out of date with wrangler.toml: run node scripts/worker-types.mjs\n`
        : `wrangler types failed:\n${r.stdout}${r.stderr}`,
    );
    process.exit(1);
  }
  if (!check) console.log(`wrote ${TYPES}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
