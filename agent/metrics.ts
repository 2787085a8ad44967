import { family } from "../shared/prometheus.ts";

const BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** What the agent's /metrics shows; the loop and the live view write into it. */
export class AgentMetrics {
  config: { version: number; hash: string } | null = null;
  lastReloadOk = 0;
  lastReloadSuccessAt = 0;
  readonly reloads = { success: 0, failure: 0 };
  private readonly durations: number[] = [];
  drift: Record<string, number> = {};
  upstream: Record<string, { up: boolean; seconds: number }> = {};
  /** nginx nodes: 1 for each backend (master name) this agent has taken out, 0 for the rest */
  ejected: Record<string, number> = {};
  connected = false;

  constructor(private readonly version: string) {}

  /** One apply finished: its outcome and how long it took. */
  applied(ok: boolean, seconds: number, config?: { version: number; hash: string }): void {
    this.reloads[ok ? "success" : "failure"]++;
    this.lastReloadOk = ok ? 1 : 0;
    if (ok) {
      this.lastReloadSuccessAt = Date.now() / 1000;
      if (config) this.config = config;
    }
    this.durations.push(seconds);
    if (this.durations.length > 10_000) this.durations.shift();
  }

  render(): string {
    const hist = BUCKETS.map((le) => ({
      labels: { le: String(le) },
      value: this.durations.filter((d) => d <= le).length,
    }));
    hist.push({ labels: { le: "+Inf" }, value: this.durations.length });
    const sum = this.durations.reduce((a, b) => a + b, 0);
    return [
      family("halo_build_info", "The agent's version.", "gauge", [
        { labels: { version: this.version }, value: 1 },
      ]),
      family("halo_config_info", "The bundle this node runs.", "gauge", [
        ...(this.config
          ? [{ labels: { version: String(this.config.version), hash: this.config.hash }, value: 1 }]
          : []),
      ]),
      family(
        "halo_config_last_reload_successful",
        "1 after a successful apply, whether or not a reload command ran.",
        "gauge",
        [{ value: this.lastReloadOk }],
      ),
      family(
        "halo_config_last_reload_success_timestamp_seconds",
        "When the last successful apply finished.",
        "gauge",
        [{ value: this.lastReloadSuccessAt }],
      ),
      family("halo_config_reloads_total", "Applies by result.", "counter", [
        { labels: { result: "success" }, value: this.reloads.success },
        { labels: { result: "failure" }, value: this.reloads.failure },
      ]),
      `# HELP halo_config_apply_duration_seconds How long applies took.\n# TYPE halo_config_apply_duration_seconds histogram\n` +
        hist
          .map((b) => `halo_config_apply_duration_seconds_bucket{le="${b.labels.le}"} ${b.value}`)
          .join("\n") +
        `\nhalo_config_apply_duration_seconds_sum ${sum}\nhalo_config_apply_duration_seconds_count ${this.durations.length}\n`,
      family(
        "halo_config_drift",
        "1 when the kind's managed files differ from what was applied.",
        "gauge",
        Object.entries(this.drift).map(([kind, v]) => ({ labels: { kind }, value: v })),
      ),
      family(
        "halo_upstream_up",
        "1 when the probe target answered (target id as in GET .../reachability).",
        "gauge",
        Object.entries(this.upstream).map(([target, u]) => ({
          labels: { target },
          value: u.up ? 1 : 0,
        })),
      ),
      family(
        "halo_upstream_ejected",
        "1 when this node's agent has taken the master out of its nginx LB (failed /readyz checks).",
        "gauge",
        Object.entries(this.ejected).map(([master, v]) => ({ labels: { master }, value: v })),
      ),
      family(
        "halo_upstream_probe_duration_seconds",
        "How long the last probe of the target took.",
        "gauge",
        Object.entries(this.upstream).map(([target, u]) => ({
          labels: { target },
          value: u.seconds,
        })),
      ),
      family("halo_controlplane_connected", "1 while the WebSocket to the hub is open.", "gauge", [
        { value: this.connected ? 1 : 0 },
      ]),
    ].join("");
  }
}

/** Serves the metrics at `ADDR/metrics` (ADDR is host:port; keep it on loopback). */
export function serveMetrics(addr: string, metrics: AgentMetrics): Bun.Server<undefined> {
  const i = addr.lastIndexOf(":");
  return Bun.serve({
    hostname: addr.slice(0, i).replace(/^\[|\]$/g, ""),
    port: Number(addr.slice(i + 1)),
    fetch: (req) =>
      new URL(req.url).pathname === "/metrics"
        ? new Response(metrics.render(), {
            headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8" },
          })
        : new Response("not found\n", { status: 404 }),
  });
}
