import { benchCompile } from "./compile.ts";
import { machine } from "./machine.ts";

console.log(`halo bench on ${machine()}`);
benchCompile();
