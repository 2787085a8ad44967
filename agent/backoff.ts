/** Capped exponential backoff with full jitter: a random wait in [0, min(cap, base * 2^attempt)). */
export function backoffDelay(
  attempt: number,
  random: () => number = Math.random,
  baseMs = 500,
  capMs = 30_000,
): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * ceiling);
}

/**
 * How long to wait before reconnecting the WebSocket: the same backoff, but never drawn from a
 * window under 5 s. Every deploy drops every agent at the same instant; a 5 s window spreads a
 * fleet of 1,000 over 200 attempts a second instead of 2,000 in the first half second, and most
 * first attempts land after the control plane is back instead of failing and backing off.
 */
export const RECONNECT_SPREAD_MS = 5000;

export function reconnectDelay(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(30_000, Math.max(RECONNECT_SPREAD_MS, 500 * 2 ** Math.min(attempt, 30)));
  return Math.floor(random() * ceiling);
}
