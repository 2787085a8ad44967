import { benchChurn } from "./churn.ts";
import { benchCompile, benchCompilePerHostVars } from "./compile.ts";
import { benchDashboard } from "./dashboard.ts";
import { benchFanout } from "./fanout.ts";
import { benchFootprint } from "./footprint.ts";
import { benchProbeLoad } from "./probe-load.ts";
import { machine } from "./machine.ts";
import { wanted } from "./report.ts";
import { benchStorm } from "./storm.ts";

console.log(`halo bench on ${machine()}`);
if (wanted("compile")) benchCompile();
if (wanted("compile-vars")) benchCompilePerHostVars();
if (wanted("fanout")) await benchFanout(Number(process.env.HALO_BENCH_AGENTS ?? 5000));
if (wanted("probes")) await benchProbeLoad();
if (wanted("storm")) await benchStorm();
if (wanted("churn")) await benchChurn();
if (wanted("dashboard")) await benchDashboard();
if (wanted("footprint")) await benchFootprint(Number(process.env.HALO_BENCH_IDLE_SECONDS ?? 60));
