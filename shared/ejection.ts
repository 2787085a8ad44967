/**
 * The localhost LB's local decisions on nginx nodes (nginx has no active checks of its own):
 * which of the backends the control plane sent are taken out, from the agent's `/readyz`
 * checks. Pure: checks in, ejections out.
 */

/** Consecutive failed checks that take a backend out, and successes that put it back. */
export const FALL = 2;
export const RISE = 2;

export interface BackendHealth {
  /** consecutive failed and passed checks */
  fails: number;
  passes: number;
  /** taken out of the upstream now */
  ejected: boolean;
  /** when it was taken out (ms), and the last error that did it */
  since?: number;
  reason?: string;
}

export type EjectionState = Record<string, BackendHealth>;

const fresh = (): BackendHealth => ({ fails: 0, passes: 0, ejected: false });

/**
 * One round of checks applied to the state. A backend is out after FALL consecutive failures
 * and back after RISE consecutive passes. Bounded: only `backends` (what the control plane
 * sent) are ever in the state; if every backend would be out, none is (an outage of every
 * master never empties the upstream, and the last ready backend is never taken out).
 */
export function stepEjections(
  state: EjectionState,
  backends: readonly string[],
  checks: Readonly<Record<string, { ok: boolean; error?: string }>>,
  now: number,
): EjectionState {
  const next: EjectionState = {};
  for (const b of backends) {
    const h = { ...(state[b] ?? fresh()) };
    const c = checks[b];
    if (c) {
      h.fails = c.ok ? 0 : h.fails + 1;
      h.passes = c.ok ? h.passes + 1 : 0;
      if (!h.ejected && h.fails >= FALL) {
        h.ejected = true;
        h.since = now;
        h.reason = c.error ?? "not ready";
      } else if (h.ejected && h.passes >= RISE) {
        h.ejected = false;
        delete h.since;
        delete h.reason;
      } else if (h.ejected && !c.ok && c.error) h.reason = c.error;
    }
    next[b] = h;
  }
  if (backends.length > 0 && backends.every((b) => next[b]?.ejected))
    for (const b of backends) {
      const h = next[b] as BackendHealth;
      h.ejected = false;
      delete h.since;
      delete h.reason;
    }
  return next;
}

/** The backends out now, sorted: what the rendering and the reports use. */
export function ejectedOf(state: EjectionState): string[] {
  return Object.keys(state)
    .filter((b) => state[b]?.ejected)
    .sort();
}
