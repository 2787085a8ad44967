import { DurableObject } from "cloudflare:workers";
import { toWire, type NodePlan } from "../../shared/bundle.ts";
import { RENDERER_VERSION } from "../../shared/kinds/registry.ts";
import { DEFAULT_LIVE_POLICY, type LivePolicy } from "../../shared/live.ts";
import {
  CLIENT_TYPES,
  ClientMessage,
  negotiate,
  parseFrame,
  PING,
  PONG,
  PROTOCOL_MIN,
  PROTOCOL_VERSION,
  type ServerMessage,
} from "../../shared/protocol.ts";
import { assertNever } from "../../shared/result.ts";
import type { Env } from "../env.ts";
import { db } from "../db/client.ts";
import { HUB_HEADERS } from "../hub-client.ts";
import { advanceRollout } from "../rollout/advance.ts";
import { auditDrift } from "../db/node-audit.ts";
import { loadDesired } from "../desired-state.ts";
import { CertObservations, certificateEvent } from "./certs.ts";
import { broadcast, EVENTS_TAG, ejectionEvents, eventsOf, isWatcher } from "./events.ts";
import { reportPatch, targetsFrame } from "./live.ts";
import { rememberCluster, rememberedCluster } from "./meta.ts";
import { NodeUpdates, type NodePatch } from "./node-updates.ts";
import { printable } from "../../shared/text.ts";
import {
  driftIsNews,
  needsBundle,
  noteSent,
  takeAck,
  takeReport,
  type SocketState,
} from "./socket-state.ts";

const MAX_BAD_FRAMES = 3;
/**
 * How long node changes wait in the hub before they go to D1 together. Each flush has a cost
 * of its own: at 5,000 acks, 200 ms made every ack visible 0.15 to 0.25 s sooner than 50 ms.
 */
const FLUSH_DELAY_MS = 200;
const ROLLOUT_TICK_MS = 250;

function send(ws: WebSocket, msg: ServerMessage): void {
  if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(msg));
}

/**
 * One per cluster: holds the agents' WebSockets (hibernation API, tagged by host), sends each
 * node the bundle it is missing, and records acks for D1.
 */
export class ClusterHub extends DurableObject<Env> {
  private readonly updates: NodeUpdates;
  private readonly certs: CertObservations;
  private desired: Map<string, NodePlan> | null = null;
  private loading: Promise<void> | null = null;
  private policy: LivePolicy = DEFAULT_LIVE_POLICY;
  /** masters being drained: sent to protocol 4 agents with their targets */
  private drained: string[] = [];
  /** no rollout step before this (ms): steps are throttled, an operator's change is not */
  private rolloutNotBefore = 0;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(PING, PONG));
    this.updates = new NodeUpdates(ctx.storage.sql);
    this.certs = new CertObservations(ctx.storage.sql);
  }

  /** WebSocket upgrades only (an RPC cannot hand over a socket): agents and event watchers. */
  override async fetch(request: Request): Promise<Response> {
    const cluster = request.headers.get(HUB_HEADERS.cluster) ?? "";
    const path = new URL(request.url).pathname;
    if (path === "/connect") return this.acceptAgent(request, cluster);
    if (path === "/events") return this.acceptWatcher(request, cluster);
    return new Response("not found", { status: 404 });
  }

  /**
   * RPC: the desired state changed (a new version, an operator's pause/resume/abort): sends
   * bundles to nodes that differ; with `retry`, also those sent and not applied.
   */
  async notify(cluster: string, opts: { retry?: boolean } = {}): Promise<void> {
    rememberCluster(this.ctx.storage.sql, cluster);
    this.rolloutNotBefore = 0;
    await this.wakeAt(Date.now() + ROLLOUT_TICK_MS);
    await this.load(cluster);
    if (opts.retry === true) this.forgetSent();
    this.dispatchAll();
    // Watchers re-read the rollout.
    this.broadcast({ type: "rollout", at: new Date().toISOString() });
  }

  /** RPC: closes revoked hosts' sockets (4001). */
  revoke(hosts: string[]): void {
    for (const host of hosts)
      for (const ws of this.ctx.getWebSockets(host)) ws.close(4001, "credential revoked");
  }

  /** RPC: the cluster was deleted: every socket closes, their credentials are gone with it. */
  closeAll(): void {
    this.certs.clear();
    for (const ws of this.ctx.getWebSockets()) ws.close(4001, "cluster deleted");
  }

  private acceptAgent(request: Request, cluster: string): Response {
    const host = request.headers.get(HUB_HEADERS.host) ?? "";
    const tokenId = request.headers.get(HUB_HEADERS.tokenId) ?? "";
    rememberCluster(this.ctx.storage.sql, cluster);
    // One agent per host: a reconnect replaces whatever half-open socket is left.
    for (const old of this.ctx.getWebSockets(host)) old.close(4000, "replaced by a new connection");
    const { 0: client, 1: server } = new WebSocketPair();
    this.ctx.acceptWebSocket(server, [host]);
    const state: SocketState = {
      cluster,
      host,
      tokenId,
      helloed: false,
      applied: null,
      sent: null,
      awaiting: [],
      badFrames: 0,
    };
    server.serializeAttachment(state);
    this.record(cluster, host, { connected: true, lastSeen: Date.now() });
    return new Response(null, { status: 101, webSocket: client });
  }

  /** An operator's events socket (dashboard, `halo watch`): it only listens. */
  private acceptWatcher(request: Request, cluster: string): Response {
    rememberCluster(this.ctx.storage.sql, cluster);
    const { 0: client, 1: server } = new WebSocketPair();
    this.ctx.acceptWebSocket(server, [EVENTS_TAG]);
    server.serializeAttachment({ kind: "events" });
    const protocol = request.headers.get(HUB_HEADERS.subprotocol);
    return new Response(null, {
      status: 101,
      webSocket: client,
      headers: protocol ? { "sec-websocket-protocol": protocol } : {},
    });
  }

  private broadcast(frame: Record<string, unknown>): void {
    broadcast(this.ctx.getWebSockets(EVENTS_TAG), frame);
  }

  override async webSocketMessage(ws: WebSocket, data: string | ArrayBuffer): Promise<void> {
    if (isWatcher(ws)) return;
    const state = ws.deserializeAttachment() as SocketState;
    const frame = parseFrame(ClientMessage, data, CLIENT_TYPES);
    // A newer agent's optional frame: ignored, not held against it.
    if (!frame.ok && frame.unknown) return;
    if (!frame.ok) return this.badFrame(ws, state, frame.error);
    const msg = frame.value;
    switch (msg.type) {
      case "hello": {
        const protocol = negotiate(msg);
        if (protocol === null) {
          send(ws, {
            type: "error",
            code: "protocol",
            message: `hub speaks protocols ${PROTOCOL_MIN} to ${PROTOCOL_VERSION}`,
          });
          return ws.close(1008, "unsupported protocol version");
        }
        if (msg.host !== state.host)
          return this.badFrame(ws, state, "host: not this credential's host");
        Object.assign(state, { helloed: true, applied: msg.applied, sent: null, protocol });
        if (protocol >= 2) send(ws, { type: "welcome", protocol });
        // hello carries what the node runs: an apply done offline (HTTP fallback) is not lost.
        this.record(state.cluster, state.host, {
          connected: true,
          lastSeen: Date.now(),
          ...(msg.agent ? { agentVersion: msg.agent } : {}),
          ...(msg.applied
            ? { appliedVersion: msg.applied.version, appliedHash: msg.applied.hash }
            : {}),
        });
        if (!this.desired) await this.loadOnce(state.cluster);
        const desired = this.desired?.get(state.host)?.bundle;
        if (!this.dispatch(ws, state) && desired) {
          send(ws, { type: "current", version: desired.version, hash: desired.hash });
        }
        this.sendTargets(ws, state);
        break;
      }
      case "applied":
        if (!takeAck(state, msg)) return this.unexpectedAck(ws, msg);
        Object.assign(state, { applied: { version: msg.version, hash: msg.hash }, sent: null });
        this.record(state.cluster, state.host, {
          appliedVersion: msg.version,
          appliedHash: msg.hash,
          appliedAt: Date.now(),
          status: "applied",
          lastError: null,
          lastSeen: Date.now(),
        });
        break;
      case "failed":
        if (!takeAck(state, msg)) return this.unexpectedAck(ws, msg);
        this.record(state.cluster, state.host, {
          status: "failed",
          failedHash: msg.hash,
          // A node's words reach operators' terminals: no control characters survive.
          lastError: printable(
            `${msg.stage}: ${msg.error}${msg.rolledBack ? " (rolled back)" : ""}`,
          ),
          lastSeen: Date.now(),
        });
        break;
      case "report": {
        if (!state.helloed) return this.badFrame(ws, state, "type: report before hello");
        const now = Date.now();
        // A node that loops reports loses them: not the hub its time, nor D1 its space.
        if (!takeReport(state, now)) break;
        // Saved before any await: the next frame's handler reads this budget.
        ws.serializeAttachment(state);
        // A hub woken from hibernation has not read the desired state yet.
        if (!this.desired) await this.loadOnce(state.cluster);
        const known = new Map(this.desired?.get(state.host)?.targets.map((t) => [t.id, t]));
        const { patch, drift, certs } = reportPatch(msg, now, known, state.host);
        this.record(state.cluster, state.host, patch);
        for (const c of this.certs.observe(certs, state.host, now))
          this.broadcast(certificateEvent(c.master, c.cert, this.desired));
        if (msg.ejected) {
          const out = msg.ejected.map((e) => e.master);
          for (const e of ejectionEvents(state.host, state.ejected ?? [], out)) this.broadcast(e);
          state.ejected = out;
        }
        const news = drift !== null && driftIsNews(state, drift, now);
        // Saved before the audit's await: the next frame's handler reads this budget.
        ws.serializeAttachment(state);
        if (drift && news) await auditDrift(db(this.env.DB), state, drift);
        break;
      }
      default:
        assertNever(msg);
    }
    ws.serializeAttachment(state);
  }

  override async webSocketClose(ws: WebSocket, code: number): Promise<void> {
    if (isWatcher(ws)) {
      // Complete the closing handshake, so the watcher need not wait for its own timeout.
      try {
        ws.close(code === 1005 ? 1000 : code, "bye");
      } catch {
        // already closed
      }
      return;
    }
    const state = ws.deserializeAttachment() as SocketState;
    const others = this.ctx
      .getWebSockets(state.host)
      .filter((w) => w !== ws && w.readyState === WebSocket.OPEN);
    if (others.length === 0)
      this.record(state.cluster, state.host, { connected: false, lastSeen: Date.now() });
  }

  override async webSocketError(ws: WebSocket): Promise<void> {
    await this.webSocketClose(ws, 1011);
  }

  /**
   * Flushes node updates to D1, then moves the cluster's rollout on (DO alarms drive both). A
   * rollout step reads every node row of the cluster, so it runs at most once per
   * ROLLOUT_TICK_MS however often acks ask for a flush: at 5,000 nodes, stepping on every
   * 50 ms flush took the isolate most of the time the acks needed.
   */
  override async alarm(): Promise<void> {
    const cluster = rememberedCluster(this.ctx.storage.sql);
    try {
      await this.updates.flush(this.env.DB);
      if (cluster !== null) await this.certs.flush(this.env.DB, cluster);
    } catch (e) {
      console.error("hub: writing node updates to D1 failed; retrying", e);
      return this.wakeAt(Date.now() + 1000);
    }
    if (cluster === null) return;
    if (Date.now() < this.rolloutNotBefore) return this.wakeAt(this.rolloutNotBefore);
    this.rolloutNotBefore = Date.now() + ROLLOUT_TICK_MS;
    const step = await advanceRollout(db(this.env.DB), cluster).catch((e: unknown) => {
      console.error("hub: rollout step failed; retrying", e);
      return { next: Date.now() + 1000, changed: false, moved: false };
    });
    if (step.changed) {
      await this.load(cluster);
      this.dispatchAll();
    }
    if (step.moved) this.broadcast({ type: "rollout", at: new Date().toISOString() });
    if (step.next !== null) await this.wakeAt(step.next);
  }

  /** Sets the alarm to `at` unless one is due sooner. */
  private async wakeAt(at: number): Promise<void> {
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > at) await this.ctx.storage.setAlarm(at);
  }

  /** An ack for a bundle this connection was never sent: answered, believed never. */
  private unexpectedAck(ws: WebSocket, msg: { version: number; hash: string }): void {
    send(ws, {
      type: "error",
      code: "unexpected-ack",
      message: `version ${msg.version} (${msg.hash.slice(0, 12)}) was not sent on this connection`,
    });
  }

  private badFrame(ws: WebSocket, state: SocketState, error: string): void {
    state.badFrames++;
    ws.serializeAttachment(state);
    send(ws, { type: "error", code: "bad-frame", message: error });
    if (state.badFrames >= MAX_BAD_FRAMES) ws.close(1008, "too many bad frames");
  }

  /** Sends one socket its bundle if it lacks it; true when something was sent. */
  private dispatch(
    ws: WebSocket,
    state: SocketState,
    encoded = new Map<string, string>(),
  ): boolean {
    const bundle = this.desired?.get(state.host)?.bundle;
    if (ws.readyState !== WebSocket.OPEN || !needsBundle(state, bundle)) return false;
    let text = encoded.get(bundle.hash + bundle.version);
    if (text === undefined) {
      // Data, not files: the node renders each artifact from its spec.
      text = JSON.stringify({
        type: "config",
        bundle: toWire(bundle, RENDERER_VERSION),
      } satisfies ServerMessage);
      encoded.set(bundle.hash + bundle.version, text);
    }
    ws.send(text);
    noteSent(state, bundle);
    ws.serializeAttachment(state);
    return true;
  }

  private forgetSent(): void {
    for (const ws of this.agents()) {
      const state = ws.deserializeAttachment() as SocketState;
      ws.serializeAttachment({ ...state, sent: null });
    }
  }

  private dispatchAll(): void {
    const encoded = new Map<string, string>();
    for (const ws of this.agents()) {
      const state = ws.deserializeAttachment() as SocketState;
      this.dispatch(ws, state, encoded);
      this.sendTargets(ws, state);
    }
  }

  /**
   * The desired state for hellos: thousands of agents reconnecting after a deploy (or a wake
   * from hibernation) share one read instead of each starting its own. Changes (notify, alarm)
   * call load() and always read afresh.
   */
  private loadOnce(cluster: string): Promise<void> {
    this.loading ??= this.load(cluster).finally(() => {
      this.loading = null;
    });
    return this.loading;
  }

  private async load(cluster: string): Promise<void> {
    const { plans, policy, drained } = await loadDesired(this.env.DB, cluster);
    this.desired = plans;
    this.policy = policy;
    this.drained = drained;
  }

  /** Sends a v2 agent its probe targets and policy when they differ from what it has. */
  private sendTargets(ws: WebSocket, state: SocketState): void {
    const plan = this.desired?.get(state.host);
    if (!plan || !state.helloed || (state.protocol ?? 1) < 2) return;
    const drained = (state.protocol ?? 1) >= 4 ? this.drained : [];
    const { frame, key } = targetsFrame(plan, this.policy, drained, state.protocol ?? 1);
    if (state.targetsKey === key) return;
    send(ws, frame);
    state.targetsKey = key;
    ws.serializeAttachment(state);
  }

  private agents(): WebSocket[] {
    return this.ctx.getWebSockets().filter((ws) => !isWatcher(ws));
  }

  private record(cluster: string, host: string, patch: NodePatch): void {
    this.updates.record(cluster, host, patch);
    void this.wakeAt(Date.now() + FLUSH_DELAY_MS);
    for (const e of eventsOf(host, patch)) this.broadcast(e);
  }
}
