import { benchCompile, benchCompilePerHostVars } from "./compile.ts";
import { benchFanout } from "./fanout.ts";
import { benchFootprint } from "./footprint.ts";
import { benchProbeLoad } from "./probe-load.ts";
import { machine } from "./machine.ts";

console.log(`halo bench on ${machine()}`);
benchCompile();
benchCompilePerHostVars();
await benchFanout();
await benchProbeLoad();
await benchFootprint(Number(process.env.HALO_BENCH_IDLE_SECONDS ?? 60));
