import { benchCompile, benchCompilePerHostVars } from "./compile.ts";
import { benchFanout } from "./fanout.ts";
import { benchFootprint } from "./footprint.ts";
import { machine } from "./machine.ts";

console.log(`halo bench on ${machine()}`);
benchCompile();
benchCompilePerHostVars();
await benchFanout();
await benchFootprint(Number(process.env.HALO_BENCH_IDLE_SECONDS ?? 60));
