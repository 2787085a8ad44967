import { join } from "node:path";
import type { WireBundle } from "../shared/bundle-schema.ts";
import { readOrNull, writeAtomic } from "./fs-atomic.ts";

/** The bundle this node last applied, as it came: what drift is measured against. */
export const bundlePath = (stateDir: string) => join(stateDir, "bundle.json");

export function saveAppliedBundle(stateDir: string, wire: WireBundle): void {
  writeAtomic(bundlePath(stateDir), JSON.stringify(wire), 0o600);
}

/**
 * The one reader of the saved bundle: null when there is none, or when what is there is not
 * JSON (the agent then acts as a node that has applied nothing, and the next bundle heals it).
 */
export function readSavedBundle(stateDir: string): WireBundle | null {
  const text = readOrNull(bundlePath(stateDir));
  if (text === null) return null;
  try {
    return JSON.parse(text) as WireBundle;
  } catch {
    return null;
  }
}
