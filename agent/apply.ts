import { existsSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import type { LocalAdjust } from "./accept.ts";
import type { ArtifactKind, Bundle } from "../shared/bundle-schema.ts";
import { backupFile, replaceFile, resolveTarget, stageFile } from "./files.ts";
import type { ApplyStage } from "../shared/protocol.ts";
import { err, ok, type Result } from "../shared/result.ts";
import type { AgentConfig } from "./config.ts";
import { fsyncDir, readOrNull, writeAtomic } from "./fs-atomic.ts";
import {
  clearJournal,
  readJournal,
  restoreOld,
  unlinkIfThere,
  writeJournal,
  type Journal,
} from "./journal.ts";
import { checkKubeconfig } from "./kubeconfig-check.ts";
import {
  fillStaged,
  planApply,
  sideFiles,
  withRoot,
  type ApplyPlan,
  type HealthProbe,
} from "./plan.ts";
import { runCommand, waitHealthy } from "./probe.ts";

export interface ApplyContext {
  config: AgentConfig;
  root: string;
  stateDir: string;
  /** called at each step; the agent prints them with HALO_TRACE=1 */
  trace?: (step: string) => void;
  /** this node's own adjustment of a spec before rendering (its LB ejections) */
  adjust?: LocalAdjust;
}

export interface ApplyFailure {
  stage: ApplyStage;
  error: string;
  rolledBack: boolean;
}

export type ApplyOutcome = Result<{ changed: ArtifactKind[] }, ApplyFailure>;

/** What this node last applied: the version and hash it acks in `hello`, and the kinds it has. */
export interface AppliedState {
  version: number;
  hash: string;
  at: string;
  kinds?: string[];
}

export const appliedPath = (stateDir: string) => join(stateDir, "applied.json");

export function readApplied(stateDir: string): AppliedState | null {
  const text = readOrNull(appliedPath(stateDir));
  return text === null ? null : (JSON.parse(text) as AppliedState);
}

/** A step that threw: its stage, so the failure says where it happened. */
class StepError extends Error {
  constructor(
    readonly stage: ApplyStage,
    cause: unknown,
  ) {
    super(cause instanceof Error ? cause.message : String(cause));
  }
}

async function step<T>(stage: ApplyStage, f: () => T | Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    throw e instanceof StepError ? e : new StepError(stage, e);
  }
}

/**
 * Applies a bundle as one transaction: stage and fsync every file, check the staged files,
 * back up and install (or remove, for retired kinds), fsync the directories, reload each
 * service once, run retire commands, probe health. Any failure, an I/O error included, puts
 * the old files back, reloads again and resolves the journal: the next bundle starts clean.
 */
export async function applyBundle(
  bundle: Bundle,
  ctx: ApplyContext,
  /** the kinds this node has now; by default, what it applied last */
  had: ReadonlyArray<string> = readApplied(ctx.stateDir)?.kinds ?? [],
): Promise<ApplyOutcome> {
  const trace = ctx.trace ?? (() => {});
  trace("start");
  // A transaction a failure could not undo last time is undone before anything else.
  if (readJournal(ctx.stateDir)) await recover(ctx);
  const previous = had;
  let plan: ApplyPlan;
  try {
    plan = planApply(bundle, ctx.config, previous, {
      read: readOrNull,
      target: (p) => resolveTarget(ctx.root, p),
    });
  } catch (e) {
    return err({
      stage: "stage",
      error: e instanceof Error ? e.message : String(e),
      rolledBack: false,
    });
  }
  trace("planned");
  // A kind retired with its file kept changes no file but still runs its retire command.
  if (plan.files.length > 0 || plan.retires.length > 0) {
    const failure = await transact(plan, ctx, trace);
    if (failure) return err(failure);
  }
  writeAtomic(
    appliedPath(ctx.stateDir),
    JSON.stringify({
      version: plan.version,
      hash: plan.hash,
      at: new Date().toISOString(),
      kinds: plan.kinds,
    }),
  );
  trace("done");
  return ok({ changed: plan.files.map((f) => f.kind) });
}

async function transact(
  plan: ApplyPlan,
  ctx: ApplyContext,
  trace: (s: string) => void,
): Promise<ApplyFailure | null> {
  mkdirSync(ctx.stateDir, { recursive: true });
  const journal: Journal = {
    phase: "staging",
    version: plan.version,
    hash: plan.hash,
    files: plan.files.map((f) => ({
      target: f.target,
      staged: f.staged,
      backup: f.backup,
      existed: existsSync(f.target),
      remove: f.content === null,
    })),
    reloads: plan.reloads,
  };
  writeJournal(ctx.stateDir, journal);
  try {
    await step("stage", () => stageAll(plan, trace));
    const rejected = await checkAll(plan, trace);
    if (rejected) {
      undo(journal, ctx);
      return { ...rejected, rolledBack: false };
    }
    await step("install", () => installAll(plan, journal, ctx, trace));
  } catch (e) {
    const stage = e instanceof StepError ? e.stage : "install";
    const installed = undo(journal, ctx);
    if (installed) await reloadEach(plan.reloads);
    return { stage, error: e instanceof Error ? e.message : String(e), rolledBack: installed };
  }
  trace("synced");
  const failure =
    (await reloadAll(plan.reloads)) ??
    (await runAll(plan.retires, "reload")) ??
    (await healthAll(plan.healths, ctx.config.healthTimeout));
  if (failure) {
    undo({ ...journal, phase: "installed" }, ctx);
    await reloadEach(plan.reloads);
    trace("rolled-back");
    return { ...failure, rolledBack: true };
  }
  trace("healthy");
  clearJournal(ctx.stateDir);
  for (const f of journal.files) unlinkIfThere(f.backup);
  return null;
}

function stageAll(plan: ApplyPlan, trace: (s: string) => void): void {
  for (const f of plan.files) {
    mkdirSync(dirname(f.target), { recursive: true });
    if (f.content !== null) stageFile(f.staged, f.content, f.target);
    trace(`staged ${f.kind}`);
  }
}

async function checkAll(
  plan: ApplyPlan,
  trace: (s: string) => void,
): Promise<Omit<ApplyFailure, "rolledBack"> | null> {
  for (const f of plan.files) {
    if (f.parse === "kubeconfig" && f.content !== null) {
      const problem = await checkKubeconfig(f.content);
      if (problem) return { stage: "check", error: `${f.kind} ${f.target}: ${problem}` };
    }
    if (f.check === null) continue;
    const r = await runCommand(fillStaged(f.check, f.staged));
    if (r.code !== 0)
      return { stage: "check", error: `${f.kind}: ${r.output || `exit ${r.code}`}` };
    trace(`checked ${f.kind}`);
  }
  return null;
}

function installAll(
  plan: ApplyPlan,
  journal: Journal,
  ctx: ApplyContext,
  trace: (s: string) => void,
): void {
  writeJournal(ctx.stateDir, { ...journal, phase: "installing" });
  journal.phase = "installing";
  for (const f of journal.files) if (f.existed) backupFile(f.target, f.backup);
  trace("backed-up");
  const dirs = new Set<string>();
  for (const f of plan.files) {
    if (f.content === null) unlinkIfThere(f.target);
    else replaceFile(f.staged, f.target);
    dirs.add(dirname(f.target));
    trace(`installed ${f.kind}`);
  }
  for (const d of dirs) fsyncDir(d);
  writeJournal(ctx.stateDir, { ...journal, phase: "installed" });
  journal.phase = "installed";
}

/**
 * Puts the old files back and resolves the journal; true when new files may have been live
 * (the services need a reload). If even that fails, the journal stays and the next apply or
 * start undoes it first.
 */
function undo(journal: Journal, ctx: ApplyContext): boolean {
  restoreOld(journal);
  clearJournal(ctx.stateDir);
  return journal.phase !== "staging";
}

async function reloadAll(reloads: string[]): Promise<Omit<ApplyFailure, "rolledBack"> | null> {
  return runAll(reloads, "reload");
}

async function runAll(
  commands: string[],
  stage: "reload",
): Promise<Omit<ApplyFailure, "rolledBack"> | null> {
  for (const cmd of commands) {
    const r = await runCommand(cmd);
    if (r.code !== 0) return { stage, error: `${cmd}: ${r.output || `exit ${r.code}`}` };
  }
  return null;
}
/** After a rollback every service is reloaded, even when one of them fails. */
async function reloadEach(reloads: string[]): Promise<void> {
  for (const cmd of reloads) await runCommand(cmd);
}

async function healthAll(
  probes: HealthProbe[],
  timeoutS: number,
): Promise<Omit<ApplyFailure, "rolledBack"> | null> {
  for (const p of probes) {
    const error = await waitHealthy(p.probe, timeoutS * 1000, p.mark);
    if (error) return { stage: "health", error };
  }
  return null;
}

/**
 * After a crash: a journal left behind means the transaction did not commit, so every target
 * goes back to its old content (and services are reloaded if new files may have been live).
 */
export async function recover(ctx: ApplyContext): Promise<"clean" | "rolled-back"> {
  const j = readJournal(ctx.stateDir);
  if (j) {
    restoreOld(j);
    clearJournal(ctx.stateDir);
    // Only commands of this node's own config run: the journal names them, it does not decide.
    const allowed = new Set(Object.values(ctx.config.artifacts).map((k) => k.reload));
    if (j.phase !== "staging") await reloadEach(j.reloads.filter((r) => allowed.has(r)));
  }
  // Without a journal, side files are leftovers of a committed transaction.
  for (const kc of Object.values(ctx.config.artifacts)) {
    for (const path of kc.paths)
      for (const target of new Set([withRoot(ctx.root, path), resolveOr(ctx.root, path)])) {
        const { staged, backup } = sideFiles(target);
        unlinkIfThere(staged);
        unlinkIfThere(backup);
      }
  }
  return j ? "rolled-back" : "clean";
}

function resolveOr(root: string, path: string): string {
  try {
    return resolveTarget(root, path);
  } catch {
    return withRoot(root, path);
  }
}
