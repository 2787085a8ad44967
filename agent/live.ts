import { watch, type FSWatcher } from "node:fs";
import { networkInterfaces } from "node:os";
import { isIp } from "../shared/net.ts";
import { basename, dirname, join } from "node:path";
import type { WireBundle } from "../shared/bundle-schema.ts";
import type { DriftPolicy, ProbeResult, Target } from "../shared/live.ts";
import type { ClientMessage, ServerMessage } from "../shared/protocol.ts";
import { acceptBundle } from "./accept.ts";
import { readSavedBundle } from "./saved-bundle.ts";
import { specWith } from "../shared/kinds/registry.ts";
import type { ApplyContext } from "./apply.ts";
import { resolveTarget } from "./files.ts";
import { readOrNull, writeAtomic } from "./fs-atomic.ts";
import type { Log } from "./log.ts";
import type { AgentMetrics } from "./metrics.ts";
import { planApply } from "./plan.ts";
import type { X509Certificate } from "node:crypto";
import type { CertSeen } from "../shared/tls.ts";
import { kubeconfigCA, pemCertificates, servedCert } from "./certs.ts";
import { probeAll, probeUrl } from "./probes.ts";
import { ReadyzChecker } from "./readyz.ts";

const DRIFT_EVERY_MS = 30_000;
const HEARTBEAT_MS = 60_000;

type Report = Extract<ClientMessage, { type: "report" }>;
type TargetsFrame = Extract<ServerMessage, { type: "targets" }>;

/** The VIP this host's keepalived holds or backs up, from the last bundle applied; null if none. */
function vipOf(stateDir: string): string | null {
  const wire = readSavedBundle(stateDir);
  if (wire === null) return null;
  const vip = (specWith(wire.artifacts, "holdsVip")?.spec as { vip?: unknown } | undefined)?.vip;
  return typeof vip === "string" ? vip : null;
}

/** At most this many probe targets are taken from the hub. */
export const MAX_PROBE_TARGETS = 64;

/** Every IP literal a bundle's specs name (backends, members, the VIP, URLs' hosts). */
export function bundleAddresses(wire: WireBundle | null): Set<string> {
  const out = new Set<string>();
  const visit = (v: unknown): void => {
    if (typeof v === "string") {
      // A literal, `ip:port`, `[v6]:port` or `scheme://host:port`.
      const hp = /^(?:[a-z]+:\/\/)?(?:\[([0-9a-f:.]+)\]|([0-9.]+)):\d+$/i.exec(v);
      const host = hp ? (hp[1] ?? hp[2] ?? "") : v;
      if (isIp(host)) out.add(host);
    } else if (Array.isArray(v)) v.forEach(visit);
    else if (typeof v === "object" && v !== null) Object.values(v).forEach(visit);
  };
  for (const a of (wire?.artifacts ?? []) as Array<{ spec?: unknown }>) visit(a.spec);
  return out;
}

/**
 * The hub's probe targets this node accepts: only addresses its own applied bundle names, at
 * most MAX_PROBE_TARGETS. A compromised control plane cannot turn the fleet into a scanner of
 * anything else.
 */
export function allowedTargets(targets: Target[], wire: WireBundle | null): Target[] {
  const known = bundleAddresses(wire);
  return targets
    .filter((t) =>
      known.has(t.address.slice(0, t.address.lastIndexOf(":")).replace(/^\[|\]$/g, "")),
    )
    .slice(0, MAX_PROBE_TARGETS);
}

/**
 * The managed kinds whose files differ from what was applied: the last bundle is planned
 * again against the files as they are now, and every kind it would rewrite has drifted. Lines
 * outside a managed block (hosts) never count, because the plan only touches the block.
 */
export function driftedKinds(ctx: ApplyContext): string[] {
  const saved = readSavedBundle(ctx.stateDir);
  if (saved === null) return [];
  const accepted = acceptBundle(saved, (k) => k in ctx.config.artifacts, ctx.adjust);
  if (!accepted.ok) return [];
  const b = accepted.value.bundle;
  const plan = planApply(
    b,
    ctx.config,
    b.artifacts.map((a) => a.kind),
    { read: readOrNull, target: (p) => resolveTarget(ctx.root, p) },
  );
  return [...new Set(plan.files.map((f) => f.kind))].sort();
}

/**
 * What this node experiences, reported to the hub: every probe target each interval, its own
 * apiserver path, and drift of its managed files (healed or only reported, per the cluster's
 * policy). Reports go out when something changes and at least every minute.
 */
export class LiveView {
  private targets: Target[] = [];
  /** what the hub asked for, before this node's own limits */
  private offered: Target[] = [];
  private apiserver: string | null = null;
  private intervalMs = 10_000;
  private driftPolicy: DriftPolicy = "heal";
  private last: string | null = null;
  private lastSentAt = 0;
  private lastDrift: string[] = [];
  private probeTimer: ReturnType<typeof setInterval> | null = null;
  private readonly timers: Array<ReturnType<typeof setInterval>> = [];
  private watchers: FSWatcher[] = [];
  private results: Record<string, ProbeResult> = {};
  private probedAt = 0;
  private soonProbe: ReturnType<typeof setTimeout> | null = null;
  private appliedAt = 0;
  private own: ProbeResult | null = null;
  private checking = false;
  /** the protocol the hub chose; `vip` reports need 3 */
  private hubProtocol = 1;
  private lastVip: boolean | null = null;
  private pendingCheck: ReturnType<typeof setTimeout> | null = null;
  private readonly readyz: ReadyzChecker;
  private kubeconfigCAKey: string | null = null;
  /** on a master: its apiserver's serving certificate, read from disk */
  private served: CertSeen | null = null;
  /** drained masters: probed without keeping a connection open to them */
  private drained: string[] = [];

  constructor(
    private readonly ctx: ApplyContext,
    private readonly io: {
      send: (r: Report) => void;
      heal: () => Promise<boolean>;
      busy: () => boolean;
      log: Log;
      metrics: AgentMetrics;
      apiserverCA?: string | null;
      /** the node's kept-alive readiness checker, shared with the pre-swap check */
      readyz?: ReadyzChecker;
    },
  ) {
    this.readyz = io.readyz ?? new ReadyzChecker(io.apiserverCA ?? null, 1000, true);
  }

  start(): void {
    this.timers.push(setInterval(() => void this.checkDrift(), DRIFT_EVERY_MS));
    this.timers.push(setInterval(() => this.heartbeat(), HEARTBEAT_MS / 4));
    this.watchFiles();
  }

  stop(): void {
    for (const t of this.timers) clearInterval(t);
    if (this.probeTimer) clearInterval(this.probeTimer);
    if (this.pendingCheck) clearTimeout(this.pendingCheck);
    if (this.soonProbe) clearTimeout(this.soonProbe);
    for (const w of this.watchers) w.close();
    this.readyz.close();
  }

  /** The protocol the hub chose in welcome (a new connection: what it knew is news again). */
  protocol(n: number): void {
    this.hubProtocol = n;
    this.lastVip = null;
  }

  /** The hub's targets frame: what to probe, how often, what to do about drift. */
  update(frame: TargetsFrame): void {
    if (frame.driftPolicy !== this.driftPolicy || frame.intervalSeconds * 1000 !== this.intervalMs)
      this.io.log(
        `probing ${frame.targets.length} target(s) every ${frame.intervalSeconds} s; drift policy ${frame.driftPolicy}`,
      );
    this.offered = frame.targets;
    this.pickTargets();
    this.drained = frame.drained ?? [];
    for (const t of this.targets)
      if (t.kind === "apiserver" && this.drained.includes(t.host ?? ""))
        this.readyz.forget(t.address);
    this.apiserver = frame.apiserver;
    // A new policy applies to the drift there is now, not only to the next.
    if (frame.driftPolicy !== this.driftPolicy) this.scheduleCheck();
    this.driftPolicy = frame.driftPolicy;
    if (this.intervalMs !== frame.intervalSeconds * 1000 || this.probeTimer === null) {
      this.intervalMs = frame.intervalSeconds * 1000;
      if (this.probeTimer) clearInterval(this.probeTimer);
      this.probeTimer = setInterval(() => void this.probe(), this.intervalMs);
    }
    // Soon, not at once: a targets frame comes with a fleet-wide change, when the node is busy
    // applying it (and so is every other node on the same machine or masters).
    if (this.soonProbe) clearTimeout(this.soonProbe);
    this.soonProbe = setTimeout(() => void this.probe(), 200 + Math.random() * 800);
  }

  /** The hub's targets that name addresses of the applied bundle (it may change them). */
  private pickTargets(): void {
    const before = this.targets.length;
    this.targets = allowedTargets(this.offered, readSavedBundle(this.ctx.stateDir));
    if (this.targets.length < this.offered.length && this.targets.length !== before)
      this.io.log(
        `probing ${this.targets.length} of ${this.offered.length} target(s): the rest are not addresses this node's config names`,
      );
  }

  /**
   * What this node's last probes said of an apiserver at `address` (`ip:port`), if they are
   * recent (two probe intervals): the pre-swap check need not ask it again.
   */
  recent(address: string): ProbeResult | null {
    if (Date.now() - this.probedAt > 2 * this.intervalMs) return null;
    return this.results[`apiserver:${address}`] ?? null;
  }

  /** A bundle was just applied: the files it manages may have moved, and drift is gone. */
  applied(): void {
    this.pickTargets();
    this.watchFiles();
    // Our own writes are not drift: the check after them can wait until the apply is over.
    this.appliedAt = Date.now();
    this.scheduleCheck();
  }

  private async probe(): Promise<void> {
    const timeout = Math.min(5000, Math.max(1000, this.intervalMs - 500));
    const known = this.knownCAs();
    const [results, own] = await Promise.all([
      probeAll(this.targets, this.ctx.root, timeout, this.readyz, this.drained),
      this.apiserver
        ? probeUrl(this.apiserver, timeout, this.ctx.root, known)
        : Promise.resolve(null),
    ]);
    this.results = results;
    this.probedAt = Date.now();
    this.own = own;
    this.served = servedCert(this.ctx.root, this.ctx.config.apiserverCert, known);
    this.io.metrics.upstream = Object.fromEntries(
      Object.entries(results).map(([id, r]) => [id, { up: r.ok, seconds: r.ms / 1000 }]),
    );
    // Only reachability, readiness or certificate changes are news; latency alone waits for
    // the heartbeat.
    const shape = JSON.stringify([
      Object.entries(results).map(([id, r]) => [id, r.ok, r.status ?? null, r.cert?.fingerprint]),
      own?.ok ?? null,
      own?.cert?.fingerprint,
      this.served?.fingerprint,
    ]);
    if (shape !== this.last) this.sendProbes(shape);
    this.reportVip();
  }

  /**
   * The CAs this node holds (the config's `apiserverCA`, the CA in the kubeconfigs it manages):
   * a presented certificate one of them signed is reported with that CA's fingerprint.
   */
  private knownCAs(): X509Certificate[] {
    const kc = this.ctx.config.artifacts.kubeconfig?.paths ?? [];
    const pems = kc.map((p) => {
      try {
        return kubeconfigCA(readOrNull(resolveTarget(this.ctx.root, p)));
      } catch {
        return null;
      }
    });
    const key = pems.join("|");
    if (key !== this.kubeconfigCAKey) {
      this.kubeconfigCAKey = key;
      this.readyz.knownCAs = [
        ...pemCertificates(this.io.apiserverCA ?? null),
        ...pems.flatMap((p) => pemCertificates(p)),
      ];
    }
    return this.readyz.knownCAs;
  }

  /** On an lb host running keepalived: whether the VIP is on one of this host's interfaces. */
  private reportVip(): void {
    if (this.hubProtocol < 3) return;
    const vip = vipOf(this.ctx.stateDir);
    if (vip === null) return;
    const held = Object.values(networkInterfaces()).some((addrs) =>
      (addrs ?? []).some((a) => a.address === vip),
    );
    if (held === this.lastVip) return;
    this.lastVip = held;
    this.io.log(held ? `this host holds the VIP ${vip}` : `the VIP ${vip} is not on this host`);
    this.io.send({ type: "report", vip: { held } });
  }

  private sendProbes(shape: string): void {
    if (!this.own) return;
    this.last = shape;
    this.lastSentAt = Date.now();
    this.io.send({
      type: "report",
      probes: this.probesFrame(this.own),
      ...(this.served && this.hubProtocol >= 5 ? { served: this.served } : {}),
    });
  }

  /** Probe results as this hub reads them: readiness fields only from protocol 4. */
  private probesFrame(own: ProbeResult): {
    results: Record<string, ProbeResult>;
    apiserver: ProbeResult;
  } {
    const strip = (r: ProbeResult): ProbeResult => {
      if (this.hubProtocol >= 5) return r;
      const { cert: _cert, ...v4 } = r;
      return this.hubProtocol >= 4
        ? v4
        : { ok: r.ok, ms: r.ms, ...(r.error ? { error: r.error } : {}) };
    };
    return {
      results: Object.fromEntries(Object.entries(this.results).map(([id, r]) => [id, strip(r)])),
      apiserver: strip(own),
    };
  }

  private heartbeat(): void {
    if (Date.now() - this.lastSentAt < HEARTBEAT_MS) return;
    this.lastSentAt = Date.now();
    this.io.send(
      this.own ? { type: "report", probes: this.probesFrame(this.own) } : { type: "report" },
    );
  }

  /** A drift check soon: 300 ms after a change to a managed file, 2 s after this node's own apply. */
  private scheduleCheck(): void {
    if (this.pendingCheck) clearTimeout(this.pendingCheck);
    const after = Math.max(300, this.appliedAt + 2000 - Date.now());
    this.pendingCheck = setTimeout(() => void this.checkDrift(), after);
  }

  /** Re-hashes the managed files; drift is healed through a full apply or only reported. */
  async checkDrift(): Promise<void> {
    if (this.checking || this.io.busy()) return;
    this.checking = true;
    try {
      const kinds = driftedKinds(this.ctx);
      this.io.metrics.drift = Object.fromEntries(
        Object.keys(this.ctx.config.artifacts).map((k) => [k, kinds.includes(k) ? 1 : 0]),
      );
      if (kinds.length === 0) {
        if (this.lastDrift.length > 0)
          this.io.send({ type: "report", drift: { kinds: [], healed: false } });
        this.lastDrift = [];
        return;
      }
      if (this.driftPolicy === "heal") {
        this.io.log(`drift in ${kinds.join(", ")}: applying the last bundle again`, {
          event: "drift",
          kinds,
        });
        const healed = await this.io.heal();
        this.io.send({ type: "report", drift: { kinds, healed } });
        this.lastDrift = healed ? [] : kinds;
        if (healed) for (const k of kinds) this.io.metrics.drift[k] = 0;
        return;
      }
      if (kinds.join(",") !== this.lastDrift.join(",")) {
        this.io.log(`drift in ${kinds.join(", ")}: reported, left as it is (driftPolicy report)`, {
          event: "drift",
          kinds,
        });
        this.io.send({ type: "report", drift: { kinds, healed: false } });
      }
      this.lastDrift = kinds;
    } catch (e) {
      this.io.log(`drift check failed: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      this.checking = false;
    }
  }

  /** Watches the directories of the managed files: a change there triggers a drift check. */
  private watchFiles(): void {
    for (const w of this.watchers) w.close();
    this.watchers = [];
    const byDir = new Map<string, Set<string>>();
    for (const kc of Object.values(this.ctx.config.artifacts))
      for (const p of kc.paths) {
        try {
          const target = resolveTarget(this.ctx.root, p);
          const names = byDir.get(dirname(target)) ?? new Set<string>();
          names.add(basename(target));
          byDir.set(dirname(target), names);
        } catch {
          // A path that cannot be resolved now is checked on the timer.
        }
      }
    for (const [dir, names] of byDir) {
      try {
        const w = watch(dir, (_event, file) => {
          if (file === null || names.has(String(file))) this.scheduleCheck();
        });
        w.on("error", () => w.close());
        this.watchers.push(w);
      } catch {
        // A directory that does not exist yet is checked on the timer.
      }
    }
  }
}
