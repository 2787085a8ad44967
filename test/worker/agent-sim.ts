import { SELF } from "cloudflare:test";
import { kindModule } from "../../shared/kinds/registry.ts";
import { PROTOCOL_VERSION, type ServerMessage } from "../../shared/protocol.ts";

/** A test agent's socket: collects frames and waits for the next one. */
export class Agent {
  private readonly frames: unknown[] = [];
  /** `welcome` and `targets` frames, kept apart so tests of bundles see only bundles */
  readonly live: ServerMessage[] = [];
  private waiters: Array<() => void> = [];
  closed: { code: number; reason: string } | null = null;

  constructor(readonly ws: WebSocket) {
    ws.accept();
    ws.addEventListener("message", (e) => {
      if (e.data !== "pong") {
        const frame = JSON.parse(String(e.data)) as ServerMessage;
        if (frame.type === "welcome" || frame.type === "targets") this.live.push(frame);
        else this.frames.push(frame);
      }
      this.wake();
    });
    ws.addEventListener("close", (e) => {
      this.closed = { code: e.code, reason: e.reason };
      this.wake();
    });
  }

  private wake() {
    const w = this.waiters;
    this.waiters = [];
    w.forEach((f) => f());
  }

  async next(): Promise<ServerMessage> {
    while (this.frames.length === 0) {
      if (this.closed) throw new Error(`closed ${this.closed.code} ${this.closed.reason}`);
      await new Promise<void>((r) => this.waiters.push(r));
    }
    return this.frames.shift() as ServerMessage;
  }

  async untilClosed(): Promise<{ code: number; reason: string }> {
    while (!this.closed) await new Promise<void>((r) => this.waiters.push(r));
    return this.closed;
  }

  send(frame: unknown) {
    this.ws.send(typeof frame === "string" ? frame : JSON.stringify(frame));
  }

  hello(host: string, applied: { version: number; hash: string } | null = null) {
    this.send({ type: "hello", protocol: PROTOCOL_VERSION, host, applied });
  }
}

export async function connect(token: string, extra: Record<string, string> = {}): Promise<Agent> {
  const res = await SELF.fetch("https://halo.test/v1/agent/connect", {
    headers: { ...extra, upgrade: "websocket", authorization: `Bearer ${token}` },
  });
  if (!res.webSocket) throw new Error(`no upgrade: ${res.status} ${await res.text()}`);
  return new Agent(res.webSocket);
}

/** A simulated agent that acks every bundle (or fails those `fail` picks), remembering what it got and when. */
export class AutoAgent {
  readonly received: Array<{ version: number; at: number }> = [];
  private constructor(readonly agent: Agent) {}

  static async start(
    token: string,
    host: string,
    fail: (content: string) => boolean = () => false,
  ): Promise<AutoAgent> {
    const a = await connect(token);
    const auto = new AutoAgent(a);
    a.ws.addEventListener("message", (e) => {
      if (e.data === "pong") return;
      const msg = JSON.parse(String(e.data)) as ServerMessage;
      if (msg.type !== "config") return;
      const { version, hash, artifacts } = msg.bundle;
      auto.received.push({ version, at: Date.now() });
      // A real agent renders each artifact from its spec; so does this one, to judge it.
      const bad = artifacts.some((x) => {
        const a = x as { kind: string; spec: unknown };
        return fail(kindModule(a.kind)?.render(a.spec) ?? "");
      });
      a.ws.send(
        JSON.stringify(
          bad
            ? {
                type: "failed",
                version,
                hash,
                stage: "check",
                error: "refused by the test",
                rolledBack: false,
              }
            : { type: "applied", version, hash },
        ),
      );
    });
    a.hello(host);
    return auto;
  }

  got(version: number): boolean {
    return this.received.some((r) => r.version === version);
  }
}
