import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { startControlPlane } from "../scripts/control-plane.ts";
import { syntheticCluster } from "./compile.ts";
import { BundleSchema, JoinTokenResponse, NodeList } from "../shared/api-schemas.ts";
import { figure } from "./report.ts";
import { benchApi, registerAll, workerdEntry, workerdsOf, BENCH_TOKEN } from "./setup.ts";

const BUN = resolve("node_modules/.bin/bun");
const pct = (xs: number[], p: number) =>
  xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] ?? NaN;

/**
 * `agents` agents (real WebSockets from a few Bun processes) on `wrangler dev`; one topology
 * change that touches every node; time from the PUT until the last ack, and from the PUT's
 * response until every ack is visible in GET nodes; the hub's workerd's memory with every socket
 * open. Targets at 5,000 (Kubernetes' own limit): last ack < 3 s, all visible < 5 s.
 *
 * The agents connect to workerd's own entry socket, not through wrangler dev's proxy (a second
 * workerd that Cloudflare does not have: about six descriptors per socket, so this machine's
 * 20,000-descriptor limit stops it near 3,000 agents); the admin API goes through the proxy.
 */
export async function benchFanout(agents = 5000, processes = 8): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "halo-bench-"));
  const cp = await startControlPlane({ persistDir: join(dir, "d1"), adminToken: BENCH_TOKEN });
  const procs: ReturnType<typeof spawn>[] = [];
  try {
    const api = benchApi(cp);
    // All at once: this measures distribution; waves would add their bake times on purpose.
    await api("POST", "/v1/clusters", {
      name: "bench",
      rolloutPolicy: { canary: 0, waves: ["100%"], bakeSeconds: 0 },
    });
    const topology = syntheticCluster(agents + 3);
    await api("PUT", "/v1/clusters/bench/topology", topology);
    const { token } = await api("POST", "/v1/clusters/bench/join-tokens", {}, JoinTokenResponse);
    const hosts = Object.keys(topology.hosts).filter((h) => h.startsWith("node"));
    const sims: Array<{ host: string; token: string; hash: string; version: number }> = [];
    const entry = await workerdEntry(cp);
    const t0 = performance.now();
    for (const r of await registerAll(entry, token, topology, hosts))
      sims.push({ ...r, hash: "", version: 0 });
    const regMs = performance.now() - t0;
    const bundle = await api(
      "GET",
      `/v1/clusters/bench/nodes/${hosts[0]}/config`,
      undefined,
      BundleSchema,
    );
    for (const s of sims) Object.assign(s, { hash: bundle.hash, version: bundle.version });

    const acks: number[] = [];
    let reconnected = 0;
    const ready: Promise<void>[] = [];
    const per = Math.ceil(sims.length / processes);
    for (let p = 0; p < processes; p++) {
      const file = join(dir, `sims-${p}.json`);
      writeFileSync(file, JSON.stringify(sims.slice(p * per, (p + 1) * per)));
      // As a fleet after a deploy: connections spread over the agents' reconnect window, and a
      // dropped socket reconnects (the bench counts how many did).
      const child = spawn(BUN, ["bench/sim-agents.ts", entry.url, file], {
        stdio: ["ignore", "pipe", "inherit"],
        env: { ...process.env, SIM_RECONNECT: "1", SIM_SPREAD: "1" },
      });
      procs.push(child);
      ready.push(
        new Promise((res) => {
          createInterface({ input: child.stdout! }).on("line", (line) => {
            if (line === "ready") return res();
            if (line.startsWith("back ")) return void reconnected++;
            if (line.startsWith("attempt ")) return;
            acks.push(Number(line.split(" ")[1]));
          });
        }),
      );
    }
    const hubRss = () => workerdsOf(cp).find((w) => w.pid === entry.pid)?.rssMb ?? NaN;
    const rssBefore = hubRss();
    // Every socket connected and told it is current, or a failure that says so (no hang).
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      Promise.all(ready),
      new Promise((_, fail) => {
        timer = setTimeout(
          () => fail(new Error(`not every one of ${sims.length} agents was connected after 60 s`)),
          60_000,
        );
      }),
    ]);
    clearTimeout(timer);
    const rssConnected = hubRss();
    const proxy = workerdsOf(cp).find((w) => w.pid !== entry.pid);

    const changed = { ...topology, vars: { loadbalancer_apiserver_localhost: true } };
    const putSent = Date.now();
    await api("PUT", "/v1/clusters/bench/topology", changed);
    const putMs = Date.now() - putSent;
    const start = performance.now();
    for (;;) {
      const { nodes } = await api("GET", "/v1/clusters/bench/nodes", undefined, NodeList);
      if (
        nodes.filter((n) => n.host.startsWith("node") && n.status === "applied").length ===
        sims.length
      )
        break;
      if (performance.now() - start > 120_000) throw new Error("fan-out did not complete in 120 s");
      await new Promise((r) => setTimeout(r, 25));
    }
    const visibleMs = performance.now() - start;
    // The same read once the fleet is quiet: what an operator's `halo status` costs at this size.
    const g0 = performance.now();
    await api("GET", "/v1/clusters/bench/nodes");
    const quietGetMs = performance.now() - g0;
    const lat = acks.map((t) => t - putSent).sort((a, b) => a - b);
    const n = sims.length;
    console.log(
      `fan-out ${n} agents (${processes} processes): registration ${(regMs / 1000).toFixed(1)} s; ` +
        `per node ack p50 ${pct(lat, 50)} ms, p99 ${pct(lat, 99)} ms; the PUT itself took ${putMs} ms`,
    );
    figure(
      `fan-out ${n}: PUT sent -> last agent ack`,
      Math.max(...lat),
      "ms",
      n >= 5000 ? 3000 : null,
    );
    figure(
      `fan-out ${n}: PUT response -> all acks visible in GET nodes`,
      Math.round(visibleMs),
      "ms",
      n >= 5000 ? 5000 : null,
    );
    figure(`fan-out ${n}: GET nodes once the fleet is quiet`, Math.round(quietGetMs), "ms", null);
    figure(`fan-out ${n}: the hub's workerd RSS with every socket open`, rssConnected, "MB", null);
    figure(`fan-out ${n}: sockets dropped and reconnected`, reconnected, "sockets", null);
    figure(
      `fan-out ${n}: the hub's workerd RSS growth per socket`,
      Math.round(((rssConnected - rssBefore) * 1024) / n),
      "kB",
      null,
    );
    if (proxy)
      console.log(
        `  (wrangler dev's proxy workerd, which the agents bypass: ${proxy.rssMb} MB, ${proxy.fds} descriptors)`,
      );
  } catch (e) {
    const log = join(tmpdir(), `halo-fanout-${agents}.log`);
    writeFileSync(log, cp.output());
    console.error(`fan-out failed; the control plane's last 256 KB of output are in ${log}`);
    throw e;
  } finally {
    for (const p of procs) p.kill("SIGKILL");
    await cp.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
