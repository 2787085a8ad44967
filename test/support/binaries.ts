import { spawnSync } from "node:child_process";

/** Runs a command, returning its exit code and combined output; never throws on failure. */
export function run(cmd: string, args: string[]): { code: number; output: string } {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  if (r.error) return { code: 127, output: String(r.error) };
  return { code: r.status ?? 1, output: `${r.stdout}${r.stderr}` };
}
