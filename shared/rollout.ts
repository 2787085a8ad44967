import { z } from "zod";

/** How a topology version reaches the fleet: a canary, then waves, gated on acks and bake time. */
export const RolloutPolicySchema = z.strictObject({
  /** non-masters changed first, alone */
  canary: z.number().int().min(0).max(10_000).default(1),
  /** each wave: a count of hosts, or a cumulative percent of the changed non-masters ("25%") */
  waves: z
    .array(
      z.union([
        z.number().int().min(1).max(100_000),
        z.string().regex(/^(100|[1-9]?\d)%$/, "must be a percent such as 25%"),
      ]),
    )
    .min(1)
    .max(20)
    .default(["10%", "50%", "100%"]),
  /** failed nodes a wave tolerates before the rollout stops */
  maxFailures: z.number().int().min(0).max(100_000).default(0),
  /** seconds a node must have run the new config before it counts as healthy */
  bakeSeconds: z.number().int().min(0).max(86_400).default(5),
  /** seconds a wave may take before the rollout stops */
  waveDeadlineSeconds: z.number().int().min(1).max(86_400).default(120),
  /** on a breach, put the nodes already changed back on the last good version */
  autoRevert: z.boolean().default(true),
});
export type RolloutPolicy = z.infer<typeof RolloutPolicySchema>;
export const DEFAULT_POLICY: RolloutPolicy = RolloutPolicySchema.parse({});

export const ROLLOUT_STATES = [
  "in_progress",
  "paused",
  "completed",
  "reverted",
  "aborted",
  "superseded",
] as const;
export type RolloutState = (typeof ROLLOUT_STATES)[number];
export const RolloutStateSchema = z.enum(ROLLOUT_STATES);

/** States in which a rollout still moves nodes (or may again): at most one per cluster. */
export const ACTIVE_STATES = ["in_progress", "paused"] as const satisfies readonly RolloutState[];
export const isActive = (s: RolloutState) => (ACTIVE_STATES as readonly RolloutState[]).includes(s);

/** What an operator may do to a rollout. */
export const ROLLOUT_ACTIONS = ["pause", "resume", "abort", "rollback"] as const;
export type RolloutAction = (typeof ROLLOUT_ACTIONS)[number];
/** The actions that change a rollout in place (rollback starts a new one). */
export const IN_PLACE_ACTIONS = ROLLOUT_ACTIONS.filter(
  (a): a is Exclude<RolloutAction, "rollback"> => a !== "rollback",
);

/**
 * The operator's transitions: from which states each action is allowed, and the state it
 * leads to. `rollback` rolls the rollout's old version out again as a new version (a new
 * rollout), from any state; the others change this rollout.
 */
const TRANSITIONS: Record<
  RolloutAction,
  { from: readonly RolloutState[]; to: RolloutState | null }
> = {
  pause: { from: ["in_progress"], to: "paused" },
  resume: { from: ["paused"], to: "in_progress" },
  abort: { from: ACTIVE_STATES, to: "aborted" },
  rollback: { from: ROLLOUT_STATES, to: null },
};

/** The actions allowed on a rollout in `state`, in a stable order. */
export function allowedActions(state: RolloutState): RolloutAction[] {
  return ROLLOUT_ACTIONS.filter((a) => TRANSITIONS[a].from.includes(state));
}

/**
 * The state an action leads to from `state` (null for rollback, which starts a new rollout
 * and leaves this one as it is), or an error naming why it cannot be taken.
 */
export function transition(
  state: RolloutState,
  action: RolloutAction,
): { ok: true; to: RolloutState | null } | { ok: false; error: string } {
  const t = TRANSITIONS[action];
  if (!t.from.includes(state))
    return { ok: false, error: `cannot ${action} a rollout that is ${state}` };
  return { ok: true, to: t.to };
}

/** A node's standing in a wave, as a rollout shows it. */
export function waveNodeStatus(
  node: { appliedHash: string | null; failedHash: string | null } | undefined,
  target: string | undefined,
): "applied" | "failed" | "pending" {
  if (node && target !== undefined && node.appliedHash === target) return "applied";
  if (node && target !== undefined && node.failedHash === target) return "failed";
  return "pending";
}

/**
 * Splits the changed hosts into waves: the canary, then the policy's waves over the other
 * non-masters, then the masters in a wave of their own, so every non-master's LB config changes
 * before a master leaves service.
 */
export function planWaves(
  nonMasters: string[],
  masters: string[],
  policy: RolloutPolicy,
): string[][] {
  const waves: string[][] = [];
  let rest = [...nonMasters];
  const take = (n: number) => {
    const wave = rest.slice(0, Math.max(1, n));
    rest = rest.slice(wave.length);
    if (wave.length > 0) waves.push(wave);
  };
  if (policy.canary > 0 && rest.length > 0) take(policy.canary);
  let done = nonMasters.length - rest.length;
  for (const w of policy.waves) {
    if (rest.length === 0) break;
    const n =
      typeof w === "number"
        ? w
        : Math.ceil((nonMasters.length * Number(w.slice(0, -1))) / 100) - done;
    take(n);
    done = nonMasters.length - rest.length;
  }
  if (rest.length > 0) waves.push(rest);
  if (masters.length > 0) waves.push([...masters]);
  return waves;
}

/** A changed host that already runs a config, as wave planning sees it. */
export interface WaveHost {
  host: string;
  master: boolean;
  /** in group lb: the external LB, which carries everyone's traffic */
  lb: boolean;
}

/**
 * The whole wave plan for the changed hosts: ordinary nodes first (the canary is one of them),
 * then the external LB hosts, each in name order; the masters in a wave of their own, last.
 */
export function planRollout(hosts: WaveHost[], policy: RolloutPolicy): string[][] {
  const byName = (a: WaveHost, b: WaveHost) => (a.host < b.host ? -1 : a.host > b.host ? 1 : 0);
  const nonMasters = hosts
    .filter((h) => !h.master)
    .sort((a, b) => Number(a.lb) - Number(b.lb) || byName(a, b))
    .map((h) => h.host);
  const masters = hosts
    .filter((h) => h.master)
    .sort(byName)
    .map((h) => h.host);
  return planWaves(nonMasters, masters, policy);
}

/**
 * A wave's name, from the plan itself: "canary" only for a first wave of non-masters under a
 * policy with a canary; the masters' wave says so; the rest are numbered.
 */
export function waveLabel(
  index: number,
  hosts: string[],
  policy: Pick<RolloutPolicy, "canary">,
  isMaster: (host: string) => boolean,
): string {
  if (hosts.length > 0 && hosts.every(isMaster)) return "masters";
  if (index === 0 && policy.canary > 0) return "canary";
  return `wave ${index}`;
}

/** What the hub knows of one node of the current wave. */
export interface WaveNode {
  host: string;
  /** the bundle hash the node should reach in this rollout */
  target: string;
  appliedHash: string | null;
  appliedAt: number | null;
  failedHash: string | null;
}

export type WaveVerdict =
  | { kind: "wait"; until: number; healthy: number; failed: number }
  | { kind: "done" }
  | { kind: "breach"; reason: string };

/**
 * Judges the current wave: done when every node runs its target and has baked; a breach when
 * more than maxFailures nodes failed it, or the deadline passed first.
 */
export function judgeWave(
  nodes: WaveNode[],
  startedAt: number,
  now: number,
  policy: RolloutPolicy,
): WaveVerdict {
  const bakeMs = policy.bakeSeconds * 1000;
  const failed = nodes.filter((n) => n.failedHash === n.target && n.appliedHash !== n.target);
  if (failed.length > policy.maxFailures) {
    return {
      kind: "breach",
      reason: `${failed.length} node(s) failed: ${failed
        .map((n) => n.host)
        .slice(0, 10)
        .join(", ")}`,
    };
  }
  const running = nodes.filter((n) => n.appliedHash === n.target);
  const healthy = running.filter((n) => (n.appliedAt ?? now) + bakeMs <= now);
  if (healthy.length + failed.length === nodes.length) return { kind: "done" };
  const deadline = startedAt + policy.waveDeadlineSeconds * 1000;
  if (now >= deadline) {
    return {
      kind: "breach",
      reason: `wave deadline passed: ${nodes.length - healthy.length - failed.length} node(s) not applied and baked`,
    };
  }
  const bakeEnds = running
    .filter((n) => !healthy.includes(n))
    .map((n) => (n.appliedAt ?? now) + bakeMs);
  return {
    kind: "wait",
    until: Math.min(deadline, ...bakeEnds, now + 1000),
    healthy: healthy.length,
    failed: failed.length,
  };
}
