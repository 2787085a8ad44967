import { kindsWith } from "../shared/kinds/registry.ts";
import type { WireBundle } from "../shared/bundle-schema.ts";
import {
  parseFrame,
  PING,
  PROTOCOL_MIN,
  PROTOCOL_VERSION,
  SERVER_TYPES,
  ServerMessage,
  type ClientMessage,
} from "../shared/protocol.ts";
import { readOrNull } from "./fs-atomic.ts";
import { LiveView } from "./live.ts";
import { readSavedBundle, saveAppliedBundle } from "./saved-bundle.ts";
import { saveLastResult } from "./last-result.ts";
import type { AgentMetrics } from "./metrics.ts";
import { acceptBundle } from "./accept.ts";
import { kubeconfigPreflight } from "./kubeconfig-preflight.ts";
import { ReadyzChecker } from "./readyz.ts";
import { AGENT_VERSION } from "./version.ts";
import { applyBundle, readApplied, type ApplyContext, type ApplyOutcome } from "./apply.ts";
import { reconnectDelay } from "./backoff.ts";
import type { Credential } from "./credential.ts";
import { fetchConfig } from "./http.ts";
import { LbControl } from "./lb-control.ts";

export const EXIT = { ok: 0, failed: 1, usage: 2, revoked: 3, timeout: 4 } as const;

const PING_MS = 30_000;
const DEAD_MS = 90_000;

import type { Log } from "./log.ts";

/**
 * The agent's life: a WebSocket to the hub (hello, config, ack), one apply at a time (the
 * newest bundle wins), reconnects with capped exponential backoff and full jitter, and HTTP
 * polling while the socket is down. The last good config keeps serving throughout.
 */
export class AgentLoop {
  private ws: WebSocket | null = null;
  private attempt = 0;
  private applying = false;
  private pending: {
    bundle: WireBundle;
    ack: boolean;
    done?: (ok: boolean) => void;
  } | null = null;
  private readonly live: LiveView;
  /** this node's LB: its own readiness checks (nginx), drains, the pre-swap check */
  private readonly lb: LbControl;
  private hubProtocol = 1;
  private lastHeard = Date.now();
  private stopped = false;
  private finish: (code: number) => void = () => {};
  private timers: Array<ReturnType<typeof setTimeout>> = [];

  constructor(
    private readonly cred: Credential,
    private readonly ctx: ApplyContext,
    private readonly opts: {
      once: boolean;
      log: Log;
      pollIntervalMs: number;
      /** with `once`: give up after this long without a bundle or a `current` */
      timeoutMs?: number;
      metrics: AgentMetrics;
      /** the cluster CA (PEM) to verify apiservers' certificates against in readiness checks */
      apiserverCA?: string | null;
    },
  ) {
    // One kept-alive readiness checker for the live view's probes and the pre-swap check.
    const readyz = new ReadyzChecker(opts.apiserverCA ?? null, 1000, true);
    this.lb = new LbControl({
      checks: !opts.once && kindsWith("balancer", "agent").some((k) => k in ctx.config.artifacts),
      apiserverCA: opts.apiserverCA ?? null,
      readyz,
      recent: (a) => this.live.recent(a),
      reapply: () => this.reapply(),
      send: (r) => this.send(r),
      hubProtocol: () => this.hubProtocol,
      stateDir: ctx.stateDir,
      log: opts.log,
      metrics: opts.metrics,
    });
    ctx.adjust = (kind, spec) => this.lb.adjust(kind, spec);
    this.live = new LiveView(ctx, {
      send: (r) => this.send(r),
      heal: () => this.heal(),
      busy: () => this.applying,
      log: opts.log,
      metrics: opts.metrics,
      apiserverCA: opts.apiserverCA ?? null,
      readyz,
    });
  }

  run(): Promise<number> {
    return new Promise((resolve) => {
      this.finish = (code) => {
        if (this.stopped) return;
        this.stopped = true;
        this.timers.forEach(clearTimeout);
        this.live.stop();
        this.lb.stop();
        this.ws?.close(1000, "agent stopping");
        resolve(code);
      };
      this.connect();
      if (!this.opts.once) this.live.start();
      const saved = readSavedBundle(this.ctx.stateDir);
      if (saved !== null) this.lb.applied(saved);
      if (this.opts.once && this.opts.timeoutMs !== undefined)
        this.timers.push(
          setTimeout(() => {
            // An apply under way finishes (and ends the run) on its own: never cut one short.
            if (this.applying) return;
            this.opts.log(
              `no answer from the control plane in ${this.opts.timeoutMs} ms; giving up`,
            );
            this.finish(EXIT.timeout);
          }, this.opts.timeoutMs),
        );
      this.timers.push(setInterval(() => this.keepAlive(), PING_MS));
      if (!this.opts.once) this.timers.push(setInterval(() => this.lb.report(), 1000));
    });
  }

  stop(): void {
    this.finish(EXIT.ok);
  }

  private connect(): void {
    if (this.stopped) return;
    const url = new URL("/v1/agent/connect", this.cred.server);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    // Bun's WebSocket takes headers: the node credential travels as a bearer token, never in the URL.
    const ws = new WebSocket(url.toString(), {
      headers: { authorization: `Bearer ${this.cred.nodeToken}` },
    });
    this.ws = ws;
    ws.addEventListener("open", () => {
      this.attempt = 0;
      this.lastHeard = Date.now();
      const applied = readApplied(this.ctx.stateDir);
      this.send({
        type: "hello",
        protocol: PROTOCOL_VERSION,
        protocolMin: PROTOCOL_MIN,
        host: this.cred.host,
        applied: applied && { version: applied.version, hash: applied.hash },
        agent: AGENT_VERSION,
      });
      this.opts.metrics.connected = true;
      this.opts.log("connected", { event: "connected" });
    });
    ws.addEventListener("message", (e) => this.onMessage(e.data as string | ArrayBuffer));
    ws.addEventListener("close", (e) => this.onClose(ws, e.code, e.reason));
    ws.addEventListener("error", () => {});
  }

  private onMessage(data: string | ArrayBuffer): void {
    this.lastHeard = Date.now();
    if (data === "pong") return;
    const frame = parseFrame(ServerMessage, data, SERVER_TYPES);
    // A newer hub's optional frame: nothing this agent needs.
    if (!frame.ok && frame.unknown) return;
    if (!frame.ok) return this.opts.log(`ignoring a bad frame from the hub: ${frame.error}`);
    const msg = frame.value;
    switch (msg.type) {
      case "config":
        this.enqueue(msg.bundle, true);
        break;
      case "current":
        if (this.opts.once && !this.applying) this.finish(EXIT.ok);
        break;
      case "error":
        this.opts.log(`hub error ${msg.code}: ${msg.message}`);
        break;
      case "welcome":
        this.hubProtocol = msg.protocol;
        this.live.protocol(msg.protocol);
        this.lb.connected();
        break;
      case "targets":
        if (!this.opts.once) this.live.update(msg);
        this.lb.targets(msg.drained ?? [], msg.checkIntervalSeconds);
        break;
    }
  }

  private onClose(ws: WebSocket, code: number, reason: string): void {
    if (this.ws !== ws || this.stopped) return;
    this.ws = null;
    this.opts.metrics.connected = false;
    if (code === 4001) {
      this.opts.log(
        "the control plane revoked this node's credential; run `halo-agent join` again",
        { event: "revoked", error: "credential revoked" },
      );
      return this.finish(EXIT.revoked);
    }
    const delay = reconnectDelay(this.attempt++);
    this.opts.log(
      `disconnected (${code}${reason ? ` ${reason}` : ""}); reconnecting in ${delay} ms`,
      { event: "disconnected" },
    );
    this.timers.push(setTimeout(() => this.connect(), delay));
    if (this.attempt === 3 || this.opts.once) void this.poll();
  }

  /** While the socket is down, polls the HTTP fallback; stops once connected again. */
  private async poll(): Promise<void> {
    if (this.stopped || this.ws?.readyState === WebSocket.OPEN) return;
    const applied = readApplied(this.ctx.stateDir);
    const r = await fetchConfig(this.cred, applied?.hash);
    if (!r.ok && r.error.status === 401) {
      this.opts.log(
        "the control plane refuses this node's credential; run `halo-agent join` again",
      );
      return this.finish(EXIT.revoked);
    }
    if (r.ok && "bundle" in r.value) this.enqueue(r.value.bundle, false);
    else if (r.ok && this.opts.once) return this.finish(EXIT.ok);
    if (!this.stopped)
      this.timers.push(setTimeout(() => void this.poll(), this.opts.pollIntervalMs));
  }

  private keepAlive(): void {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return;
    if (Date.now() - this.lastHeard > DEAD_MS) return ws.close(4002, "no answer to pings");
    ws.send(PING);
  }

  private enqueue(bundle: WireBundle, ack: boolean, done?: (ok: boolean) => void): void {
    // A newer bundle replaces one not started yet; whoever waited on that one hears "not healed".
    this.pending?.done?.(false);
    this.pending = { bundle, ack, done };
    if (!this.applying) void this.drain();
  }

  /** Applies the last applied bundle again (drift healing): the full transaction, no ack. */
  private heal(): Promise<boolean> {
    const saved = readSavedBundle(this.ctx.stateDir);
    if (saved === null) return Promise.resolve(false);
    return new Promise((resolve) => this.enqueue(saved, false, resolve));
  }

  /** Applies the last bundle again (its LB rendering changed), unless one is about to apply. */
  private reapply(): void {
    if (this.pending) return;
    const saved = readSavedBundle(this.ctx.stateDir);
    if (saved !== null) this.enqueue(saved, false);
  }

  /** Applies bundles one at a time, newest wins; nothing that throws can leave it stuck. */
  private async drain(): Promise<void> {
    this.applying = true;
    try {
      while (this.pending) {
        const { bundle, ack, done } = this.pending;
        this.pending = null;
        const t0 = performance.now();
        const r = await this.applyOne(bundle);
        this.opts.metrics.applied(r.outcome.ok, (performance.now() - t0) / 1000, bundle);
        if (r.outcome.ok) {
          saveAppliedBundle(this.ctx.stateDir, bundle);
          this.live.applied();
          this.lb.applied(bundle);
        }
        this.report(bundle, r, ack);
        done?.(r.outcome.ok);
        if (this.opts.once && !this.pending)
          // A close frame goes out after the frames already sent: the ack is not lost.
          return this.finish(r.outcome.ok ? EXIT.ok : EXIT.failed);
      }
    } finally {
      this.applying = false;
    }
  }

  /** Accepts (or refuses) and applies one bundle; every exception becomes a failure with its stage. */
  private async applyOne(wire: WireBundle): Promise<{ outcome: ApplyOutcome; skipped: string[] }> {
    const accepted = acceptBundle(wire, (k) => k in this.ctx.config.artifacts, this.ctx.adjust);
    if (!accepted.ok)
      return {
        outcome: {
          ok: false,
          error: { stage: "protocol", error: accepted.error, rolledBack: false },
        },
        skipped: [],
      };
    const refused = (await this.lb.refuse(wire)) ?? (await kubeconfigPreflight(wire, this.ctx));
    if (refused !== null)
      return {
        outcome: {
          ok: false,
          // Hubs before protocol 4 know no `preflight` stage: the nearest they know is `check`.
          error: {
            stage: this.hubProtocol >= 4 ? "preflight" : "check",
            error: refused,
            rolledBack: false,
          },
        },
        skipped: accepted.value.skipped,
      };
    try {
      return {
        outcome: await applyBundle(accepted.value.bundle, this.ctx),
        skipped: accepted.value.skipped,
      };
    } catch (e) {
      const error = e instanceof Error ? e.message : String(e);
      return {
        outcome: { ok: false, error: { stage: "stage", error, rolledBack: false } },
        skipped: accepted.value.skipped,
      };
    }
  }

  private report(
    bundle: WireBundle,
    r: { outcome: ApplyOutcome; skipped: string[] },
    ack: boolean,
  ): void {
    const { outcome, skipped } = r;
    saveLastResult(this.ctx.stateDir, {
      version: bundle.version,
      ok: outcome.ok,
      at: new Date().toISOString(),
      ...(outcome.ok
        ? {}
        : { stage: outcome.error.stage, error: outcome.error.error.slice(0, 500) }),
    });
    const also = skipped.length > 0 ? `; not managed here: ${skipped.join(", ")}` : "";
    if (outcome.ok) {
      this.opts.log(
        `applied version ${bundle.version} (${outcome.value.changed.join(", ") || "no file changed"}${also})`,
        { event: "applied", version: bundle.version, kinds: outcome.value.changed },
      );
      if (ack)
        this.send({
          type: "applied",
          version: bundle.version,
          hash: bundle.hash,
          ...(skipped.length > 0 ? { skipped } : {}),
        });
      return;
    }
    const f = outcome.error;
    this.opts.log(`version ${bundle.version} failed at ${f.stage}: ${f.error}`, {
      event: "failed",
      version: bundle.version,
      stage: f.stage,
      error: f.error,
    });
    if (ack)
      this.send({
        type: "failed",
        version: bundle.version,
        hash: bundle.hash,
        ...f,
        error: f.error.slice(0, 4000),
      });
  }

  private send(msg: ClientMessage): void {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(msg));
  }
}
