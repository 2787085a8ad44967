import * as z from "zod/mini";
import { hostPort } from "./net.ts";
import { HostName } from "./names.ts";
import { CertSeenSchema } from "./tls.ts";

/** What an agent probes: the masters' apiservers (TCP + TLS), its etcd endpoints (TCP), the LB name. */
export const TargetKind = z.enum(["apiserver", "etcd", "lb-name"]);
export type TargetKind = z.infer<typeof TargetKind>;

const Address = z
  .string()
  .check(z.regex(/^(?:\[[0-9a-f:.]+\]|[0-9.]+):\d{1,5}$/, "must be ip:port"));

/** One probe target; `id` is `<kind>:<address>`, stable across nodes and versions. */
export const TargetSchema = z.strictObject({
  id: z.string().check(z.maxLength(300)),
  kind: TargetKind,
  /** the master's name, or the LB name that must resolve to the address */
  host: z.optional(HostName),
  address: Address,
});
export type Target = z.infer<typeof TargetSchema>;

/**
 * An apiserver's readiness as its `/readyz` says: 200 is ready; 401/403 is alive with
 * readiness unknown (anonymous auth off), still routed; anything else is not ready.
 */
export const Readiness = z.enum(["ready", "unknown", "not-ready"]);
export type Readiness = z.infer<typeof Readiness>;

/** The readiness an HTTP status from `/readyz` means. */
export function readinessOf(status: number): Readiness {
  if (status === 200) return "ready";
  if (status === 401 || status === 403) return "unknown";
  return "not-ready";
}

/**
 * A probe's outcome as agents report it. `ok` is "traffic may go there": for an apiserver,
 * ready or unknown; `status` and `readiness` say which (protocol 4); `cert` what it presented
 * (protocol 5).
 */
export const ProbeResultSchema = z.strictObject({
  ok: z.boolean(),
  ms: z.number().check(z.gte(0), z.lte(3_600_000)),
  error: z.optional(z.string().check(z.maxLength(300))),
  status: z.optional(z.int().check(z.gte(100), z.lte(599))),
  readiness: z.optional(Readiness),
  /** the certificate the server presented in the TLS handshake (protocol 5) */
  cert: z.optional(CertSeenSchema),
});
export type ProbeResult = z.infer<typeof ProbeResultSchema>;

export const DRIFT_POLICIES = ["heal", "report"] as const;
export const DriftPolicy = z.enum(DRIFT_POLICIES);
export type DriftPolicy = z.infer<typeof DriftPolicy>;

/** Per cluster: how often agents probe, and what they do about drift (the API's schema is `LivePolicySchema`). */
export interface LivePolicy {
  probeIntervalSeconds: number;
  driftPolicy: DriftPolicy;
  /** nginx nodes' readiness checks of each backend, seconds at steady state */
  checkIntervalSeconds: number;
  /** a master certificate expiring within this many days is a warning */
  certWarningDays: number;
}
export const DEFAULT_LIVE_POLICY: LivePolicy = {
  probeIntervalSeconds: 10,
  driftPolicy: "heal",
  checkIntervalSeconds: 2,
  certWarningDays: 30,
};

export const target = (kind: TargetKind, address: string, host?: string): Target => ({
  id: `${kind}:${address}`,
  kind,
  ...(host !== undefined ? { host } : {}),
  address,
});

/** `scheme://host:port` to `host:port` (with IPv6 brackets kept), or null for a name. */
function literalHostPort(url: string): string | null {
  const m = /^[a-z]+:\/\/(\[[0-9a-f:.]+\]|[0-9.]+):(\d+)$/.exec(url);
  return m ? `${m[1]}:${m[2]}` : null;
}

/**
 * A node's probe targets: every master's aip:sp, each of its etcd endpoints, and with an
 * external LB the LB name (which must resolve to the VIP). Pure: computed with the bundle, but
 * not part of its hash, so a master change does not cost a fleet-wide rollout.
 */
export function probeTargets(input: {
  masters: Array<{ name: string; address: string; port: number }>;
  etcd: string[];
  externalLb: { address: string; port: number; name: string } | null;
}): Target[] {
  const out: Target[] = input.masters.map((m) =>
    target("apiserver", hostPort(m.address, m.port), m.name),
  );
  for (const url of input.etcd) {
    const hp = literalHostPort(url);
    if (hp) out.push(target("etcd", hp));
  }
  const lb = input.externalLb;
  if (lb && lb.name !== lb.address)
    out.push(target("lb-name", hostPort(lb.address, lb.port), lb.name));
  const seen = new Set<string>();
  return out.filter((t) => !seen.has(t.id) && seen.add(t.id));
}
