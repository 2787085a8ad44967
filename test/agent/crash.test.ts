import { spawn, spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { applyBundle } from "../../agent/apply.ts";
import { loadAgentConfig } from "../../agent/config.ts";
import { HOSTS_BEGIN, HOSTS_END, mergeHostsBlock } from "../../shared/render/hosts.ts";
import { makeBundle } from "../support/bundles.ts";

const BUN = resolve("node_modules/.bin/bun");
const CHILD = resolve("test/agent/crash-child.ts");
const RUNS = 60;

const dir = mkdtempSync(join(tmpdir(), "halo-crash-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const root = join(dir, "root");
const state = join(dir, "state");
const SYSTEM_HOSTS = "127.0.0.1 localhost\n";

const configFile = join(dir, "agent.json");
writeFileSync(
  configFile,
  JSON.stringify({
    artifacts: {
      hosts: { path: "/etc/hosts" },
      nginx: {
        path: "/etc/nginx/nginx.conf",
        check: "grep -q upstream {staged}",
        reload: "true",
        health: null,
      },
      "etcd-proxy": { path: "/etc/halo/etcd-proxy.env", check: null, reload: "true", health: null },
      endpoints: { path: "/etc/halo/endpoints.json" },
    },
  }),
);

/** Two versions that change every file, each file large enough that a torn write would show. */
const pad = (v: string) => `# ${v}\n`.repeat(2000);
const OLD = makeBundle(1, {
  hosts: `${HOSTS_BEGIN}\n${HOSTS_END}\n`,
  nginx: `stream { upstream a { server 10.0.0.1:443; } }\n${pad("old")}`,
  "etcd-proxy": `ETCD_GATEWAY_ENDPOINTS=10.0.0.1:2379\n${pad("old")}`,
  endpoints: `{"v": 1}\n${pad("old")}`,
});
const NEW = makeBundle(2, {
  hosts: `${HOSTS_BEGIN}\n10.0.9.9 lb-apiserver.kubernetes.local\n${HOSTS_END}\n`,
  nginx: `stream { upstream a { server 10.0.0.2:443; } }\n${pad("new")}`,
  "etcd-proxy": `ETCD_GATEWAY_ENDPOINTS=10.0.0.2:2379\n${pad("new")}`,
  endpoints: `{"v": 2}\n${pad("new")}`,
});
const newFile = join(dir, "new.json");
writeFileSync(newFile, JSON.stringify(NEW));

const PATHS = {
  hosts: "etc/hosts",
  nginx: "etc/nginx/nginx.conf",
  "etcd-proxy": "etc/halo/etcd-proxy.env",
  endpoints: "etc/halo/endpoints.json",
};
const expected = (b: typeof OLD) =>
  Object.fromEntries(
    b.artifacts.map((a) => [
      a.kind,
      a.kind === "hosts" ? mergeHostsBlock(SYSTEM_HOSTS, a.content) : a.content,
    ]),
  );

async function reset(): Promise<void> {
  rmSync(root, { recursive: true, force: true });
  rmSync(state, { recursive: true, force: true });
  mkdirSync(join(root, "etc"), { recursive: true });
  writeFileSync(join(root, "etc/hosts"), SYSTEM_HOSTS);
  const c = loadAgentConfig(configFile);
  if (!c.ok) throw new Error("config");
  const r = await applyBundle(OLD, { config: c.value, root, stateDir: state });
  if (!r.ok) throw new Error(JSON.stringify(r.error));
}

/** Starts an apply of NEW and SIGKILLs it when it prints its k-th step (or when it ends). */
function applyAndKill(k: number): Promise<number> {
  return new Promise((res) => {
    const child = spawn(BUN, [CHILD, "apply", root, state, configFile, newFile], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    let seen = 0;
    child.stderr.on("data", (d: Buffer) => {
      seen += (d.toString().match(/^step /gm) ?? []).length;
      if (seen >= k) child.kill("SIGKILL");
    });
    child.on("exit", () => res(seen));
  });
}

describe("a SIGKILL at any point of an apply", () => {
  it(`leaves every file wholly old or wholly new after recovery (${RUNS} runs)`, async () => {
    const outcomes = { old: 0, new: 0, mixed: 0 };
    const old = expected(OLD);
    const fresh = expected(NEW);
    for (let run = 0; run < RUNS; run++) {
      await reset();
      const k = 1 + (run % 15);
      await applyAndKill(k);
      const rec = spawnSync(BUN, [CHILD, "recover", root, state, configFile], { encoding: "utf8" });
      expect(rec.status, rec.stderr).toBe(0);
      const now = Object.fromEntries(
        Object.entries(PATHS).map(([kind, p]) => [kind, readFileSync(join(root, p), "utf8")]),
      );
      const all = (want: Record<string, string | undefined>) =>
        Object.keys(PATHS).every((kind) => now[kind] === want[kind]);
      const which = all(old) ? "old" : all(fresh) ? "new" : "mixed";
      expect(which, `run ${run}, killed at step ${k}`).not.toBe("mixed");
      outcomes[which]++;
      for (const d of ["etc", "etc/nginx", "etc/halo"]) {
        expect(readdirSync(join(root, d)).filter((f) => f.includes(".halo-"))).toEqual([]);
      }
      expect(existsSync(join(state, "journal.json"))).toBe(false);
    }
    // The kill points span the transaction: some runs end old, some new.
    expect(outcomes.old).toBeGreaterThan(0);
    expect(outcomes.new).toBeGreaterThan(0);
  });
});
