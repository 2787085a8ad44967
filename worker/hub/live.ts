import type { NodePlan } from "../../shared/bundle.ts";
import { canonicalJson } from "../../shared/canonical-json.ts";
import { sha256Hex } from "../../shared/hash.ts";
import {
  DEFAULT_LIVE_POLICY,
  type LivePolicy,
  type ProbeResult,
  type Target,
} from "../../shared/live.ts";
import type { CertSeen } from "../../shared/tls.ts";
import type { ClientMessage, ServerMessage } from "../../shared/protocol.ts";
import type { NodePatch } from "./node-updates.ts";

/** The `targets` frame for one node, and a key that changes exactly when the frame does. */
export function targetsFrame(
  plan: NodePlan,
  policy: LivePolicy,
  drained: string[] = [],
  protocol = 1,
): { frame: Extract<ServerMessage, { type: "targets" }>; key: string } {
  const frame = {
    type: "targets" as const,
    intervalSeconds: policy.probeIntervalSeconds,
    driftPolicy: policy.driftPolicy,
    apiserver: plan.endpoints.apiserver.url,
    targets: plan.targets,
    // Only protocol 4 agents know drains and check intervals; the frame of others stays as it was.
    ...(drained.length > 0 ? { drained } : {}),
    ...(protocol >= 4 && policy.checkIntervalSeconds !== DEFAULT_LIVE_POLICY.checkIntervalSeconds
      ? { checkIntervalSeconds: policy.checkIntervalSeconds }
      : {}),
  };
  return { frame, key: sha256Hex(canonicalJson(frame)) };
}

type Report = Extract<ClientMessage, { type: "report" }>;

/**
 * What a report changes on the node's row (a drift also becomes an audit entry), and the
 * masters' certificates it saw: by its probes of each master, or, on a master, its own
 * serving certificate. Certificates are kept per master, not in the node's probe results.
 */
export function reportPatch(
  r: Report,
  now: number,
  /** the targets the hub sent this node: results for anything else are dropped */
  known: ReadonlyMap<string, Target>,
  host: string,
): {
  patch: NodePatch;
  drift: { kinds: string[]; healed: boolean } | null;
  certs: Array<{ master: string; cert: CertSeen }>;
} {
  const patch: NodePatch = { connected: true, lastSeen: now };
  const certs: Array<{ master: string; cert: CertSeen }> = [];
  if (r.probes) {
    const results: Record<string, ProbeResult> = {};
    for (const [id, { cert, ...result }] of Object.entries(r.probes.results)) {
      const t = known.get(id);
      if (!t) continue;
      results[id] = result;
      if (cert && t.kind === "apiserver" && t.host) certs.push({ master: t.host, cert });
    }
    patch.probes = results;
    patch.probedAt = now;
    patch.apiserverOk = r.probes.apiserver.ok;
    patch.apiserverMs = Math.round(r.probes.apiserver.ms * 10) / 10;
  }
  if (r.vip) patch.vipHeld = r.vip.held;
  if (r.lb) patch.lb = r.lb;
  if (r.ejected)
    patch.ejected = [...r.ejected].sort((a, b) =>
      a.master < b.master ? -1 : a.master > b.master ? 1 : 0,
    );
  let drift: { kinds: string[]; healed: boolean } | null = null;
  if (r.drift) {
    const kinds = [...r.drift.kinds].sort();
    // Healed drift is history, not state: the files are what was applied again.
    patch.drift = r.drift.healed ? [] : kinds;
    if (kinds.length > 0) {
      drift = { kinds, healed: r.drift.healed };
      patch.lastDrift = { at: new Date(now).toISOString(), ...drift };
    }
  }
  // Only a master speaks for its own certificate.
  const isMaster = [...known.values()].some((t) => t.kind === "apiserver" && t.host === host);
  if (r.served && isMaster) certs.push({ master: host, cert: r.served });
  return { patch, drift, certs };
}
