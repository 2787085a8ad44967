import { specWith } from "../shared/kinds/registry.ts";
import type { WireBundle } from "../shared/bundle-schema.ts";
import {
  CHECK_EVERY_MS,
  ejectedOf,
  FALL,
  stepEjections,
  type EjectionState,
} from "../shared/ejection.ts";
import { hostPort } from "../shared/net.ts";
import type { ProbeResult } from "../shared/live.ts";
import type { Log } from "./log.ts";
import type { ReadyzChecker } from "./readyz.ts";

/** The re-check after a change (the steady-state interval is CHECK_EVERY_MS). */
export const RECHECK_MS = 250;

interface LbBackend {
  name: string;
  address: string;
}

/** One backend taken out by this node, as reported. */
export interface Ejection {
  master: string;
  since: string;
  reason: string;
}

/** The agent-checked LB's (nginx's) backends in a bundle, and those the control plane drains. */
export function nginxBackends(wire: WireBundle): { backends: LbBackend[]; down: string[] } {
  const spec = specWith(wire.artifacts as Array<{ kind?: unknown }>, "balancer", "agent")?.spec as
    | { backends?: Array<{ name: string; address: string; port: number }>; down?: string[] }
    | undefined;
  return {
    backends: (spec?.backends ?? []).map((b) => ({
      name: b.name,
      address: hostPort(b.address, b.port),
    })),
    down: spec?.down ?? [],
  };
}

/**
 * nginx has no active checks, so its agent checks each backend's `/readyz` itself (kept-alive
 * TLS, every 2 s jittered, every 250 ms while a backend is changing state), takes one out after
 * 2 failures and puts it back after 2 passes (`shared/ejection.ts`), and asks for the local
 * re-render and graceful reload. Only backends of the applied bundle are checked or touched.
 */
export class NginxFailover {
  private backends: LbBackend[] = [];
  private drained = new Set<string>();
  /** drained by the control plane: in the spec (`down`), or told with the probe targets */
  private specDown: string[] = [];
  private hubDrained: string[] = [];
  private state: EjectionState = {};
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();
  private stopped = false;
  private everyMs = CHECK_EVERY_MS;

  /** The live policy's steady-state check interval. */
  setInterval(seconds: number): void {
    this.everyMs = seconds * 1000;
  }

  constructor(
    private readonly checker: ReadyzChecker,
    private readonly io: {
      /** the ejections changed: render and reload again with them */
      changed: (ejected: Ejection[]) => void;
      log: Log;
    },
  ) {}

  /** The applied bundle's backends (none when this node runs no nginx LB). */
  use(wire: WireBundle): void {
    const { backends, down } = nginxBackends(wire);
    this.specDown = down;
    this.update(backends, [...down, ...this.hubDrained]);
  }

  /** Masters the control plane drains: not checked, never counted as ejected. */
  setDrained(names: readonly string[]): void {
    this.hubDrained = [...names];
    this.update(this.backends, [...this.specDown, ...names]);
  }

  private update(backends: LbBackend[], down: string[]): void {
    const same =
      JSON.stringify(backends) === JSON.stringify(this.backends) &&
      JSON.stringify([...this.drained].sort()) === JSON.stringify([...new Set(down)].sort());
    if (same) return;
    this.backends = backends;
    this.drained = new Set(down);
    const names = this.checked().map((b) => b.name);
    const before = ejectedOf(this.state);
    this.state = stepEjections(this.state, names, {}, Date.now());
    for (const [name, t] of this.timers)
      if (!names.includes(name)) {
        clearTimeout(t);
        this.timers.delete(name);
      }
    // A backend no longer checked (drained, or gone) keeps no connection from this node.
    for (const b of backends) if (!names.includes(b.name)) this.checker.forget(b.address);
    for (const b of this.checked()) if (!this.timers.has(b.name)) this.schedule(b, 0);
    if (before.join() !== ejectedOf(this.state).join()) this.io.changed(this.ejections());
  }

  /** Backends the agent decides about: what the control plane sent, less what it drains. */
  private checked(): LbBackend[] {
    return this.backends.filter((b) => !this.drained.has(b.name));
  }

  /** The names this node has taken out now. */
  ejected(): string[] {
    return ejectedOf(this.state);
  }

  ejections(): Ejection[] {
    return this.ejected().map((master) => {
      const h = this.state[master];
      return {
        master,
        since: new Date(h?.since ?? Date.now()).toISOString(),
        reason: (h?.reason ?? "not ready").slice(0, 200),
      };
    });
  }

  private schedule(b: LbBackend, ms: number): void {
    if (this.stopped) return;
    this.timers.set(
      b.name,
      setTimeout(() => void this.checkOne(b), ms),
    );
  }

  private async checkOne(b: LbBackend): Promise<void> {
    const r: ProbeResult = await this.checker.check(b.address);
    if (this.stopped || !this.checked().some((x) => x.name === b.name)) return;
    const before = this.ejected();
    this.state = stepEjections(
      this.state,
      this.checked().map((x) => x.name),
      { [b.name]: r },
      Date.now(),
    );
    const h = this.state[b.name];
    const after = this.ejected();
    if (before.join() !== after.join()) {
      const gone = after.filter((n) => !before.includes(n));
      const back = before.filter((n) => !after.includes(n));
      if (gone.length) this.io.log(`taking ${gone.join(", ")} out of nginx: ${r.error ?? ""}`);
      if (back.length) this.io.log(`putting ${back.join(", ")} back into nginx: ready again`);
      this.io.changed(this.ejections());
    }
    // Changing state (a failure while in, a pass while out): look again soon.
    const changing = h !== undefined && (h.ejected ? h.passes > 0 : h.fails > 0 && h.fails < FALL);
    const jitter = this.everyMs * (0.8 + Math.random() * 0.4);
    this.schedule(b, changing ? RECHECK_MS : jitter);
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    this.checker.close();
  }
}
