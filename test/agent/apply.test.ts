import { writeAgentConfig } from "../support/agent-config.ts";
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
  existsSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { applyBundle, readApplied, recover, type ApplyContext } from "../../agent/apply.ts";
import { ensurePrivateDir, writeAtomic } from "../../agent/fs-atomic.ts";
import { loadAgentConfig, type AgentConfig } from "../../agent/config.ts";
import { HOSTS_BEGIN, HOSTS_END } from "../../shared/render/hosts.ts";
import { makeBundle } from "../support/bundles.ts";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { healthMarkLine } from "../../shared/health-mark.ts";

let dir = "";
let root = "";
let state = "";
const counter = () => join(dir, "reloads");
const reloads = () =>
  existsSync(counter()) ? readFileSync(counter(), "utf8").trim().split("\n").filter(Boolean) : [];

/** An agent config with real commands: reloads append to a file, so the test can count them. */
function config(overrides: Record<string, object | null> = {}): AgentConfig {
  return writeAgentConfig(dir, {
    nginx: {
      path: "/etc/nginx/nginx.conf",
      check: "grep -q upstream {staged}",
      reload: `echo nginx >> ${counter()}`,
      health: null,
    },
    haproxy: {
      path: "/etc/haproxy/haproxy.cfg",
      check: null,
      reload: `echo haproxy >> ${counter()}`,
      health: null,
    },
    "etcd-proxy": {
      path: "/etc/halo/etcd-proxy.env",
      check: null,
      reload: `echo etcd >> ${counter()}`,
      health: null,
    },
    ...overrides,
  });
}

const ctx = (c = config()): ApplyContext => ({ config: c, root, stateDir: state });
const file = (p: string) => readFileSync(join(root, p), "utf8");
const sideFiles = () =>
  ["/etc", "/etc/nginx", "/etc/halo"].flatMap((d) =>
    existsSync(join(root, d)) ? readdirSync(join(root, d)).filter((f) => f.includes(".halo-")) : [],
  );

const SYSTEM_HOSTS = "127.0.0.1 localhost\n::1 localhost\n10.9.9.9 mirror.internal\n";
const V1 = makeBundle(1, {
  hosts: `${HOSTS_BEGIN}\n${HOSTS_END}\n`,
  nginx: "stream { upstream a { server 10.0.0.1:443; } }\n",
  "etcd-proxy": "ETCD_GATEWAY_ENDPOINTS=10.0.0.1:2379\n",
});
const V2 = makeBundle(2, {
  hosts: `${HOSTS_BEGIN}\n10.0.9.9 lb-apiserver.kubernetes.local\n${HOSTS_END}\n`,
  nginx: "stream { upstream a { server 10.0.0.2:443; } }\n",
  "etcd-proxy": "ETCD_GATEWAY_ENDPOINTS=10.0.0.2:2379\n",
});

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "halo-apply-"));
  root = join(dir, "root");
  state = join(dir, "state");
  mkdirSync(join(root, "etc"), { recursive: true });
  writeFileSync(join(root, "etc/hosts"), SYSTEM_HOSTS);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("applying a bundle", () => {
  it("writes every file, merges the hosts block, reloads each service once, records the version", async () => {
    expect(await applyBundle(V1, ctx())).toEqual({
      ok: true,
      value: { changed: ["etcd-proxy", "hosts", "nginx"] },
    });
    expect(file("etc/hosts")).toBe(`${SYSTEM_HOSTS}${HOSTS_BEGIN}\n${HOSTS_END}\n`);
    expect(file("etc/nginx/nginx.conf")).toBe(
      V1.artifacts.find((a) => a.kind === "nginx")?.content,
    );
    expect(reloads()).toEqual(["etcd", "nginx"]);
    expect(readApplied(state)).toMatchObject({ version: 1, hash: V1.hash });
    expect(sideFiles()).toEqual([]);
  });

  it("neither rewrites nor reloads unchanged content", async () => {
    await applyBundle(V1, ctx());
    const before = statSync(join(root, "etc/nginx/nginx.conf"));
    const again = makeBundle(5, Object.fromEntries(V1.artifacts.map((a) => [a.kind, a.content])));
    expect(await applyBundle(again, ctx())).toEqual({ ok: true, value: { changed: [] } });
    expect(statSync(join(root, "etc/nginx/nginx.conf")).ino).toBe(before.ino);
    expect(reloads()).toEqual(["etcd", "nginx"]);
    expect(readApplied(state)?.version).toBe(5);
  });

  it("runs a reload shared by two kinds once", async () => {
    const shared = `echo shared >> ${counter()}`;
    const c = config({
      nginx: { path: "/etc/nginx/nginx.conf", reload: shared, check: null, health: null },
      "etcd-proxy": { path: "/etc/halo/etcd-proxy.env", reload: shared, check: null, health: null },
    });
    await applyBundle(V1, ctx(c));
    expect(reloads()).toEqual(["shared"]);
  });

  it("leaves the old files untouched and reports `failed` when the check refuses the staged file", async () => {
    await applyBundle(V1, ctx());
    const bad = makeBundle(2, {
      ...Object.fromEntries(V1.artifacts.map((a) => [a.kind, a.content])),
      nginx: "events {}\n",
    });
    expect(await applyBundle(bad, ctx())).toEqual({
      ok: false,
      error: { stage: "check", error: "nginx: exit 1", rolledBack: false },
    });
    expect(file("etc/nginx/nginx.conf")).toBe(
      V1.artifacts.find((a) => a.kind === "nginx")?.content,
    );
    expect(reloads()).toEqual(["etcd", "nginx"]);
    expect(readApplied(state)?.version).toBe(1);
    expect(sideFiles()).toEqual([]);
    expect(existsSync(join(state, "journal.json"))).toBe(false);
  });

  it("rolls every file back and reloads again when a reload fails", async () => {
    await applyBundle(V1, ctx());
    const c = config({
      "etcd-proxy": {
        path: "/etc/halo/etcd-proxy.env",
        check: null,
        reload: `echo etcd >> ${counter()}; exit 3`,
        health: null,
      },
    });
    const r = await applyBundle(V2, ctx(c));
    expect(r).toEqual({
      ok: false,
      error: { stage: "reload", error: expect.stringContaining("exit 3"), rolledBack: true },
    });
    expect(file("etc/hosts")).toBe(`${SYSTEM_HOSTS}${HOSTS_BEGIN}\n${HOSTS_END}\n`);
    expect(file("etc/halo/etcd-proxy.env")).toBe("ETCD_GATEWAY_ENDPOINTS=10.0.0.1:2379\n");
    expect(reloads()).toEqual(["etcd", "nginx", "etcd", "etcd", "nginx"]);
    expect(sideFiles()).toEqual([]);
  });

  it("rolls back when the health probe does not pass", async () => {
    await applyBundle(V1, ctx());
    const c = config({
      nginx: {
        path: "/etc/nginx/nginx.conf",
        check: null,
        reload: null,
        health: "tcp://127.0.0.1:1",
      },
    });
    const r = await applyBundle(V2, ctx(c));
    expect(r.ok ? null : r.error).toMatchObject({ stage: "health", rolledBack: true });
    expect(file("etc/nginx/nginx.conf")).toBe(
      V1.artifacts.find((a) => a.kind === "nginx")?.content,
    );
  });

  it("fails at health when the answer lacks the new file's mark (the reload did not take effect)", async () => {
    // A server still answering with the old config's mark, as nginx does when a reload fails.
    const server = createServer((_q, res) => res.end("ok 0000000000000000\n"));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as AddressInfo).port;
    const marked = (id: string) => `${healthMarkLine(id)}\nupstream x {}\n`;
    const c = config({
      nginx: {
        path: "/etc/nginx/nginx.conf",
        check: null,
        reload: null,
        health: `http://127.0.0.1:${port}/healthz`,
      },
    });
    const cc = { ...c, healthTimeout: 0.3 };
    expect(
      (await applyBundle(makeBundle(1, { nginx: marked("0000000000000000") }), ctx(cc))).ok,
    ).toBe(true);
    const r = await applyBundle(makeBundle(2, { nginx: marked("1111111111111111") }), ctx(cc));
    expect(r.ok ? null : r.error).toMatchObject({ stage: "health", rolledBack: true });
    expect(r.ok ? "" : r.error.error).toMatch(
      /no 1111111111111111\): the reload did not take effect/,
    );
    expect(file("etc/nginx/nginx.conf")).toBe(marked("0000000000000000"));
    server.close();
  });

  it("keeps a keepOnRetire file as last written when its kind is retired", async () => {
    const c = config({
      nginx: {
        path: "/etc/nginx/nginx.conf",
        check: null,
        reload: `echo nginx >> ${counter()}`,
        retire: `echo retired >> ${counter()}`,
        health: null,
        keepOnRetire: true,
      },
    });
    await applyBundle(V1, ctx(c));
    const written = file("etc/nginx/nginx.conf");
    const { nginx: _n, ...rest } = Object.fromEntries(V1.artifacts.map((a) => [a.kind, a.content]));
    expect((await applyBundle(makeBundle(2, rest), ctx(c))).ok).toBe(true);
    expect(file("etc/nginx/nginx.conf")).toBe(written);
    expect(reloads()).toContain("retired");
  });

  it("removes a file it created when the first apply rolls back", async () => {
    const c = config({
      nginx: { path: "/etc/nginx/nginx.conf", check: null, reload: "false", health: null },
    });
    const r = await applyBundle(V1, ctx(c));
    expect(r.ok).toBe(false);
    expect(existsSync(join(root, "etc/nginx/nginx.conf"))).toBe(false);
    expect(file("etc/hosts")).toBe(SYSTEM_HOSTS);
  });

  it("skips a kind its local config sets to null and applies the rest", async () => {
    const c = config({ nginx: null });
    const r = await applyBundle(
      { ...V1, artifacts: V1.artifacts.filter((a) => a.kind in c.artifacts) },
      ctx(c),
    );
    expect(r).toEqual({ ok: true, value: { changed: ["etcd-proxy", "hosts"] } });
    expect(existsSync(join(root, "etc/nginx/nginx.conf"))).toBe(false);
  });

  it("passes the staged file to the check command, quoted", async () => {
    const seen = join(dir, "seen");
    const c = config({
      nginx: {
        path: "/etc/nginx/nginx.conf",
        check: `echo {staged} > ${seen}`,
        reload: null,
        health: null,
      },
    });
    await applyBundle(V1, ctx(c));
    expect(readFileSync(seen, "utf8").trim()).toBe(join(root, "etc/nginx/.nginx.conf.halo-new"));
  });
});

describe("the agent config", () => {
  it("names the field that is wrong", () => {
    const f = join(dir, "bad.yaml");
    writeFileSync(f, "artifacts:\n  nginx: { path: relative/nginx.conf }\nhealthTimeout: -1\n");
    const r = loadAgentConfig(f);
    expect(r.ok ? [] : r.error.map((i) => i.path)).toEqual([
      "artifacts.nginx.path",
      "healthTimeout",
    ]);
  });

  it("refuses a kind the agent does not know", () => {
    const f = join(dir, "bad.yaml");
    writeFileSync(f, "artifacts:\n  kubelet: { path: /etc/kubelet }\n");
    expect(loadAgentConfig(f).ok).toBe(false);
  });
});

describe("the agent's own state", () => {
  it("recovers a journal with only the reload commands of its own config", async () => {
    const planted = join(dir, "planted");
    mkdirSync(state, { recursive: true });
    writeFileSync(
      join(state, "journal.json"),
      JSON.stringify({
        phase: "installing",
        version: 1,
        hash: "0".repeat(64),
        files: [],
        reloads: [`touch ${planted}`, `echo nginx >> ${counter()}`],
      }),
    );
    expect(await recover(ctx())).toBe("rolled-back");
    expect(existsSync(planted)).toBe(false);
    expect(reloads()).toEqual(["nginx"]);
  });

  it("creates its state directory 0700 and refuses one that others may write", () => {
    const fresh = join(dir, "state-new");
    expect(ensurePrivateDir(fresh)).toBeNull();
    expect(statSync(fresh).mode & 0o777).toBe(0o700);
    const open = join(dir, "state-open");
    mkdirSync(open);
    chmodSync(open, 0o777);
    expect(ensurePrivateDir(open)).toBe(
      `${open} is writable by others (mode 777): chmod 700 ${open}`,
    );
  });
});

describe("the agent's atomic writes", () => {
  it("never write through a symlink planted where the temporary file goes", () => {
    const target = join(dir, "victim");
    writeFileSync(target, "untouched\n");
    const file = join(dir, "state.json");
    // writeAtomic removes a leftover first, then creates the file exclusively: the link goes,
    // the file it pointed at stays as it was.
    symlinkSync(target, `${file}.tmp-${process.pid}`);
    writeAtomic(file, "{}\n");
    expect(readFileSync(file, "utf8")).toBe("{}\n");
    expect(readFileSync(target, "utf8")).toBe("untouched\n");
  });
});
