import { spawn, spawnSync } from "node:child_process";
import { createServer as createHttpServer } from "node:http";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseArgs } from "../../agent/args.ts";
import { makeLog } from "../../agent/log.ts";
import { AGENT_VERSION } from "../../agent/version.ts";
import { HOSTS_BEGIN, HOSTS_END } from "../../shared/render/hosts.ts";
import { applyBundle } from "../../agent/apply.ts";
import { loadAgentConfig } from "../../agent/config.ts";
import { makeBundle } from "../support/bundles.ts";

const BUN = resolve("node_modules/.bin/bun");
const AGENT = resolve("agent/main.ts");
const agent = (...args: string[]) => spawnSync(BUN, [AGENT, ...args], { encoding: "utf8" });

let dir = "";
beforeEach(() => void (dir = mkdtempSync(join(tmpdir(), "halo-agent-cli-"))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A port nothing listens on: found by binding one and closing it. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

describe("halo-agent's command line", () => {
  it("takes flags before or after the command", () => {
    const a = parseArgs(["--root", "/x", "join", "--server", "https://s", "--token-file", "-"]);
    const b = parseArgs(["join", "--server=https://s", "--token-file", "-", "--root", "/x"]);
    expect(a).toEqual(b);
    expect(a.ok && a.value).toMatchObject({ command: "join", root: "/x", server: "https://s" });
  });

  it("refuses to join over plain http beyond loopback unless --insecure, and says why", () => {
    const plain = parseArgs(["join", "--server", "http://cp.example:8787", "--token-file", "t"]);
    expect(plain.ok).toBe(false);
    expect(!plain.ok && plain.error).toMatch(
      /^--server http:\/\/cp.example:8787 is not TLS: .* add --insecure to accept that$/,
    );
    const forced = parseArgs([
      "join",
      "--server",
      "http://cp.example:8787",
      "--token-file",
      "t",
      "--insecure",
    ]);
    expect(forced.ok).toBe(true);
    expect(parseArgs(["join", "--server", "http://127.0.0.1:8787", "--token-file", "t"]).ok).toBe(
      true,
    );
  });

  it("joins with the token from stdin, keeping it out of argv", async () => {
    let sent = "";
    const server = createHttpServer((req, res) => {
      req.on("data", (d: Buffer) => (sent += d.toString()));
      req.on("end", () => res.writeHead(401).end('{"detail":"unknown token"}'));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const child = spawn(BUN, [
      AGENT,
      "join",
      "--server",
      url,
      "--token-file",
      "-",
      "--ip",
      "127.0.0.1",
      "--state",
      join(dir, "tf"),
    ]);
    child.stdin.end("hj_secret_from_stdin\n");
    let err = "";
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    const code = await new Promise((r) => child.on("exit", r));
    server.close();
    expect(code).toBe(1);
    expect(err).toContain("registration refused (401): unknown token");
    expect(JSON.parse(sent)).toMatchObject({ token: "hj_secret_from_stdin" });
    const empty = spawnSync(BUN, [AGENT, "join", "--server", url, "--token-file", "-"], {
      input: "",
      encoding: "utf8",
    });
    expect(empty.status).toBe(2);
    expect(empty.stderr).toContain("--token-file -: cannot read a token from it");
  }, 60_000);

  it("names what is wrong: an unknown flag, a second command, a bad timeout", () => {
    expect(parseArgs(["run", "--bogus"])).toEqual({ ok: false, error: "unknown flag '--bogus'" });
    expect(parseArgs(["run", "status"])).toEqual({
      ok: false,
      error: "unexpected 'status' after the command run",
    });
    expect(parseArgs(["run", "--once", "--timeout", "soon"])).toEqual({
      ok: false,
      error: "--timeout takes whole seconds",
    });
  });

  it("prints its version and its usage with the exit codes", () => {
    const pkg = JSON.parse(readFileSync("package.json", "utf8")) as { version: string };
    expect(agent("--version")).toMatchObject({ status: 0, stdout: `halo-agent ${pkg.version}\n` });
    const help = agent("run", "--help");
    expect(help.status).toBe(0);
    expect(help.stdout).toContain("4 --once timed out");
    expect(agent("frobnicate").status).toBe(2);
  });

  it("gives up `run --once` after --timeout when the control plane is down, with exit code 4", async () => {
    const state = join(dir, "state");
    mkdirSync(state);
    const server = `http://127.0.0.1:${await closedPort()}`;
    writeFileSync(
      join(state, "credential.json"),
      JSON.stringify({ server, cluster: "c", host: "n1", nodeToken: "hn_x" }),
    );
    writeFileSync(join(dir, "agent.yaml"), "pollInterval: 0.2\n");
    const r = spawnSync(
      BUN,
      [
        AGENT,
        "run",
        "--log-format",
        "json",
        "--once",
        "--timeout",
        "1",
        "--state",
        state,
        "--config",
        join(dir, "agent.yaml"),
        "--root",
        dir,
      ],
      { encoding: "utf8", timeout: 20_000 },
    );
    expect(r.status).toBe(4);
    const lines = r.stderr
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { message: string });
    expect(lines.some((l) => l.message.includes("giving up"))).toBe(true);
  });

  it("leaves: the hosts block goes, other lines stay, every kind is retired, the credential is forgotten", async () => {
    const root = join(dir, "root");
    const state = join(dir, "state");
    mkdirSync(join(root, "etc/nginx"), { recursive: true });
    writeFileSync(join(root, "etc/hosts"), "127.0.0.1 localhost\n");
    const log = join(dir, "log");
    const cfg = join(dir, "agent.yaml");
    writeFileSync(
      cfg,
      [
        "artifacts:",
        "  nginx: { path: /etc/nginx/nginx.conf, check: null, health: null,",
        `           reload: "echo reload >> ${log}", retire: "echo retire-nginx >> ${log}" }`,
        "  etcd-proxy: null",
        "",
      ].join("\n"),
    );
    const c = loadAgentConfig(cfg);
    if (!c.ok) throw new Error(JSON.stringify(c.error));
    const block = `${HOSTS_BEGIN}\n10.0.9.9 lb\n${HOSTS_END}\n`;
    await applyBundle(makeBundle(1, { hosts: block, nginx: "stream {}\n" }), {
      config: c.value,
      root,
      stateDir: state,
    });
    writeFileSync(join(state, "credential.json"), "{}");
    const r = agent("leave", "--root", root, "--state", state, "--config", cfg);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe("left: retired hosts, nginx; credential forgotten\n");
    expect(readFileSync(join(root, "etc/hosts"), "utf8")).toBe("127.0.0.1 localhost\n");
    expect(existsSync(join(root, "etc/nginx/nginx.conf"))).toBe(false);
    expect(readFileSync(log, "utf8")).toBe("reload\nretire-nginx\n");
    expect(existsSync(join(state, "credential.json"))).toBe(false);
  });

  it("leaves without a record of what it applied: only files halo wrote go, a pre-existing nginx.conf stays", () => {
    const root = join(dir, "root2");
    const state = join(dir, "state2");
    mkdirSync(join(root, "etc/nginx"), { recursive: true });
    mkdirSync(join(root, "etc/haproxy"), { recursive: true });
    const theirs = "# the operator's own nginx\nevents {}\n";
    writeFileSync(join(root, "etc/nginx/nginx.conf"), theirs);
    writeFileSync(join(root, "etc/haproxy/haproxy.cfg"), "# Managed by halo: HAProxy\n");
    writeFileSync(join(root, "etc/hosts"), "127.0.0.1 localhost\n");
    const log = join(dir, "log2");
    const cfg = join(dir, "agent2.yaml");
    writeFileSync(
      cfg,
      [
        "artifacts:",
        `  nginx: { path: /etc/nginx/nginx.conf, check: null, health: null, reload: null, retire: "echo retire-nginx >> ${log}" }`,
        `  haproxy: { path: /etc/haproxy/haproxy.cfg, check: null, health: null, reload: null, retire: "echo retire-haproxy >> ${log}" }`,
        "  etcd-proxy: null",
        "",
      ].join("\n"),
    );
    const r = agent("leave", "--root", root, "--state", state, "--config", cfg);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe("left: retired haproxy; credential forgotten\n");
    expect(readFileSync(join(root, "etc/nginx/nginx.conf"), "utf8")).toBe(theirs);
    expect(existsSync(join(root, "etc/haproxy/haproxy.cfg"))).toBe(false);
    expect(readFileSync(log, "utf8")).toBe("retire-haproxy\n");
  });

  it("logs one JSON object per line with --log-format json", () => {
    const lines: string[] = [];
    const log = makeLog("json", (l) => lines.push(l));
    log("version 3 failed at check: nginx: bad", {
      event: "failed",
      version: 3,
      stage: "check",
      error: "nginx: bad",
    });
    log("connected", { event: "connected" });
    const [failed, connected] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(failed).toEqual({
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      level: "error",
      event: "failed",
      agent: AGENT_VERSION,
      message: "version 3 failed at check: nginx: bad",
      version: 3,
      stage: "check",
      error: "nginx: bad",
    });
    expect(connected).toMatchObject({ level: "info", event: "connected" });
    expect(parseArgs(["run", "--log-format", "xml"])).toEqual({
      ok: false,
      error: "--log-format takes text or json",
    });
  });
});
