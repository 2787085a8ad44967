import { err, ok, type Result } from "../shared/result.ts";

export interface Args {
  command: "join" | "run" | "status" | "leave" | "doctor" | "help" | "version";
  server?: string;
  token?: string;
  /** the join token's file (`-`: stdin), kept out of argv */
  tokenFile?: string;
  /** join a control plane over plain http beyond loopback */
  insecure: boolean;
  once: boolean;
  dryRun: boolean;
  root: string;
  state: string;
  config?: string;
  hostname?: string;
  ip?: string;
  /** seconds `run --once` waits for the control plane before giving up */
  timeout: number;
  /** host:port to serve Prometheus metrics on */
  metrics?: string;
  logFormat: "text" | "json";
}

const VALUE_FLAGS = {
  "--server": "server",
  "--token": "token",
  "--token-file": "tokenFile",
  "--root": "root",
  "--state": "state",
  "--config": "config",
  "--hostname": "hostname",
  "--ip": "ip",
  "--timeout": "timeout",
  "--metrics": "metrics",
  "--log-format": "logFormat",
} as const;

const COMMANDS = ["join", "run", "status", "leave", "doctor", "help"];

/**
 * Parses `halo-agent <join|run|status|leave> [flags]`, flags before or after the command; an
 * unknown flag, a missing value or a second command is an error.
 */
export function parseArgs(argv: string[]): Result<Args, string> {
  const args: Args = {
    command: "help",
    once: false,
    insecure: false,
    dryRun: false,
    root: "/",
    state: "/var/lib/halo",
    timeout: 60,
    logFormat: "text",
  };
  let command: string | undefined;
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i] ?? "";
    if (!flag.startsWith("-")) {
      if (command !== undefined) return err(`unexpected '${flag}' after the command ${command}`);
      if (!COMMANDS.includes(flag)) return err(`unknown command '${flag}'`);
      command = flag;
      continue;
    }
    const [name, inline] = flag.includes("=")
      ? [flag.slice(0, flag.indexOf("=")), flag.slice(flag.indexOf("=") + 1)]
      : [flag, undefined];
    if (name === "--once") args.once = true;
    else if (name === "--insecure") args.insecure = true;
    else if (name === "--dry-run") args.dryRun = true;
    else if (name === "--help" || name === "-h") help = true;
    else if (name === "--version" || name === "-V") command ??= "version";
    else if (name in VALUE_FLAGS) {
      const value = inline ?? argv[++i];
      if (value === undefined || value === "") return err(`${name} needs a value`);
      const key = VALUE_FLAGS[name as keyof typeof VALUE_FLAGS];
      if (key === "logFormat") {
        if (value !== "text" && value !== "json") return err("--log-format takes text or json");
        args.logFormat = value;
      } else if (key === "timeout") {
        if (!/^\d+$/.test(value) || Number(value) < 1) return err("--timeout takes whole seconds");
        args.timeout = Number(value);
      } else args[key] = value;
    } else return err(`unknown flag '${name}'`);
  }
  args.command = help ? "help" : ((command ?? "help") as Args["command"]);
  if (args.command === "join") {
    if (!args.server || (!args.token && !args.tokenFile))
      return err("join needs --server URL and --token-file FILE (or --token T)");
    const plain = plainBeyondLoopback(args.server);
    if (plain && !args.insecure)
      return err(
        `--server ${args.server} is not TLS: the join token and this node's credential would cross the network unencrypted, and anyone on the path could feed this node its config. Use https://, or add --insecure to accept that`,
      );
  }
  return ok(args);
}

/** Whether a control plane URL is plain http to anything but this machine's loopback. */
export function plainBeyondLoopback(server: string): boolean {
  let u: URL;
  try {
    u = new URL(server);
  } catch {
    return false;
  }
  if (u.protocol !== "http:") return false;
  const h = u.hostname.replace(/^\[|\]$/g, "");
  return !(h === "localhost" || h === "::1" || /^127\.\d+\.\d+\.\d+$/.test(h));
}

export const USAGE = `halo-agent: keeps this node's HA endpoints and proxy config in step with the halo control plane

  halo-agent join --server URL --token-file FILE|- [--hostname NAME] [--ip ADDR] [--insecure]
  halo-agent run [--once [--timeout S]] [--dry-run]
  halo-agent status
  halo-agent doctor    check credential, control plane, each kind's path and commands, the last
                       apply and this node's apiserver path; exits 1 when a check fails
  halo-agent leave     remove the managed blocks, retire every kind, forget the credential
  halo-agent --version

  --token-file F the join token, read from file F (or stdin with -): a token in argv (--token T)
                 is visible to every user in ps
  --insecure     join over plain http:// beyond loopback (refused otherwise: the credential and
                 every bundle would travel unencrypted)
  --state DIR    credential, journal and applied state (default /var/lib/halo)
  --config FILE  agent config, YAML or JSON: {artifacts: {<kind>: {path, check, reload, health}}}
  --root DIR     prefix for every path the agent writes (tests, demos)
  --timeout S    with --once: give up after S seconds without the control plane (default 60)
  --metrics ADDR serve Prometheus text at http://ADDR/metrics (e.g. 127.0.0.1:9944)
  --log-format F text (default, as journald shows it) or json (one object per line: time,
                 level, event, agent, message, and version, kinds, stage, error where they apply)

Flags may come before or after the command.
Exit codes: 0 ok, 1 an apply failed, 2 usage or config error, 3 credential revoked (join again),
4 --once timed out.
`;
