import { benchApply } from "./apply.ts";
import { benchChurn } from "./churn.ts";
import { benchCompile, benchCompilePerHostVars } from "./compile.ts";
import { benchDashboard } from "./dashboard.ts";
import { benchFailover } from "./failover.ts";
import { benchFanout } from "./fanout.ts";
import { benchJoins } from "./joins.ts";
import { benchFootprint } from "./footprint.ts";
import { benchProbeLoad } from "./probe-load.ts";
import { machine } from "./machine.ts";
import { JSON_OUTPUT, wanted } from "./report.ts";
import { benchStorm } from "./storm.ts";

/** Each benchmark by name (HALO_BENCH_ONLY=a,b runs some); one that fails says so and the rest run. */
const BENCHES: Array<[string, () => unknown]> = [
  ["failover", benchFailover],
  ["apply", () => benchApply()],
  ["compile", benchCompile],
  ["compile-vars", benchCompilePerHostVars],
  ["fanout", () => benchFanout(Number(process.env.HALO_BENCH_AGENTS ?? 5000))],
  ["probes", benchProbeLoad],
  ["joins", () => benchJoins()],
  ["storm", benchStorm],
  ["churn", benchChurn],
  ["dashboard", benchDashboard],
  ["footprint", () => benchFootprint(Number(process.env.HALO_BENCH_IDLE_SECONDS ?? 10))],
];

console.log(`halo bench on ${machine()}`);
const t0 = performance.now();
let failed = 0;
for (const [name, run] of BENCHES) {
  if (!wanted(name)) continue;
  try {
    await run();
  } catch (e) {
    failed++;
    const error = e instanceof Error ? e.message : String(e);
    console.log(`${name}: FAILED: ${error}`);
    if (JSON_OUTPUT)
      console.log(
        JSON.stringify({ figure: name, value: null, unit: null, target: null, ok: false, error }),
      );
  }
}
console.log(
  `bench done in ${((performance.now() - t0) / 60_000).toFixed(1)} min${failed > 0 ? `; ${failed} failed` : ""}`,
);
process.exit(failed > 0 ? 1 : 0);
