import { expect, it } from "vitest";
import { backoffDelay, reconnectDelay, RECONNECT_SPREAD_MS } from "../../agent/backoff.ts";

const top = () => 0.999_999;

it("reconnects from a window of at least 5 s, growing exponentially to 30 s", () => {
  const windows = [0, 1, 2, 3, 4, 5, 6, 10].map((a) => reconnectDelay(a, top) + 1);
  expect(windows).toEqual([5000, 5000, 5000, 5000, 8000, 16000, 30000, 30000]);
  expect(reconnectDelay(0, () => 0)).toBe(0);
});

it("spreads a fleet dropped at once: 1,000 agents' first attempts over the whole window", () => {
  const delays = Array.from({ length: 1000 }, () => reconnectDelay(0));
  const perSecond = new Map<number, number>();
  for (const d of delays)
    perSecond.set(Math.floor(d / 1000), (perSecond.get(Math.floor(d / 1000)) ?? 0) + 1);
  expect(perSecond.size).toBe(RECONNECT_SPREAD_MS / 1000);
  // Uniform over 5 s: about 200 a second; nowhere near all of them in one.
  expect(Math.max(...perSecond.values())).toBeLessThan(320);
});

it("keeps the short backoff for join retries", () => {
  expect(backoffDelay(0, top) + 1).toBe(500);
  expect(backoffDelay(3, top) + 1).toBe(4000);
});
