import type { NodePatch } from "./node-updates.ts";

/** The tag of operators' event sockets (a colon is in no host name, so no agent shares it). */
export const EVENTS_TAG = "halo:events";

export function isWatcher(ws: WebSocket): boolean {
  return (ws.deserializeAttachment() as { kind?: string } | null)?.kind === "events";
}

/** Sends an event to every watcher; a watcher that cannot take it is dropped, never the hub. */
export function broadcast(watchers: WebSocket[], frame: Record<string, unknown>): void {
  if (watchers.length === 0) return;
  const text = JSON.stringify(frame);
  for (const ws of watchers) {
    try {
      ws.send(text);
    } catch {
      ws.close(1013, "too slow: events dropped");
    }
  }
}

/**
 * `ejection` frames: one per master that a node's LB took out (`ejected: true`) or put back,
 * between the names it reported before and now.
 */
export function ejectionEvents(
  host: string,
  before: readonly string[],
  now: readonly string[],
): Array<Record<string, unknown>> {
  const at = new Date().toISOString();
  return [
    ...now.filter((m) => !before.includes(m)).map((master) => ({ master, ejected: true })),
    ...before.filter((m) => !now.includes(m)).map((master) => ({ master, ejected: false })),
  ].map((e) => ({ type: "ejection", at, host, ...e }));
}

/**
 * The event frames a node update makes: `node` (status, connection, versions), `probe` (what
 * the node's probes see) and `drift`. A heartbeat that changes nothing else makes none.
 */
export function eventsOf(host: string, p: NodePatch): Array<Record<string, unknown>> {
  const at = new Date().toISOString();
  const out: Array<Record<string, unknown>> = [];
  const {
    probes,
    probedAt: _p,
    apiserverOk,
    apiserverMs,
    drift,
    lastDrift,
    lastSeen: _s,
    ejected: _e,
    lb: _lb,
    ...rest
  } = p;
  if (
    Object.keys(rest).some((k) => k !== "connected") ||
    (rest.connected !== undefined && probes === undefined && drift === undefined)
  )
    out.push({ type: "node", at, host, ...rest });
  if (probes !== undefined)
    out.push({
      type: "probe",
      at,
      host,
      apiserver: { ok: apiserverOk ?? null, ms: apiserverMs ?? null },
      results: probes,
    });
  if (lastDrift !== undefined) out.push({ type: "drift", at, host, ...lastDrift });
  else if (drift !== undefined && drift.length === 0)
    out.push({ type: "drift", at, host, kinds: [], healed: false });
  return out;
}
