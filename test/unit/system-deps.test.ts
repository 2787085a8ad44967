import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SYSTEM_COMMANDS } from "../../scripts/system-deps.mjs";

/** Every TypeScript file under a directory, recursively. */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? sources(join(dir, e.name))
      : e.name.endsWith(".ts")
        ? [join(dir, e.name)]
        : [],
  );
}

/**
 * Commands every Debian system has (its essential packages), and the one a test names because
 * it must not exist: nothing for apt to install.
 */
const NOT_FROM_DEBIAN = new Set([
  ...["sh", "kill", "true", "false", "test", "echo", "grep", "cat", "touch", "sleep"],
  ...["find", "du", "dpkg"],
  "no-such-checker",
  // halo's own agent, as the Debian package installs it
  "halo-agent",
]);

/**
 * The commands a file spawns: the first argument of spawn-like calls, the first word of shell
 * command strings given to sh(), and absolute /usr/bin paths.
 */
function spawned(text: string): string[] {
  const found = new Set<string>();
  const patterns = [
    /\b(?:spawn|spawnSync|execFileSync|execFile|run)\(\s*"([\w.-]+)"/g,
    /\bspawn\(\s*\w+\s*,\s*\[\s*"(?:netns)"[^\]]*?"exec"\s*,\s*[^,]+,\s*"([\w.-]+)"/g,
    /\bsh\(`([\w.-]+)/g,
    /command -v ([\w.-]+)/g,
    /"\/usr\/s?bin\/([\w.-]+)"/g,
    /\b(?:check|reload|retire|health): "([\w.-]+) /g,
  ];
  for (const p of patterns) for (const m of text.matchAll(p)) found.add(m[1] as string);
  return [...found];
}

describe("the system commands the tests need", () => {
  it("are each in the one table the pre-test script installs from", () => {
    const used = new Map<string, string>();
    for (const f of [...sources("test"), ...sources("bench"), ...sources("scripts")])
      for (const cmd of spawned(readFileSync(f, "utf8")))
        if (!NOT_FROM_DEBIAN.has(cmd) && !used.has(cmd)) used.set(cmd, f);
    const missing = [...used].filter(([cmd]) => !(cmd in SYSTEM_COMMANDS));
    expect(missing).toEqual([]);
  });

  it("list nginx, HAProxy, etcd, Chromium, keepalived and openssl with their packages", () => {
    for (const cmd of ["nginx", "haproxy", "etcd", "etcdctl", "chromium", "keepalived", "openssl"])
      expect(SYSTEM_COMMANDS, cmd).toHaveProperty(cmd);
  });

  it("finds the spawned commands in a file that runs them", () => {
    const text =
      'spawnSync("ss", []); run("nginx", ["-t"]); sh(`ip netns add x`); check: "haproxy -c"';
    expect(spawned(text).sort()).toEqual(["haproxy", "ip", "nginx", "ss"]);
  });
});
