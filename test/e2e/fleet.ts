import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { LOOPBACK_GUARD_EXIT } from "../../agent/loopback-guard.ts";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { connect as tlsConnect, createServer as tlsServer, type Server } from "node:tls";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { output, ZodType } from "zod";
import { fetchOnce } from "../../bench/setup.ts";
import { ClusterSummary, JoinTokenResponse, NodeList } from "../../shared/api-schemas.ts";
import { startControlPlane, type ControlPlane } from "../../scripts/control-plane.ts";
import { issue, makeCA, type Pem } from "../../scripts/certs.ts";
import { DEFAULT_LB_DOMAIN } from "../../shared/topology/settings.ts";

const BUN = resolve("node_modules/.bin/bun");
export const ALL_AT_ONCE = { canary: 0, waves: ["100%"], bakeSeconds: 0 };
/** A join token body that may claim any declared host: masters, etcd members, nodes, LBs. */
export const EVERY_ROLE = { groups: ["etcd", "kube-master", "kube-node", "lb"] };
const AGENT = resolve("agent/main.ts");

/** Waits until `check` returns a value (not undefined/false), polling; fails after `ms`. */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  ms = 20_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ""}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Everything a test started, stopped in reverse order at the end. */
export class Fleet {
  readonly dir = mkdtempSync(join(tmpdir(), "halo-e2e-"));
  private readonly procs: ChildProcess[] = [];
  private readonly servers: Server[] = [];
  private readonly cleanups: Array<() => void | Promise<void>> = [];
  cp!: ControlPlane;
  private ca: Pem | null = null;

  private ip: string | undefined;
  /** what agents said when HALO_LOOPBACK_ONLY stopped them: fails the suite at stop() */
  private readonly offLoopback: string[] = [];

  /** Starts the control plane, on 127.0.0.1 or on `ip` (a bridge the test's namespaces reach). */
  async start(opts: { ip?: string } = {}): Promise<this> {
    this.ip = opts.ip;
    this.cp = await startControlPlane({
      persistDir: join(this.dir, "d1"),
      adminToken: "e2e-admin-token-0123456789abcdef",
      ip: this.ip,
    });
    return this;
  }

  async restartControlPlane(): Promise<void> {
    const port = this.cp.port;
    await this.cp.stop();
    this.cp = await startControlPlane({
      persistDir: join(this.dir, "d1"),
      adminToken: "e2e-admin-token-0123456789abcdef",
      port,
      ip: this.ip,
    });
  }

  onStop(f: () => void | Promise<void>): void {
    this.cleanups.push(f);
  }

  async stop(): Promise<void> {
    for (const f of this.cleanups.reverse()) await f();
    for (const p of this.procs) if (p.exitCode === null) p.kill("SIGKILL");
    for (const s of this.servers) s.close();
    await this.cp?.stop();
    rmSync(this.dir, { recursive: true, force: true });
    if (this.offLoopback.length > 0)
      throw new Error(
        `an agent was given a target beyond loopback:\n${this.offLoopback.join("\n")}`,
      );
  }

  async api<T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
    type = "application/json",
  ): Promise<{ status: number; body: T }> {
    const res = await fetchOnce(`${this.cp.url}${path}`, {
      method,
      headers: { authorization: "Bearer e2e-admin-token-0123456789abcdef", "content-type": type },
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json().catch(() => null)) as T };
  }

  /**
   * An admin call that must succeed, its answer parsed with the API's own schema (so a test
   * reads the shape the API declares, not a copy of it).
   */
  async call<S extends ZodType>(
    schema: S,
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: output<S> }> {
    const r = await this.api<unknown>(method, path, body);
    if (r.status >= 300)
      throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
    return { status: r.status, body: schema.parse(r.body) };
  }

  /** A join token for the cluster (by default one that may claim any role); its secret. */
  async joinToken(cluster: string, body: object = EVERY_ROLE): Promise<string> {
    const r = await this.call(
      JoinTokenResponse,
      "POST",
      `/v1/clusters/${cluster}/join-tokens`,
      body,
    );
    return r.body.token;
  }

  /** Creates a cluster; the default policy sends a change to every node at once (no canary, no bake). */
  async createCluster(name: string, rolloutPolicy: object = ALL_AT_ONCE): Promise<void> {
    const r = await this.api("POST", "/v1/clusters", { name, rolloutPolicy });
    if (r.status !== 201) throw new Error(`create ${name}: ${JSON.stringify(r.body)}`);
  }

  /** Waits until the cluster's newest rollout has ended in one of `states`. */
  async rollout(cluster: string, states = ["completed"], ms = 30_000) {
    return this.explain(
      waitFor(
        `rollout of ${cluster} ${states.join("/")}`,
        async () => {
          const { body } = await this.call(ClusterSummary, "GET", `/v1/clusters/${cluster}`);
          return (
            body.rollout?.toVersion === body.version &&
            states.includes(body.rollout.state) &&
            body.rollout
          );
        },
        ms,
      ),
    );
  }

  /** Polls GET nodes until every listed host has applied its desired bundle. */
  async converged(cluster: string, hosts: string[], ms = 20_000): Promise<void> {
    await this.explain(
      waitFor(
        `${hosts.join(",")} applied`,
        async () => {
          const { body } = await this.call(NodeList, "GET", `/v1/clusters/${cluster}/nodes`);
          return hosts.every((h) => body.nodes.find((n) => n.host === h)?.status === "applied");
        },
        ms,
      ),
    );
  }

  /** Adds what the fleet's processes printed to a failure, so a red test says why. */
  async explain<T>(p: Promise<T>): Promise<T> {
    try {
      return await p;
    } catch (e) {
      const outputs = this.procs.map(
        (q) =>
          `--- ${q.spawnargs.slice(0, 4).join(" ")}\n${(q as ChildProcess & { output: () => string }).output().slice(-1500)}`,
      );
      throw new Error(`${String(e)}\n${outputs.join("\n")}`);
    }
  }

  /**
   * The serving certificate of a stand-in: from the fleet's own CA, valid for what a real
   * master's certificate carries (localhost, 127.0.0.1, its name and address, the default LB
   * name) and `more`, so that the certificate check sees a well-made cluster.
   */
  private tls(name: string, address: string, more: string[]): Pem {
    this.ca ??= makeCA("halo-e2e-ca");
    const sans = ["localhost", "127.0.0.1", name, address, DEFAULT_LB_DOMAIN, ...more];
    return issue(this.ca, [...new Set(sans)], 365);
  }

  /** The fleet's CA (PEM), as a kubeconfig's certificate-authority-data would carry it. */
  get caCert(): string {
    this.ca ??= makeCA("halo-e2e-ca");
    return this.ca.cert;
  }

  /** A stand-in kube-apiserver: a TLS server that answers every connection with its name. */
  async apiserver(
    name: string,
    address: string,
    port: number,
    more: string[] = [],
  ): Promise<Server> {
    const s = tlsServer(this.tls(name, address, more), (sock) => {
      sock.on("error", () => {});
      sock.end(
        `HTTP/1.1 200 OK\r\ncontent-length: ${name.length}\r\nconnection: close\r\n\r\n${name}`,
      );
    });
    s.on("tlsClientError", () => {});
    await new Promise<void>((r, j) => s.listen(port, address, () => r()).once("error", j));
    this.servers.push(s);
    return s;
  }

  /** Stops every apiserver stand-in from listening (open sockets end on their own). */
  stopApiservers(): void {
    for (const s of this.servers.splice(0)) s.close();
  }

  /**
   * Starts a process that the fleet stops at the end. Agents run with HALO_LOOPBACK_ONLY=1: one
   * given a probe target beyond loopback stops before sending a packet, and the suite fails.
   */
  spawn(cmd: string, args: string[], opts: { env?: Record<string, string> } = {}): ChildProcess {
    const p = spawn(cmd, args, {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, HALO_LOOPBACK_ONLY: "1", ...opts.env },
    });
    p.on("exit", (code) => {
      if (code === LOOPBACK_GUARD_EXIT)
        this.offLoopback.push(`${args.join(" ")}: ${out.slice(-400)}`);
    });
    let out = "";
    p.stdout?.on("data", (d: Buffer) => (out += d.toString()));
    p.stderr?.on("data", (d: Buffer) => (out += d.toString()));
    (p as ChildProcess & { output: () => string }).output = () => out;
    this.procs.push(p);
    return p;
  }

  /** A node: its sandbox root, state dir and agent config; `join` then `run` as a real agent process. */
  node(host: string, artifacts: Record<string, unknown>): Node {
    const root = join(this.dir, "nodes", host);
    mkdirSync(join(root, "etc"), { recursive: true });
    if (!existsSync(join(root, "etc/hosts")))
      writeFileSync(join(root, "etc/hosts"), `127.0.0.1 localhost\n127.0.1.1 ${host}\n`);
    const config = join(root, "agent.json");
    writeFileSync(config, JSON.stringify({ healthTimeout: 5, pollInterval: 1, artifacts }));
    return new Node(this, host, root, config);
  }
}

export class Node {
  agent: ChildProcess | null = null;
  constructor(
    readonly fleet: Fleet,
    readonly host: string,
    readonly root: string,
    readonly config: string,
  ) {}

  get state(): string {
    return join(this.root, "var/lib/halo");
  }

  file(path: string): string | null {
    const p = join(this.root, path);
    return existsSync(p) ? readFileSync(p, "utf8") : null;
  }

  join(token: string, ip: string): void {
    const r = spawnSync(
      BUN,
      [
        AGENT,
        "join",
        "--server",
        this.fleet.cp.url,
        // The token on stdin, as a user should pass it: never in argv.
        "--token-file",
        "-",
        "--hostname",
        this.host,
        "--ip",
        ip,
        "--state",
        this.state,
      ],
      { encoding: "utf8", input: token },
    );
    if (r.status !== 0) throw new Error(`join ${this.host}: ${r.stderr}`);
  }

  run(extra: string[] = []): ChildProcess {
    this.agent = this.fleet.spawn(BUN, [
      AGENT,
      "run",
      "--root",
      this.root,
      "--state",
      this.state,
      "--config",
      this.config,
      ...extra,
    ]);
    return this.agent;
  }

  async kill(): Promise<void> {
    const a = this.agent;
    if (!a || a.exitCode !== null) return;
    const exited = new Promise((r) => a.once("exit", r));
    a.kill("SIGKILL");
    await exited;
  }

  output(): string {
    return (this.agent as (ChildProcess & { output?: () => string }) | null)?.output?.() ?? "";
  }
}

/** Opens a TLS connection, sends a request, and returns the body: the name of the apiserver reached. */
export function reach(host: string, port: number): Promise<string> {
  return new Promise((res, rej) => {
    const s = tlsConnect({ host, port, rejectUnauthorized: false, timeout: 3000 }, () =>
      s.write("GET / HTTP/1.1\r\nhost: x\r\n\r\n"),
    );
    let data = "";
    s.on("data", (d: Buffer) => (data += d.toString()));
    s.on("end", () => res(data.split("\r\n\r\n")[1] ?? ""));
    s.on("timeout", () => (s.destroy(), rej(new Error("timeout"))));
    s.on("error", rej);
  });
}

export { BUN, AGENT };
