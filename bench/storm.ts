import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startControlPlane } from "../scripts/control-plane.ts";
import { figure } from "./report.ts";
import { benchApi, BENCH_TOKEN } from "./setup.ts";
import { benchSims, type BenchSims } from "./sim-fleet.ts";

const stamp = (l: string) => Number(l.split(" ")[2]);

/**
 * The routine reconnect storm: `agents` connected agents (reconnecting with the agent's own
 * backoff and full jitter), the control plane stopped and started on the same state, as a
 * deploy does. Time until every agent is back, the peak of connection attempts per second,
 * and whether a change right after reaches every one of them.
 */
export async function benchStorm(agents = 1000, processes = 4): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "halo-storm-"));
  const persistDir = join(dir, "d1");
  let cp = await startControlPlane({ persistDir, adminToken: BENCH_TOKEN });
  let sims: BenchSims | null = null;
  try {
    sims = await benchSims(
      cp,
      benchApi(cp),
      dir,
      "storm",
      { canary: 0, waves: ["100%"], bakeSeconds: 0 },
      agents,
      processes,
      { SIM_RECONNECT: "1" },
    );
    const port = cp.port;
    const stopped = Date.now();
    await cp.stop();
    cp = await startControlPlane({ persistDir, adminToken: BENCH_TOKEN, port });
    const answered = Date.now();
    const s = sims;
    const backHosts = () =>
      new Set(s.lines.filter((l) => l.startsWith("back ")).map((l) => l.split(" ")[1]));
    const deadline = Date.now() + 180_000;
    while (backHosts().size < agents && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    const back = backHosts().size;
    const lastBack = Math.max(...s.lines.filter((l) => l.startsWith("back ")).map(stamp));
    const attempts = s.lines
      .filter((l) => l.startsWith("attempt "))
      .map(stamp)
      .filter((t) => t >= stopped);
    const perSecond = new Map<number, number>();
    for (const t of attempts)
      perSecond.set(Math.floor(t / 1000), (perSecond.get(Math.floor(t / 1000)) ?? 0) + 1);
    console.log(
      `reconnect storm, ${agents} agents: control plane down ${answered - stopped} ms; ${back} of ${agents} back; ${attempts.length} attempts`,
    );
    figure(
      `storm ${agents}: control plane answering -> every agent back`,
      back === agents ? lastBack - answered : -1,
      "ms",
      null,
    );
    figure(
      `storm ${agents}: peak connection attempts per second`,
      Math.max(0, ...perSecond.values()),
      "attempts/s",
      null,
    );
    figure(`storm ${agents}: agents left behind`, agents - back, "agents", 0);
  } finally {
    for (const p of sims?.procs ?? []) p.kill("SIGKILL");
    await cp.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
