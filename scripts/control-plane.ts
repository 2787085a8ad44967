import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { resolve } from "node:path";

const ROOT = resolve(import.meta.dirname, "..");
const WRANGLER = resolve(ROOT, "node_modules/.bin/wrangler");
const ENV = { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "true", NO_COLOR: "1" };

/** A free TCP port on 127.0.0.1 (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once("error", rej);
    s.listen(0, "127.0.0.1", () => {
      const addr = s.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      s.close(() => res(port));
    });
  });
}

/** Applies the D1 migrations to a local database kept under `persistDir`. */
export function applyMigrations(persistDir: string): void {
  const r = spawnSync(
    WRANGLER,
    ["d1", "migrations", "apply", "DB", "--local", "--persist-to", persistDir],
    {
      cwd: ROOT,
      env: ENV,
      encoding: "utf8",
    },
  );
  if (r.status !== 0) throw new Error(`migrations failed:\n${r.stdout}\n${r.stderr}`);
}

/** The admin token in an env file of its own (0600) next to the local state. */
function envFile(persistDir: string, adminToken: string): string {
  mkdirSync(persistDir, { recursive: true });
  const file = resolve(persistDir, "halo.env");
  writeFileSync(file, `HALO_ADMIN_TOKEN=${adminToken}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return file;
}

export interface ControlPlane {
  url: string;
  port: number;
  adminToken: string;
  process: ChildProcess;
  output: () => string;
  stop: () => Promise<void>;
}

/**
 * Starts the control plane as operators do: migrations applied, then `wrangler dev` (workerd
 * + D1 on local disk) on 127.0.0.1 (or `ip`: an address a test's network namespaces reach);
 * resolves once /healthz answers.
 */
export async function startControlPlane(opts: {
  persistDir: string;
  adminToken: string;
  port?: number;
  quiet?: boolean;
  ip?: string;
}): Promise<ControlPlane> {
  if (opts.adminToken.length < 32)
    throw new Error(
      "the admin token is shorter than 32 characters; the control plane refuses it (make one: openssl rand -base64 32)",
    );
  const ip = opts.ip ?? "127.0.0.1";
  applyMigrations(opts.persistDir);
  const port = opts.port ?? (await freePort());
  // Every agent socket costs workerd (behind wrangler dev's proxy) several descriptors: 5,000
  // agents need more than a default soft limit allows: raise it to the hard limit.
  const child = spawn(
    "sh",
    [
      "-c",
      'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$0" "$@"',
      WRANGLER,
      "dev",
      "--ip",
      ip,
      "--port",
      String(port),
      "--persist-to",
      opts.persistDir,
      // The token reaches workerd from a 0600 file, never argv (which every user sees in ps).
      "--env-file",
      envFile(opts.persistDir, opts.adminToken),
      "--inspector-port",
      String(await freePort()),
      "--show-interactive-dev-session=false",
    ],
    { cwd: ROOT, env: ENV, stdio: ["ignore", "pipe", "pipe"], detached: true },
  );
  // The last 256 KB of what wrangler printed (it logs every request: a long run is gigabytes).
  let out = "";
  const keep = (d: Buffer) => {
    out += d.toString();
    if (out.length > 512 * 1024) out = out.slice(-256 * 1024);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const url = `http://${ip}:${port}`;
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited:\n${out}`);
    const ok = await fetch(`${url}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) {
      process.kill(-child.pid!, "SIGKILL");
      throw new Error(`wrangler dev did not answer within 60 s:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    port,
    adminToken: opts.adminToken,
    process: child,
    output: () => out,
    stop: async () => {
      if (child.exitCode !== null) return;
      try {
        process.kill(-child.pid!, "SIGTERM");
      } catch {
        return;
      }
      const t = setTimeout(() => {
        try {
          process.kill(-child.pid!, "SIGKILL");
        } catch {
          /* already gone */
        }
      }, 5000);
      await exited;
      clearTimeout(t);
    },
  };
}
