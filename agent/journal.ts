import { existsSync, unlinkSync } from "node:fs";
import { dirname, join } from "node:path";
import * as z from "zod/mini";
import { replaceFile, unlinkIfThere } from "./files.ts";
import { fsyncDir, readOrNull, writeAtomic } from "./fs-atomic.ts";

/**
 * The transaction's journal. Its phase says what a crash left behind: while staging, targets
 * are untouched; once installing, each target is either old or new and its backup restores it.
 */
export const JournalSchema = z.strictObject({
  phase: z.enum(["staging", "installing", "installed"]),
  version: z.int(),
  hash: z.string(),
  files: z.array(
    z.strictObject({
      target: z.string(),
      staged: z.string(),
      backup: z.string(),
      existed: z.boolean(),
      /** a retired kind: the target is removed, not replaced */
      remove: z._default(z.boolean(), false),
    }),
  ),
  reloads: z.array(z.string()),
});
export type Journal = z.infer<typeof JournalSchema>;

export const journalPath = (stateDir: string) => join(stateDir, "journal.json");

export function writeJournal(stateDir: string, j: Journal): void {
  writeAtomic(journalPath(stateDir), JSON.stringify(j));
}

export function readJournal(stateDir: string): Journal | null {
  const text = readOrNull(journalPath(stateDir));
  if (text === null) return null;
  const parsed = z.safeParse(JournalSchema, JSON.parse(text));
  if (!parsed.success)
    throw new Error(`journal ${journalPath(stateDir)} is unreadable: ${parsed.error.message}`);
  return parsed.data;
}

/** Removing the journal is the commit point: after it, the new set stands. */
export function clearJournal(stateDir: string): void {
  const p = journalPath(stateDir);
  if (existsSync(p)) {
    unlinkSync(p);
    fsyncDir(stateDir);
  }
}

/** Puts every target of the journal back to its old content; staged leftovers are removed. */
export function restoreOld(j: Journal): void {
  const dirs = new Set<string>();
  for (const f of j.files) {
    unlinkIfThere(f.staged);
    if (j.phase !== "staging") {
      if (f.existed) {
        if (existsSync(f.backup)) replaceFile(f.backup, f.target);
      } else {
        unlinkIfThere(f.target);
      }
    }
    dirs.add(dirname(f.target));
  }
  for (const d of dirs) if (existsSync(d)) fsyncDir(d);
}

export { unlinkIfThere };
