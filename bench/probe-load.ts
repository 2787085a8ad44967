import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { startControlPlane } from "../scripts/control-plane.ts";
import { syntheticCluster } from "./compile.ts";
import { BundleSchema, JoinTokenResponse, ReachabilityResponse } from "../shared/api-schemas.ts";
import { benchApi, registerAll, BENCH_TOKEN } from "./setup.ts";
import { JSON_OUTPUT } from "./report.ts";

const BUN = resolve("node_modules/.bin/bun");

/** CPU seconds used so far by every workerd process (the hub runs in one). */
function workerdCpu(): number {
  const pids = spawnSync("pgrep", ["-f", "workerd"], { encoding: "utf8" }).stdout.split("\n");
  let ticks = 0;
  for (const pid of pids.filter(Boolean)) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
      ticks += Number(stat[11]) + Number(stat[12]);
    } catch {
      // gone
    }
  }
  return ticks / 100;
}

/**
 * The hub under probe reports: `agents` real WebSockets, each sending `reports` reports at
 * once (a master going down makes every node report together). Measures reports handled per
 * second until the last one is visible in GET reachability, and workerd's CPU meanwhile.
 */
export async function benchProbeLoad(agents = 1000, reports = 5, processes = 4): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "halo-probes-"));
  const cp = await startControlPlane({ persistDir: join(dir, "d1"), adminToken: BENCH_TOKEN });
  const procs: ReturnType<typeof spawn>[] = [];
  try {
    const api = benchApi(cp);
    await api("POST", "/v1/clusters", { name: "probes" });
    const topology = syntheticCluster(agents + 3);
    await api("PUT", "/v1/clusters/probes/topology", topology);
    const { token } = await api("POST", "/v1/clusters/probes/join-tokens", {}, JoinTokenResponse);
    const hosts = Object.keys(topology.hosts).filter((h) => h.startsWith("node"));
    const bundle = await api(
      "GET",
      `/v1/clusters/probes/nodes/${hosts[0]}/config`,
      undefined,
      BundleSchema,
    );
    const sims: Array<{ host: string; token: string; hash: string; version: number }> = [];
    for (const r of await registerAll(cp, token, topology, hosts))
      sims.push({ ...r, hash: bundle.hash, version: bundle.version });
    const per = Math.ceil(sims.length / processes);
    const sent: Promise<void>[] = [];
    const cpu0 = workerdCpu();
    const t0 = performance.now();
    for (let p = 0; p < processes; p++) {
      const file = join(dir, `sims-${p}.json`);
      writeFileSync(file, JSON.stringify(sims.slice(p * per, (p + 1) * per)));
      const child = spawn(BUN, ["bench/sim-agents.ts", cp.url, file, String(reports)], {
        stdio: ["ignore", "pipe", "inherit"],
      });
      procs.push(child);
      sent.push(
        new Promise((res) =>
          createInterface({ input: child.stdout! }).on("line", (l) => l === "sent" && res()),
        ),
      );
    }
    await Promise.all(sent);
    const burstAt = performance.now();
    for (;;) {
      const r = await api(
        "GET",
        "/v1/clusters/probes/reachability",
        undefined,
        ReachabilityResponse,
      );
      const done = r.nodes.filter((n) => n.results["etcd:127.0.0.1:2379"]?.ms === 999).length;
      if (done === sims.length) break;
      if (performance.now() - burstAt > 120_000) throw new Error("reports not visible in 120 s");
      await new Promise((res) => setTimeout(res, 50));
    }
    const seconds = (performance.now() - burstAt) / 1000;
    const cpu = workerdCpu() - cpu0;
    const total = sims.length * reports;
    console.log(
      `probe reports: ${sims.length} agents x ${reports} reports = ${total}, all visible in GET reachability ` +
        `${seconds.toFixed(2)} s after the last was sent (${Math.round(total / seconds)} reports/s); ` +
        `workerd CPU ${cpu.toFixed(1)} s over ${((performance.now() - t0) / 1000).toFixed(1)} s (connect + burst)`,
    );
    if (JSON_OUTPUT)
      console.log(
        JSON.stringify({
          figure: `probe reports handled per second (${sims.length} agents)`,
          value: Math.round(total / seconds),
          unit: "reports/s",
          target: null,
          ok: null,
        }),
      );
  } finally {
    for (const p of procs) p.kill("SIGKILL");
    await cp.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
