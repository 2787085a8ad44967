#!/usr/bin/env node
// `halo-agent` from a checkout: the agent runs on Bun (from npm); this only hands it over.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const child = spawn(
  here("../node_modules/.bin/bun"),
  [here("../agent/main.ts"), ...process.argv.slice(2)],
  {
    stdio: "inherit",
  },
);
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => child.kill(sig));
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 128 : 1)));
