import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

let built: string | null = null;

/**
 * The operator CLI as `npm run build:cli` ships it: one file for Node, built with Bun once per
 * test process (run with `process.execPath`). It starts in about a fifth of the time tsx takes
 * to compile cli/main.ts on every call, which the e2e tests make dozens of.
 */
export function haloCli(): string {
  if (built !== null && existsSync(built)) return built;
  const out = join(tmpdir(), `halo-cli-${process.pid}.mjs`);
  const r = spawnSync(
    resolve("node_modules/.bin/bun"),
    ["build", "cli/main.ts", "--target=node", "--outfile", out],
    { encoding: "utf8" },
  );
  if (r.status !== 0) throw new Error(`bun build cli/main.ts: ${r.stderr}`);
  built = out;
  return out;
}
