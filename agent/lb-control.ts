import type { WireBundle } from "../shared/bundle-schema.ts";
import { withDown } from "../shared/drain.ts";
import type { ProbeResult } from "../shared/live.ts";
import type { ClientMessage } from "../shared/protocol.ts";
import { CHECK_EVERY_MS } from "../shared/ejection.ts";
import { NginxFailover, type Ejection } from "./failover.ts";
import { readOrNull } from "./fs-atomic.ts";
import { readSavedBundle } from "./saved-bundle.ts";
import type { Log } from "./log.ts";
import type { AgentMetrics } from "./metrics.ts";
import { lbBackendsByName, preswapCheck } from "./preswap.ts";
import { ReadyzChecker } from "./readyz.ts";
import { countEstablished } from "./tcp-count.ts";

type Report = Extract<ClientMessage, { type: "report" }>;

/**
 * What this node does about its own load balancer beyond applying bundles: the nginx
 * backends it takes out after failed readiness checks, the masters the control plane drains,
 * the spec it renders with both (`adjust`), the pre-swap check of a bundle that moves its
 * backends, and the reports of each (ejections; a drain's applied state and connections).
 */
export class LbControl {
  private readonly failover: NginxFailover | null;
  private readonly preswap: ReadyzChecker;
  /** masters the control plane drains (from the targets frame) */
  private drained: string[] = [];
  /** the drains in the files this node last installed */
  private appliedDrains: string[] = [];
  private lastLbReport = "";

  constructor(
    private readonly io: {
      /** an nginx node (its agent checks backends itself) */
      checks: boolean;
      apiserverCA: string | null;
      /**
       * the node's kept-alive readiness checker (the live view's): a pre-swap check of the
       * backends costs no new handshake for those it already checks
       */
      readyz: ReadyzChecker;
      /** the live view's recent result for a master's `ip:port`, if any */
      recent?: (address: string) => ProbeResult | null;
      /** apply the last bundle again, rendered with the current ejections and drains */
      reapply: () => void;
      send: (r: Report) => void;
      hubProtocol: () => number;
      stateDir: string;
      log: Log;
      metrics: AgentMetrics;
    },
  ) {
    this.preswap = io.readyz;
    this.failover = io.checks
      ? // Its own connections: a check must never queue behind a live probe of a hung master.
        new NginxFailover(new ReadyzChecker(io.apiserverCA), {
          changed: (ejected) => this.ejectionsChanged(ejected),
          log: io.log,
        })
      : null;
  }

  /** The spec this node renders for a kind: drained and ejected backends marked down. */
  adjust(kind: string, spec: unknown): unknown {
    return withDown(
      kind,
      spec as Parameters<typeof withDown>[1],
      this.drained,
      this.failover?.ejected() ?? [],
    );
  }

  /** A bundle was applied (or found applied at start): its backends are what gets checked. */
  applied(wire: WireBundle): void {
    this.appliedDrains = [...this.drained];
    this.failover?.use(wire);
  }

  /** The hub's targets frame: its drains and the check interval. */
  targets(drained: string[], checkIntervalSeconds: number | undefined): void {
    // Left out of the frame: the default.
    this.failover?.setInterval(checkIntervalSeconds ?? CHECK_EVERY_MS / 1000);
    const next = [...drained].sort();
    if (next.join() === this.drained.join()) return;
    this.drained = next;
    this.io.log(
      next.length > 0
        ? `draining ${next.join(", ")}: no new connection to them`
        : "no master is drained",
    );
    this.failover?.setDrained(next);
    this.io.reapply();
  }

  /** A (new) connection to the hub: what it should know again. */
  connected(): void {
    if (this.failover && this.failover.ejected().length > 0)
      this.sendEjections(this.failover.ejections());
  }

  /** Why a bundle must not move this node's LB (none of its new backends is ready), or null. */
  refuse(next: WireBundle): Promise<string | null> {
    return preswapCheck(
      next,
      readSavedBundle(this.io.stateDir),
      // Over the live view's kept-alive connections: a new backend's is kept too, since it
      // becomes a probe target once applied (and is closed by the next drain or stop).
      // A backend the live view probed recently is not asked again.
      async (a) => this.io.recent?.(a) ?? this.preswap.check(a, true),
    );
  }

  /**
   * While masters are drained: the drains this node's LB has applied and its established
   * connections to each, from /proc/net/tcp; sent when they change (called every second).
   */
  report(): void {
    if (this.io.hubProtocol() < 4 || (this.drained.length === 0 && this.lastLbReport === ""))
      return;
    const byName = lbBackendsByName(readSavedBundle(this.io.stateDir));
    const counts = countEstablished([...byName.values()]);
    const connections = Object.fromEntries(
      this.drained.filter((m) => byName.has(m)).map((m) => [m, counts[byName.get(m) ?? ""] ?? 0]),
    );
    const lb = { drained: this.appliedDrains, connections };
    const key = JSON.stringify(lb);
    if (key === this.lastLbReport) return;
    this.lastLbReport = this.drained.length === 0 ? "" : key;
    this.io.send({ type: "report", lb });
  }

  stop(): void {
    this.failover?.stop();
    this.preswap.close();
  }

  /** The backends this node takes out changed: render and reload again, and say so. */
  private ejectionsChanged(ejected: Ejection[]): void {
    const names = new Set(ejected.map((e) => e.master));
    for (const m of Object.keys(this.io.metrics.ejected)) this.io.metrics.ejected[m] = 0;
    for (const m of names) this.io.metrics.ejected[m] = 1;
    this.io.reapply();
    this.sendEjections(ejected);
  }

  private sendEjections(ejected: Ejection[]): void {
    if (this.io.hubProtocol() >= 4) this.io.send({ type: "report", ejected });
  }
}
