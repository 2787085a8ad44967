#!/usr/bin/env node
import { CliError, EXIT } from "./client.ts";
import { auditCmd, clusterCmd, hostCmd, login, status, tokenCmd, type Flags } from "./commands.ts";
import { apply, plan } from "./inventory-commands.ts";
import { describeCmd, policyCmd, reachabilityCmd, watchCmd } from "./live-commands.ts";
import { rollback, rolloutCmd } from "./rollout-commands.ts";
import { drainCmd, undrainCmd } from "./drain-commands.ts";
import { completion, HELP, ROLLOUT_USAGE } from "./help.ts";
import { VERSION } from "./version.ts";

const USAGE = `halo: the operator CLI for the halo control plane

  halo login --server URL --token-file FILE|- [--cluster NAME]   (or --token T, visible in ps)
  halo cluster create NAME | halo cluster list
  halo plan -f inventory.ini|yaml|json|DIR [--prune]     what would change, changing nothing
  halo apply -f inventory.ini|yaml|json|DIR [--prune] [--yes]
  halo status                  nodes: versions, status, drift, their own apiserver path and whether it works
  halo reachability            node x target matrix from the nodes' own probes (colour on a TTY)
  halo watch                   the cluster's events (node, probe, drift, rollout), one per line
  halo policy get | halo policy set [--drift heal|report] [--probe-interval S] [--check-interval S] [--cert-warning-days D]
  halo rollout ${ROLLOUT_USAGE} [ID]
  halo rollback VERSION
  halo drain HOST [--grace S] [--wait]   no LB sends the master new connections (maintenance)
  halo undrain HOST
  halo token create [--groups a,b] [--hosts h1,h2] [--ttl SECONDS] [--max-uses N]
  halo token list | halo token revoke ID
  halo host list | halo host rm NAME
  halo audit [--limit N]
  halo describe node HOST      groups, endpoints, kinds and hashes, desired vs applied, probes
  halo completion bash|zsh
  halo <command> --help | halo --version

  --cluster NAME   (or HALO_CLUSTER, or the one saved by login)
  --json           machine-readable output on every read command
Environment: HALO_SERVER, HALO_TOKEN, HALO_CLUSTER override the saved login; HALO_CONFIG is
the file login writes (default ~/.config/halo/config.json).
Exit codes: 0 ok, 1 error, 2 usage, 3 not allowed, 4 rollout did not complete, 5 not confirmed.
`;

const VALUE: Record<string, keyof Flags> = {
  "--server": "server",
  "--token": "token",
  "--token-file": "tokenFile",
  "--cluster": "cluster",
  "-f": "file",
  "--file": "file",
  "--groups": "groups",
  "--hosts": "hosts",
  "--drift": "drift",
  "--probe-interval": "probeInterval",
  "--ttl": "ttl",
  "--max-uses": "maxUses",
  "--interval": "interval",
  "--limit": "limit",
  "--grace": "grace",
  "--check-interval": "checkInterval",
  "--cert-warning-days": "certWarningDays",
};

function parse(argv: string[]): { words: string[]; flags: Flags; help: boolean; version: boolean } {
  const flags: Flags = { yes: false, json: false, prune: false, wait: false, force: false };
  let help = false;
  let version = false;
  const words: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? "";
    if (a === "--help" || a === "-h") help = true;
    else if (a === "--version" || a === "-V") version = true;
    else if (a === "--yes" || a === "-y") flags.yes = true;
    else if (a === "--json") flags.json = true;
    else if (a === "--prune") flags.prune = true;
    else if (a === "--wait") flags.wait = true;
    else if (a === "--force") flags.force = true;
    else if (a in VALUE) {
      const v = argv[++i];
      if (v === undefined) throw new CliError(`${a} needs a value`, EXIT.usage);
      (flags as unknown as Record<string, string>)[VALUE[a] as string] = v;
    } else if (a.startsWith("-")) throw new CliError(`unknown flag ${a}`, EXIT.usage);
    else words.push(a);
  }
  return { words, flags, help, version };
}

async function main(argv: string[]): Promise<number> {
  const { words, flags, help, version } = parse(argv);
  const out = (s: string) => console.log(s);
  const [cmd, sub, arg] = words;
  if (version) return (out(`halo ${VERSION}`), EXIT.ok);
  if (help || cmd === undefined || cmd === "help") {
    const topic = cmd === "help" ? sub : cmd;
    const text = topic !== undefined && Object.hasOwn(HELP, topic) ? HELP[topic] : undefined;
    out(text ?? USAGE);
    return EXIT.ok;
  }
  switch (cmd) {
    case "host":
      return hostCmd(sub, arg, flags, out);
    case "audit":
      return auditCmd(flags, out);
    case "describe":
      return describeCmd(sub, arg, flags, out);
    case "completion": {
      const script = completion(sub);
      if (script === null) throw new CliError("usage: halo completion bash|zsh", EXIT.usage);
      out(script);
      return EXIT.ok;
    }
    case "login":
      return login(flags, out);
    case "cluster":
      return clusterCmd(sub, arg, flags, out);
    case "apply":
      return apply(flags, out);
    case "plan":
      return plan(flags, out);
    case "watch":
      return watchCmd(flags, out);
    case "reachability":
      return reachabilityCmd(flags, out);
    case "policy":
      return policyCmd(sub, flags, out);
    case "status":
      return status(flags, out);
    case "rollout":
      return rolloutCmd(sub, arg, flags, out);
    case "rollback":
      return rollback(sub, flags, out);
    case "token":
      return tokenCmd(sub, arg, flags, out);
    case "drain":
      return drainCmd(sub, flags, out);
    case "undrain":
      return undrainCmd(sub, flags, out);
    default:
      throw new CliError(`unknown command ${cmd}\n\n${USAGE}`, EXIT.usage);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(`halo: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(e instanceof CliError ? e.code : EXIT.error);
  },
);
