import { existsSync, linkSync, mkdirSync, renameSync } from "node:fs";
import { dirname, join } from "node:path";
import type { ArtifactKind, Bundle } from "../shared/bundle-schema.ts";
import type { ApplyStage } from "../shared/protocol.ts";
import { err, ok, type Result } from "../shared/result.ts";
import type { AgentConfig } from "./config.ts";
import { fsyncDir, readOrNull, writeAtomic, writeSynced } from "./fs-atomic.ts";
import {
  clearJournal,
  readJournal,
  restoreOld,
  unlinkIfThere,
  writeJournal,
  type Journal,
} from "./journal.ts";
import { fillStaged, planApply, sideFiles, withRoot, type ApplyPlan } from "./plan.ts";
import { runCommand, waitHealthy } from "./probe.ts";

export interface ApplyContext {
  config: AgentConfig;
  root: string;
  stateDir: string;
  /** called at each step; the agent prints them with HALO_TRACE=1 */
  trace?: (step: string) => void;
}

export interface ApplyFailure {
  stage: ApplyStage;
  error: string;
  rolledBack: boolean;
}

export type ApplyOutcome = Result<{ changed: ArtifactKind[] }, ApplyFailure>;

/** What this node last applied: the version and hash it acks in `hello`. */
export interface AppliedState {
  version: number;
  hash: string;
  at: string;
}

export const appliedPath = (stateDir: string) => join(stateDir, "applied.json");

export function readApplied(stateDir: string): AppliedState | null {
  const text = readOrNull(appliedPath(stateDir));
  return text === null ? null : (JSON.parse(text) as AppliedState);
}

/**
 * Applies a bundle as one transaction: stage and fsync every file, check the staged files,
 * back up and rename, fsync the directories, reload each service once, probe health. Any failure
 * puts the old files back and reloads again.
 */
export async function applyBundle(bundle: Bundle, ctx: ApplyContext): Promise<ApplyOutcome> {
  const trace = ctx.trace ?? (() => {});
  const planned = planApply(bundle, ctx.config, ctx.root, readOrNull);
  if (!planned.ok) return err({ stage: "stage", error: planned.error, rolledBack: false });
  const plan = planned.value;
  trace("planned");
  if (plan.files.length > 0) {
    const failure = await transact(plan, ctx, trace);
    if (failure) return err(failure);
  }
  writeAtomic(
    appliedPath(ctx.stateDir),
    JSON.stringify({ version: plan.version, hash: plan.hash, at: new Date().toISOString() }),
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
    })),
    reloads: plan.reloads,
  };
  writeJournal(ctx.stateDir, journal);
  for (const f of plan.files) {
    unlinkIfThere(f.backup);
    writeSynced(f.staged, f.content);
    trace(`staged ${f.kind}`);
  }
  for (const f of plan.files) {
    if (f.check === null) continue;
    const r = await runCommand(fillStaged(f.check, f.staged));
    if (r.code !== 0) {
      restoreOld(journal);
      clearJournal(ctx.stateDir);
      return {
        stage: "check",
        error: `${f.kind}: ${r.output || `exit ${r.code}`}`,
        rolledBack: false,
      };
    }
    trace(`checked ${f.kind}`);
  }
  writeJournal(ctx.stateDir, { ...journal, phase: "installing" });
  const installing: Journal = { ...journal, phase: "installing" };
  for (const f of journal.files) if (f.existed) linkSync(f.target, f.backup);
  trace("backed-up");
  const dirs = new Set<string>();
  for (const f of plan.files) {
    mkdirSync(dirname(f.target), { recursive: true });
    renameSync(f.staged, f.target);
    dirs.add(dirname(f.target));
    trace(`installed ${f.kind}`);
  }
  for (const d of dirs) fsyncDir(d);
  writeJournal(ctx.stateDir, { ...journal, phase: "installed" });
  trace("synced");
  const failure =
    (await reloadAll(plan.reloads, "reload")) ??
    (await healthAll(plan.healths, ctx.config.healthTimeout));
  if (failure) {
    restoreOld({ ...installing, phase: "installed" });
    clearJournal(ctx.stateDir);
    await reloadEach(plan.reloads);
    trace("rolled-back");
    return { ...failure, rolledBack: true };
  }
  trace("healthy");
  clearJournal(ctx.stateDir);
  for (const f of journal.files) unlinkIfThere(f.backup);
  return null;
}

async function reloadAll(
  reloads: string[],
  stage: "reload",
): Promise<Omit<ApplyFailure, "rolledBack"> | null> {
  for (const cmd of reloads) {
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
  probes: string[],
  timeoutS: number,
): Promise<Omit<ApplyFailure, "rolledBack"> | null> {
  for (const p of probes) {
    const error = await waitHealthy(p, timeoutS * 1000);
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
    if (j.phase !== "staging") await reloadEach(j.reloads);
  }
  // Without a journal, side files are leftovers of a committed transaction.
  for (const kc of Object.values(ctx.config.artifacts)) {
    const { staged, backup } = sideFiles(withRoot(ctx.root, kc.path));
    unlinkIfThere(staged);
    unlinkIfThere(backup);
  }
  return j ? "rolled-back" : "clean";
}
