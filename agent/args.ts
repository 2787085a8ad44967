import { err, ok, type Result } from "../shared/result.ts";

export interface Args {
  command: "join" | "run" | "status" | "help";
  server?: string;
  token?: string;
  once: boolean;
  dryRun: boolean;
  root: string;
  state: string;
  config?: string;
  hostname?: string;
  ip?: string;
}

const VALUE_FLAGS = {
  "--server": "server",
  "--token": "token",
  "--root": "root",
  "--state": "state",
  "--config": "config",
  "--hostname": "hostname",
  "--ip": "ip",
} as const;

/** Parses `halo-agent <join|run|status> [flags]`; an unknown flag or a missing value is an error. */
export function parseArgs(argv: string[]): Result<Args, string> {
  const [command = "help", ...rest] = argv;
  if (!["join", "run", "status", "help", "--help", "-h"].includes(command))
    return err(`unknown command '${command}'`);
  const args: Args = {
    command: command.startsWith("-") ? "help" : (command as Args["command"]),
    once: false,
    dryRun: false,
    root: "/",
    state: "/var/lib/halo",
  };
  for (let i = 0; i < rest.length; i++) {
    const flag = rest[i] ?? "";
    const [name, inline] = flag.includes("=")
      ? [flag.slice(0, flag.indexOf("=")), flag.slice(flag.indexOf("=") + 1)]
      : [flag, undefined];
    if (name === "--once") args.once = true;
    else if (name === "--dry-run") args.dryRun = true;
    else if (name === "--help" || name === "-h") args.command = "help";
    else if (name in VALUE_FLAGS) {
      const value = inline ?? rest[++i];
      if (value === undefined || value === "") return err(`${name} needs a value`);
      args[VALUE_FLAGS[name as keyof typeof VALUE_FLAGS]] = value;
    } else return err(`unknown flag '${name}'`);
  }
  if (args.command === "join" && (!args.server || !args.token))
    return err("join needs --server URL and --token T");
  return ok(args);
}

export const USAGE = `halo-agent: keeps this node's HA endpoints and proxy config in step with the halo control plane

  halo-agent join --server URL --token JOIN_TOKEN [--hostname NAME] [--ip ADDR]
  halo-agent run [--once] [--dry-run]
  halo-agent status

  --state DIR    credential, journal and applied state (default /var/lib/halo)
  --config FILE  agent config, YAML or JSON: {artifacts: {<kind>: {path, check, reload, health}}}
  --root DIR     prefix for every path the agent writes (tests, demos)
`;
