/**
 * The localhost LB's local decisions on nginx nodes (nginx has no active checks of its own):
 * which of the backends the control plane sent are taken out, from the agent's `/readyz`
 * checks. Pure: checks in, ejections out.
 */

/** Consecutive failed checks that take a backend out, and successes that put it back. */
export const FALL = 2;
export const RISE = 2;

/** Steady-state check interval per backend (the agent jitters it by ±20 %). */
export const CHECK_EVERY_MS = 2000;

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
 * and back after RISE consecutive passes, as long as another backend is ready (in, and fewer
 * than FALL failures): the last ready backend is never taken out, and when none is ready every
 * backend is in (an outage of every master never empties the upstream). Only `backends` (what
 * the control plane sent) are ever in the state.
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
      if (h.ejected && !c.ok && c.error) h.reason = c.error;
    }
    next[b] = h;
  }
  const all = backends.map((b) => next[b] as BackendHealth);
  const ready = all.filter((h) => !h.ejected && h.fails < FALL);
  for (const [i, h] of all.entries()) {
    if (ready.length === 0 || (h.ejected && h.passes >= RISE)) {
      h.ejected = false;
      delete h.since;
      delete h.reason;
    } else if (!h.ejected && h.fails >= FALL) {
      h.ejected = true;
      h.since = now;
      h.reason = checks[backends[i] as string]?.error ?? "not ready";
    }
  }
  return next;
}

/** The backends out now, sorted: what the rendering and the reports use. */
export function ejectedOf(state: EjectionState): string[] {
  return Object.keys(state)
    .filter((b) => state[b]?.ejected)
    .sort();
}
