import type { Bundle } from "../../shared/bundle.ts";

/** What the hub remembers per socket; survives hibernation as the socket's attachment. */
export interface SocketState {
  cluster: string;
  host: string;
  tokenId: string;
  helloed: boolean;
  applied: { version: number; hash: string } | null;
  /** the hash of the last bundle sent and not yet acked */
  sent: string | null;
  /** bundles sent on this connection and not acked yet: the only acks the hub believes */
  awaiting: Array<{ version: number; hash: string }>;
  badFrames: number;
  /** the protocol negotiated in hello (absent: 1) */
  protocol?: number;
  /** the key of the targets frame this connection has */
  targetsKey?: string;
  /** the masters this node last said its LB took out */
  ejected?: string[];
  /** the report budget (a token bucket): tokens left, and when it was last filled (ms) */
  reportTokens?: number;
  reportAt?: number;
  /** the last drift audited for this connection ("kinds|healed") and when */
  driftKey?: string;
  driftAt?: number;
}

/** A connection may send this many reports at once, and one more every REPORT_REFILL_MS. */
export const REPORT_BURST = 20;
export const REPORT_REFILL_MS = 1000;

/**
 * Takes one report from the connection's budget; false when it is spent (the report is
 * dropped). An agent reports on change and every minute: far below this; a loop is not.
 */
export function takeReport(state: SocketState, now: number): boolean {
  const last = state.reportAt ?? now;
  const tokens = Math.min(
    REPORT_BURST,
    (state.reportTokens ?? REPORT_BURST) + (now - last) / REPORT_REFILL_MS,
  );
  state.reportAt = now;
  if (tokens < 1) {
    state.reportTokens = tokens;
    return false;
  }
  state.reportTokens = tokens - 1;
  return true;
}

/** Whether a drift is news for the audit log: another set of kinds, or the same a minute on. */
export function driftIsNews(
  state: SocketState,
  drift: { kinds: string[]; healed: boolean },
  now: number,
): boolean {
  const key = `${drift.kinds.join(",")}|${drift.healed}`;
  if (key === state.driftKey && now - (state.driftAt ?? 0) < 60_000) return false;
  state.driftKey = key;
  state.driftAt = now;
  return true;
}

/** Decides whether a node needs a bundle: only when its desired hash is neither applied nor in flight. */
export function needsBundle(state: SocketState, desired: Bundle | undefined): desired is Bundle {
  if (!state.helloed || desired === undefined) return false;
  return desired.hash !== state.applied?.hash && desired.hash !== state.sent;
}

/** How many unacknowledged bundles a connection remembers (newer ones replace older). */
const AWAITING_MAX = 8;

/** Notes a bundle sent on this connection, so its ack will be believed. */
export function noteSent(state: SocketState, sent: { version: number; hash: string }): void {
  state.sent = sent.hash;
  state.awaiting = [
    ...(state.awaiting ?? []).filter((a) => a.hash !== sent.hash || a.version !== sent.version),
    { version: sent.version, hash: sent.hash },
  ].slice(-AWAITING_MAX);
}

/**
 * Takes an ack off the awaiting list; false when this connection never sent that bundle (or
 * before hello), and the ack must change nothing.
 */
export function takeAck(state: SocketState, ack: { version: number; hash: string }): boolean {
  if (!state.helloed) return false;
  state.awaiting ??= [];
  const i = state.awaiting.findIndex((a) => a.hash === ack.hash && a.version === ack.version);
  if (i === -1) return false;
  state.awaiting.splice(i, 1);
  return true;
}
