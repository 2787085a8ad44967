import { closeSync, constants, existsSync, openSync, statSync, unlinkSync } from "node:fs";
import { dirname, join } from "node:path";
import type { WireBundle } from "../shared/bundle-schema.ts";
import { kindModule } from "../shared/kinds/registry.ts";
import { acceptBundle } from "./accept.ts";
import { readApplied } from "./apply.ts";
import type { Args } from "./args.ts";
import { loadAgentConfig, type KindConfig } from "./config.ts";
import { EXIT } from "./connection.ts";
import { loadCredential } from "./credential.ts";
import { resolveTarget } from "./files.ts";
import { readOrNull } from "./fs-atomic.ts";
import { fetchConfig } from "./http.ts";
import { readJournal } from "./journal.ts";
import { readLastResult } from "./last-result.ts";
import { readSavedBundle } from "./saved-bundle.ts";
import { shellQuote } from "./plan.ts";
import { runCommand } from "./probe.ts";
import { probeUrl } from "./probes.ts";

type Verdict = "ok" | "FAIL" | "--";

/** One line of the report: ok, FAIL, or `--` for what is not checked here (and why). */
interface Line {
  verdict: Verdict;
  what: string;
  detail: string;
}

/**
 * The program a config step runs: its first word after any `VAR=value` assignments (`{staged}`
 * never comes first). A step is `sh -c` text, so this is what `command -v` must find.
 */
export function programOf(command: string): string {
  const words = command.trim().split(/\s+/);
  return words.find((w) => !/^[A-Za-z_][A-Za-z0-9_]*=/.test(w)) ?? "";
}

async function commandPresent(
  step: "check" | "reload",
  command: string | null,
  builtIn?: string,
): Promise<Line> {
  if (command === null)
    return builtIn
      ? { verdict: "ok", what: step, detail: `built in (${builtIn})` }
      : { verdict: "--", what: step, detail: "none configured" };
  const program = programOf(command);
  const r = await runCommand(`command -v ${shellQuote(program)}`, 5000);
  return r.code === 0
    ? { verdict: "ok", what: step, detail: `${program} found (${r.output || program})` }
    : { verdict: "FAIL", what: step, detail: `${program} not found on PATH: \`${command}\`` };
}

/** Writable means a file can be created beside the target, as staging does (a read-only mount fails). */
function writable(target: string): string | null {
  const dir = dirname(target);
  if (!existsSync(dir)) return `directory ${dir} does not exist`;
  if (existsSync(target) && !statSync(target).isFile()) return `${target} is not a regular file`;
  const probe = join(dir, `.halo-doctor-${process.pid}`);
  try {
    closeSync(openSync(probe, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, 0o600));
    unlinkSync(probe);
    return null;
  } catch (e) {
    return `cannot write in ${dir}: ${e instanceof Error ? e.message : String(e)}`;
  }
}

async function kindLines(kind: string, kc: KindConfig, root: string): Promise<Line[]> {
  const lines: Line[] = [];
  for (const p of kc.paths) {
    const target = resolveTarget(root, p);
    const problem = writable(target);
    const absent = kindModule(kind)?.onlyExisting === true && !existsSync(target);
    lines.push(
      absent
        ? { verdict: "ok", what: "path", detail: `${target} absent: skipped until it exists` }
        : problem === null
          ? { verdict: "ok", what: "path", detail: `${target} writable` }
          : { verdict: "FAIL", what: "path", detail: problem },
    );
  }
  const parse = kindModule(kind)?.parseCheck;
  lines.push(await commandPresent("check", kc.check, parse ? `${parse} parse` : undefined));
  lines.push(await commandPresent("reload", kc.reload));
  return lines.map((l) => ({ ...l, what: `${kind} ${l.what}` }));
}

/** What the node receives: from the control plane when it answers, else from the last bundle applied. */
function receivedKinds(wire: WireBundle | null): { kinds: string[]; apiserver: string | null } {
  if (wire === null) return { kinds: [], apiserver: null };
  const accepted = acceptBundle(wire, () => true);
  if (!accepted.ok) return { kinds: [], apiserver: null };
  const endpoints = accepted.value.bundle.artifacts.find((a) => a.kind === "endpoints");
  const spec = endpoints?.spec as { apiserver?: { url?: string } } | undefined;
  return {
    kinds: accepted.value.bundle.artifacts.map((a) => a.kind),
    apiserver: spec?.apiserver?.url ?? null,
  };
}

/**
 * `halo-agent doctor`: what an operator checks on a node after joining it, in plain words.
 * Exits 1 when any check fails.
 */
export async function doctor(args: Args): Promise<number> {
  const lines: Line[] = [];
  const say = (verdict: Verdict, what: string, detail: string) =>
    lines.push({ verdict, what, detail });

  const config = loadAgentConfig(args.config);
  if (!config.ok) {
    for (const i of config.error) say("FAIL", "config", `${i.path}: ${i.message}`);
    return print(lines);
  }
  say("ok", "config", args.config ?? "built-in defaults");

  const cred = loadCredential(args.state);
  let wire: WireBundle | null = null;
  let source = "the last bundle applied";
  if (!cred) say("FAIL", "credential", `none in ${args.state}: run \`halo-agent join\``);
  else {
    say("ok", "credential", `host ${cred.host} in cluster ${cred.cluster} (${args.state})`);
    const t0 = performance.now();
    const r = await fetchConfig(cred);
    const ms = Math.round(performance.now() - t0);
    if (r.ok) {
      say("ok", "control plane", `${cred.server} answered in ${ms} ms; credential accepted`);
      if ("bundle" in r.value) ((wire = r.value.bundle), (source = "the control plane"));
    } else if (r.error.status === 401 || r.error.status === 403)
      say("FAIL", "control plane", `${cred.server} refused the credential: join again`);
    else if (r.error.status === 0)
      say("FAIL", "control plane", `cannot reach ${cred.server}: ${r.error.error}`);
    else say("FAIL", "control plane", `${cred.server}: ${r.error.error}`);
  }
  wire ??= readSavedBundle(args.state);
  const received = receivedKinds(wire);

  for (const [kind, kc] of Object.entries(config.value.artifacts)) {
    if (wire !== null && !received.kinds.includes(kind)) {
      say("--", kind, `not sent to this node (per ${source}): not checked`);
      continue;
    }
    lines.push(...(await kindLines(kind, kc, args.root)));
  }

  const applied = readApplied(args.state);
  const last = readLastResult(args.state);
  const journal = readJournal(args.state);
  if (journal)
    say("FAIL", "last apply", `version ${journal.version} was interrupted; \`run\` recovers it`);
  else if (last && !last.ok)
    say("FAIL", "last apply", `version ${last.version} failed at ${last.stage}: ${last.error}`);
  else if (applied) say("ok", "last apply", `version ${applied.version} applied at ${applied.at}`);
  else say("--", "last apply", "nothing applied yet");

  if (received.apiserver === null)
    say("--", "apiserver", "no endpoints for this node (not in k8s-cluster, or no bundle yet)");
  else {
    const p = await probeUrl(received.apiserver, 3000, args.root);
    if (p.ok) say("ok", "apiserver", `${received.apiserver} answered in ${p.ms} ms`);
    else say("FAIL", "apiserver", `${received.apiserver}: ${p.error}`);
  }
  return print(lines);
}

function print(lines: Line[]): number {
  for (const l of lines) console.log(`${l.verdict.padEnd(5)} ${l.what.padEnd(18)} ${l.detail}`);
  const failed = lines.filter((l) => l.verdict === "FAIL").length;
  console.log(failed === 0 ? "\nall checks passed" : `\n${failed} check(s) failed`);
  return failed === 0 ? EXIT.ok : EXIT.failed;
}
