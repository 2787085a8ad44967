import { benchApi } from "../../bench/setup.ts";
import { benchSims, type BenchSims } from "../../bench/sim-fleet.ts";
import type { Fleet } from "./fleet.ts";

/** The benchmarks' simulated agents (bench/sim-agents.ts) at a test's size, in one Bun process. */
export type SimFleet = BenchSims;

export async function simFleet(
  fleet: Fleet,
  cluster: string,
  policy: object,
  agents: number,
  env: Record<string, string> = {},
): Promise<SimFleet> {
  const sims = await benchSims(
    fleet.cp,
    benchApi(fleet.cp),
    fleet.dir,
    cluster,
    policy,
    agents,
    1,
    env,
  );
  for (const p of sims.procs) fleet.onStop(() => void p.kill("SIGKILL"));
  return sims;
}
