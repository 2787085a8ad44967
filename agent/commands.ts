import { HOSTS_BEGIN } from "../shared/render/hosts.ts";
import { acceptBundle } from "./accept.ts";
import { backoffDelay } from "./backoff.ts";
import { resolveTarget, unlinkIfThere } from "./files.ts";
import { makeLog, type Log } from "./log.ts";
import { AgentMetrics, serveMetrics } from "./metrics.ts";
import { AGENT_VERSION } from "./version.ts";
import { hostname, networkInterfaces } from "node:os";
import { join as joinPath } from "node:path";
import { plainBeyondLoopback, type Args } from "./args.ts";
import { readFileSync } from "node:fs";
import { appliedPath, applyBundle, readApplied, recover, type ApplyContext } from "./apply.ts";
import { loadAgentConfig, type AgentConfig } from "./config.ts";
import { AgentLoop, EXIT } from "./connection.ts";
import { loadCredential, saveCredential, type Credential } from "./credential.ts";
import { ensurePrivateDir, readOrNull } from "./fs-atomic.ts";
import { fetchConfig } from "./http.ts";
import { readJournal } from "./journal.ts";
import { planApply, withRoot } from "./plan.ts";
import { diffLines } from "./diff.ts";

export { AGENT_VERSION };

let log: Log = makeLog("text");

/** Chooses the log form before a command runs (`--log-format text|json`). */
export function useLogFormat(format: "text" | "json"): void {
  log = makeLog(format);
}

/** The first non-internal IPv4 address: what `join` reports unless --ip says otherwise. */
function detectIp(): string | undefined {
  for (const addrs of Object.values(networkInterfaces())) {
    for (const a of addrs ?? []) if (a.family === "IPv4" && !a.internal) return a.address;
  }
  return undefined;
}

const JOIN_RETRIES = 5;

/** Network errors, contention and server errors may pass on a retry; 4xx refusals will not. */
function retryable(res: Response | Error): boolean {
  return res instanceof Error || res.status === 412 || res.status === 429 || res.status >= 500;
}

/** The join token: --token, or the file --token-file names (`-` is stdin), trimmed. */
function joinToken(args: Args): string | null {
  if (args.tokenFile === undefined) return args.token ?? null;
  try {
    return readFileSync(args.tokenFile === "-" ? 0 : args.tokenFile, "utf8").trim() || null;
  } catch {
    return null;
  }
}

export async function join(args: Args): Promise<number> {
  const unsafe = ensurePrivateDir(args.state);
  if (unsafe) return (log(`--state: ${unsafe}`), EXIT.usage);
  const token = joinToken(args);
  if (token === null)
    return (log(`--token-file ${args.tokenFile}: cannot read a token from it`), EXIT.usage);
  if (args.insecure && plainBeyondLoopback(args.server ?? ""))
    log(`--insecure: joining ${args.server} over plain http; the credential travels unencrypted`);
  const ip = args.ip ?? detectIp();
  if (!ip) return (log("cannot detect this node's address; pass --ip"), EXIT.usage);
  const host = args.hostname ?? hostname().split(".")[0] ?? "";
  const register = () =>
    fetch(new URL("/v1/register", args.server), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        token,
        hostname: host,
        ip,
        facts: { agent: AGENT_VERSION, platform: process.platform, arch: process.arch },
      }),
    }).catch((e: unknown) => e as Error);
  let res = await register();
  // An unreachable or busy control plane is worth a few more tries; a refusal is final.
  for (let attempt = 0; attempt < JOIN_RETRIES && retryable(res); attempt++) {
    const delay = backoffDelay(attempt);
    log(
      `registration did not go through (${res instanceof Error ? res.message : res.status}); retrying in ${delay} ms`,
    );
    await new Promise((r) => setTimeout(r, delay));
    res = await register();
  }
  if (res instanceof Error)
    return (log(`cannot reach ${args.server}: ${res.message}`), EXIT.failed);
  const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  if (res.status !== 201)
    return (log(`registration refused (${res.status}): ${String(body.detail ?? "")}`), EXIT.failed);
  const cred: Credential = {
    server: args.server ?? "",
    cluster: String(body.cluster),
    host: String(body.host),
    nodeToken: String(body.nodeToken),
  };
  saveCredential(args.state, cred);
  console.log(`joined cluster ${cred.cluster} as ${cred.host}; credential saved in ${args.state}`);
  return EXIT.ok;
}

function setup(args: Args): { cred: Credential; config: AgentConfig; ctx: ApplyContext } | number {
  const unsafe = ensurePrivateDir(args.state);
  if (unsafe) return (log(`--state: ${unsafe}`), EXIT.usage);
  const cred = loadCredential(args.state);
  if (!cred)
    return (log(`no credential in ${args.state}: run \`halo-agent join\` first`), EXIT.usage);
  const config = loadAgentConfig(args.config);
  if (!config.ok) {
    for (const i of config.error) log(`config ${i.path}: ${i.message}`);
    return EXIT.usage;
  }
  const trace = process.env.HALO_TRACE ? (s: string) => console.error(`step ${s}`) : undefined;
  return {
    cred,
    config: config.value,
    ctx: { config: config.value, root: args.root, stateDir: args.state, trace },
  };
}

export async function run(args: Args): Promise<number> {
  const s = setup(args);
  if (typeof s === "number") return s;
  if ((await recover(s.ctx)) === "rolled-back")
    log("recovered from an interrupted apply: the previous files are back");
  if (args.dryRun) return dryRun(s.cred, s.ctx);
  const ca = s.config.apiserverCA ? readOrNull(s.config.apiserverCA) : null;
  if (s.config.apiserverCA && ca === null)
    return (log(`config apiserverCA: cannot read ${s.config.apiserverCA}`), EXIT.usage);
  const metrics = new AgentMetrics(AGENT_VERSION);
  if (args.metrics) {
    try {
      serveMetrics(args.metrics, metrics);
    } catch (e) {
      log(`cannot serve metrics on ${args.metrics}: ${e instanceof Error ? e.message : String(e)}`);
      return EXIT.usage;
    }
  }
  const loop = new AgentLoop(s.cred, s.ctx, {
    once: args.once,
    log,
    pollIntervalMs: s.config.pollInterval * 1000,
    timeoutMs: args.timeout * 1000,
    metrics,
    apiserverCA: ca,
  });
  for (const sig of ["SIGINT", "SIGTERM"] as const) process.on(sig, () => loop.stop());
  return loop.run();
}

async function dryRun(cred: Credential, ctx: ApplyContext): Promise<number> {
  const r = await fetchConfig(cred);
  if (!r.ok) return (log(`cannot fetch config: ${r.error.error}`), EXIT.failed);
  if (!("bundle" in r.value)) return EXIT.ok;
  const accepted = acceptBundle(r.value.bundle, (k) => k in ctx.config.artifacts);
  if (!accepted.ok) return (log(`refusing the bundle: ${accepted.error}`), EXIT.failed);
  const plan = planApply(
    accepted.value.bundle,
    ctx.config,
    readApplied(ctx.stateDir)?.kinds ?? [],
    {
      read: readOrNull,
      target: (p) => resolveTarget(ctx.root, p),
    },
  );
  if (plan.files.length === 0) console.log(`version ${plan.version}: nothing to change`);
  for (const f of plan.files) {
    console.log(`--- ${f.target}\n+++ ${f.target} (version ${plan.version})`);
    console.log(diffLines(readOrNull(f.target) ?? "", f.content ?? ""));
  }
  if (plan.retired.length > 0) console.log(`would retire: ${plan.retired.join(", ")}`);
  if (plan.reloads.length > 0) console.log(`would reload: ${plan.reloads.join("; ")}`);
  if (plan.retires.length > 0) console.log(`would run: ${plan.retires.join("; ")}`);
  return EXIT.ok;
}

export function status(args: Args): number {
  const cred = loadCredential(args.state);
  const applied = readApplied(args.state);
  const journal = readJournal(args.state);
  const config = loadAgentConfig(args.config);
  console.log(`cluster:  ${cred?.cluster ?? "(not joined)"}`);
  console.log(`host:     ${cred?.host ?? "-"}`);
  console.log(`server:   ${cred?.server ?? "-"}`);
  console.log(
    `applied:  ${applied ? `version ${applied.version} ${applied.hash.slice(0, 12)} at ${applied.at}` : "nothing yet"}`,
  );
  if (journal)
    console.log(
      `journal:  an apply of version ${journal.version} was interrupted (${journal.phase}); \`run\` recovers it`,
    );
  if (config.ok) {
    for (const [kind, kc] of Object.entries(config.value.artifacts)) {
      for (const p of kc.paths) {
        const path = withRoot(args.root, p);
        console.log(`${kind.padEnd(10)} ${path}${readOrNull(path) === null ? " (absent)" : ""}`);
      }
    }
  }
  return EXIT.ok;
}

/** Whether a file's content is halo's own: its header, or its managed /etc/hosts block. */
export function installedByHalo(content: string | null): boolean {
  return (
    content !== null && (content.startsWith("# Managed by halo") || content.includes(HOSTS_BEGIN))
  );
}

/**
 * Takes this node out of halo's hands: the managed /etc/hosts block removed, every kind it
 * applied retired (files removed, retire commands run), in one transaction; then the applied
 * state and the credential are forgotten. The control plane still lists the host until an
 * operator removes it (`halo host rm`, or DELETE .../hosts/:h).
 */
export async function leave(args: Args): Promise<number> {
  const config = loadAgentConfig(args.config);
  if (!config.ok) {
    for (const i of config.error) log(`config ${i.path}: ${i.message}`);
    return EXIT.usage;
  }
  const ctx: ApplyContext = { config: config.value, root: args.root, stateDir: args.state };
  await recover(ctx);
  // Without a record of what was applied, only files that carry halo's own mark are halo's:
  // a pre-existing nginx.conf is left alone, and so are its services.
  const had =
    readApplied(args.state)?.kinds ??
    Object.entries(config.value.artifacts)
      .filter(([, kc]) =>
        kc.paths.some((p) => installedByHalo(readOrNull(resolveTarget(args.root, p)))),
      )
      .map(([k]) => k);
  const nothing = { version: 0, hash: "0".repeat(64), artifacts: [] };
  const r = await applyBundle(nothing, ctx, had);
  if (!r.ok) {
    log(`leaving failed at ${r.error.stage}: ${r.error.error}; nothing was forgotten`);
    return EXIT.failed;
  }
  for (const f of [appliedPath(args.state), joinPath(args.state, "credential.json")])
    unlinkIfThere(f);
  console.log(
    `left: ${r.value.changed.length > 0 ? `retired ${r.value.changed.join(", ")}` : "nothing was installed"}; credential forgotten`,
  );
  return EXIT.ok;
}
