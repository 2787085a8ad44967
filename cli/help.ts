import { IN_PLACE_ACTIONS } from "../shared/rollout.ts";

/** `halo rollout`'s subcommands: watch, show, and every in-place action the API has. */
export const ROLLOUT_USAGE = ["watch", "show", ...IN_PLACE_ACTIONS].join("|");

/** What `halo <command> --help` prints: one entry per command. */
export const HELP: Record<string, string> = {
  login: `halo login --server URL --token-file FILE|- [--cluster NAME]
  Checks the token against the control plane and saves server, token and cluster in
  $HALO_CONFIG (default ~/.config/halo/config.json, mode 0600). The token comes from a file, or
  stdin with -; --token T also works, but a token on the command line is visible to other users
  in ps (so is HALO_TOKEN to root).`,
  cluster: `halo cluster create NAME | halo cluster list [--json] | halo cluster rm NAME [--yes]
  rm deletes the cluster with its versions, nodes and tokens (asks unless --yes).`,
  plan: `halo plan -f FILE|DIR [--prune] [--force] [--json]
  The dry run: which hosts change (kinds, apiserver URL before -> after), which leave the
  cluster, which kinds they retire, and which profile applied and why. Changes nothing.
  FILE is an INI, YAML or JSON inventory; DIR an Ansible inventory directory (group_vars,
  host_vars). A change that would point a node at a name the masters' observed certificates
  do not cover is refused, naming the node, the name and the masters; --force lists them
  instead (and with apply, applies anyway: audited as topology.force).`,
  apply: `halo apply -f FILE|DIR [--prune] [--force] [--yes] [--json]
  Shows the plan (naming hosts whose connected agent would be removed), asks unless --yes,
  applies.
  --prune also removes registered hosts the inventory does not list.
  --force applies even where a node's new name is not in a master's certificate.`,
  status: `halo status [--json]
  Every node: groups, desired and applied version, status and drift, masters its LB took out
  (ejected) or a drain, a name its masters' certificates lack, a certificate expiring within
  7 days, connected, its own path to the apiserver and whether it works, last error. Exit 1
  when a node failed.`,
  reachability: `halo reachability [--json]
  Node x target, as each node last probed it (masters' apiservers, etcd endpoints, the LB name).
  Colour only on a terminal. Exit 1 when a target fails somewhere.`,
  watch: `halo watch [--json]
  Follows the cluster's events (node, probe, drift, rollout), one line each, until interrupted.`,
  policy: `halo policy get [--json] | halo policy set [--drift heal|report] [--probe-interval S] [--check-interval S] [--cert-warning-days D]
  The rollout policy and the live policy (probe interval, drift: heal or only report, and how
  often nginx nodes check each backend's /readyz: default 2 s; a master certificate expiring
  within --cert-warning-days is a warning, default 30; within 7 days it is an alert).`,
  rollout: `halo rollout ${ROLLOUT_USAGE} [ID] [--json]
  The newest rollout unless ID is given. watch follows it until it ends (exit 4 if it did not
  complete).`,
  rollback: `halo rollback VERSION
  Rolls the declared topology of VERSION out again as a new version.`,
  token: `halo token create [--groups a,b] [--hosts h1,h2] [--ttl S] [--max-uses N] [--json]
halo token list [--json] | halo token revoke ID
  Join tokens expire after 24 h unless --ttl; --groups must exist; --hosts names hosts the token
  may claim although they already have an agent (re-imaging).`,
  host: `halo host list [--json] | halo host rm NAME [--yes]
  The cluster's hosts, declared or registered; rm revokes the host's agent.`,
  drain: `halo drain HOST [--grace SECONDS] [--wait] [--json]
  Drains a master: every node's LB and the external LB stop sending it new connections within
  seconds, and its open ones are closed by the end of the grace (default 30 s). --wait prints
  the progress (nodes still routing to it, connections open) until it is drained. Refused for a
  host that is not a master, and for the last master not drained.`,
  undrain: `halo undrain HOST [--json]
  Ends a drain: the master gets connections again.`,
  audit: `halo audit [--limit N] [--json]
  Who changed what, newest first.`,
  describe: `halo describe node HOST [--json]
  One node: its groups, apiserver URL and path, etcd endpoints, certificate SANs, the kinds it
  gets with their hashes, desired vs applied, drift, last error, and what its probes see.`,
  completion: `halo completion bash|zsh
  Prints a completion script: eval "$(halo completion bash)".`,
};

const WORDS = Object.keys(HELP).join(" ");

/** Shell completion for the commands (sub-commands and flags are few enough to type). */
export function completion(shell: string | undefined): string | null {
  if (shell === "bash")
    return `_halo() { COMPREPLY=( $(compgen -W "${WORDS} --help --version" -- "\${COMP_WORDS[COMP_CWORD]}") ); }\ncomplete -F _halo halo`;
  if (shell === "zsh") return `#compdef halo\n_arguments '1:command:(${WORDS})' '*::arg:_files'`;
  return null;
}
