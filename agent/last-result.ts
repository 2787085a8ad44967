import { join } from "node:path";
import { readOrNull, writeAtomic } from "./fs-atomic.ts";

/** The outcome of the last apply, kept for `halo-agent doctor` (the server has it too). */
export interface LastResult {
  version: number;
  ok: boolean;
  at: string;
  stage?: string;
  error?: string;
}

const path = (stateDir: string) => join(stateDir, "last-result.json");

export function saveLastResult(stateDir: string, r: LastResult): void {
  try {
    writeAtomic(path(stateDir), JSON.stringify(r) + "\n", 0o600);
  } catch {
    // A full disk must not turn a reported apply into a crash; doctor then shows the older one.
  }
}

export function readLastResult(stateDir: string): LastResult | null {
  const text = readOrNull(path(stateDir));
  if (text === null) return null;
  try {
    return JSON.parse(text) as LastResult;
  } catch {
    return null;
  }
}
