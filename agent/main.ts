#!/usr/bin/env bun
import { parseArgs, USAGE } from "./args.ts";
import { join, leave, run, status, useLogFormat } from "./commands.ts";
import { AGENT_VERSION } from "./version.ts";
import { EXIT } from "./connection.ts";

/** halo-agent: `join`, `run`, `status`, `leave` and `doctor`; see USAGE. */
async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  if (!args.ok) {
    console.error(`halo-agent: ${args.error}\n\n${USAGE}`);
    return EXIT.usage;
  }
  useLogFormat(args.value.logFormat);
  switch (args.value.command) {
    case "join":
      return join(args.value);
    case "run":
      return run(args.value);
    case "status":
      return status(args.value);
    case "leave":
      return leave(args.value);
    case "doctor":
      // Loaded only when asked for: the long-running agent does not carry it.
      return (await import("./doctor.ts")).doctor(args.value);
    case "version":
      console.log(`halo-agent ${AGENT_VERSION}`);
      return EXIT.ok;
    case "help":
      console.log(USAGE);
      return EXIT.ok;
  }
}

// No top-level await: `bun build --compile --bytecode` emits CommonJS.
void main(process.argv.slice(2)).then((code) => process.exit(code));
