import { describe, expect, it } from "vitest";
import {
  ACTIVE_STATES,
  allowedActions,
  DEFAULT_POLICY,
  isActive,
  transition,
  waveNodeStatus,
  judgeWave,
  planRollout,
  planWaves,
  RolloutPolicySchema,
  waveLabel,
  type WaveHost,
  type WaveNode,
} from "../../shared/rollout.ts";

const nodes = (n: number) => Array.from({ length: n }, (_, i) => `n${i}`);
const sizes = (w: string[][]) => w.map((x) => x.length);

describe("planning waves", () => {
  it("is safe for 3 nodes: one at a time, masters last", () => {
    expect(planWaves(nodes(3), ["m1", "m2"], DEFAULT_POLICY)).toEqual([
      ["n0"],
      ["n1"],
      ["n2"],
      ["m1", "m2"],
    ]);
  });

  it("scales for 5,000 nodes: a canary, then 10%, 50% and the rest", () => {
    expect(sizes(planWaves(nodes(5000), ["m1", "m2", "m3"], DEFAULT_POLICY))).toEqual([
      1, 499, 2000, 2500, 3,
    ]);
  });

  it("takes counts as counts and ends with the remainder", () => {
    const p = RolloutPolicySchema.parse({ canary: 2, waves: [3, 4] });
    expect(sizes(planWaves(nodes(20), [], p))).toEqual([2, 3, 4, 11]);
  });

  it("sends everything at once with no canary and 100%", () => {
    const p = RolloutPolicySchema.parse({ canary: 0, waves: ["100%"] });
    expect(planWaves(nodes(4), ["m1"], p)).toEqual([["n0", "n1", "n2", "n3"], ["m1"]]);
  });

  it("has no wave when nothing changes", () => {
    expect(planWaves([], [], DEFAULT_POLICY)).toEqual([]);
  });
});

const T = "t".repeat(64);
const node = (host: string, over: Partial<WaveNode> = {}): WaveNode => ({
  host,
  target: T,
  appliedHash: null,
  appliedAt: null,
  failedHash: null,
  ...over,
});
const policy = RolloutPolicySchema.parse({
  bakeSeconds: 5,
  waveDeadlineSeconds: 60,
  maxFailures: 0,
});

describe("judging a wave", () => {
  it.each([
    ["waits for acks", [node("a")], 1000, { kind: "wait", until: 2000, healthy: 0, failed: 0 }],
    [
      "waits for the bake time after an ack",
      [node("a", { appliedHash: T, appliedAt: 1000 })],
      3000,
      { kind: "wait", until: 4000, healthy: 0, failed: 0 },
    ],
    [
      "is done once every node acked and baked",
      [node("a", { appliedHash: T, appliedAt: 1000 })],
      6000,
      { kind: "done" },
    ],
    [
      "breaches on a failure past maxFailures",
      [node("a", { failedHash: T }), node("b")],
      1000,
      { kind: "breach", reason: "1 node(s) failed: a" },
    ],
    [
      "ignores a failure of another bundle",
      [node("a", { failedHash: "x".repeat(64), appliedHash: T, appliedAt: 0 })],
      6000,
      { kind: "done" },
    ],
    [
      "breaches at the deadline",
      [node("a"), node("b", { appliedHash: T, appliedAt: 0 })],
      60_000,
      { kind: "breach", reason: "wave deadline passed: 1 node(s) not applied and baked" },
    ],
  ] as const)("%s", (_name, wave, now, verdict) => {
    expect(judgeWave([...wave], 0, now, policy)).toEqual(verdict);
  });

  it("tolerates failures up to maxFailures", () => {
    const lenient = RolloutPolicySchema.parse({ maxFailures: 1, bakeSeconds: 0 });
    expect(
      judgeWave(
        [node("a", { failedHash: T }), node("b", { appliedHash: T, appliedAt: 0 })],
        0,
        10,
        lenient,
      ),
    ).toEqual({ kind: "done" });
  });
});

describe("planRollout: the order of the waves", () => {
  const host = (h: string, role: Partial<WaveHost> = {}): WaveHost => ({
    host: h,
    master: false,
    lb: false,
    ...role,
  });
  const policy = RolloutPolicySchema.parse({ canary: 1, waves: ["100%"] });

  it("puts ordinary nodes first (the canary is one), then the lb hosts, then the masters alone", () => {
    const waves = planRollout(
      [
        host("lb1", { lb: true }),
        host("m2", { master: true }),
        host("n2"),
        host("m1", { master: true }),
        host("n1"),
        host("lb0", { lb: true }),
      ],
      policy,
    );
    expect(waves).toEqual([["n1"], ["n2", "lb0", "lb1"], ["m1", "m2"]]);
  });

  it("makes the lb host the canary only when there is no ordinary node", () => {
    expect(planRollout([host("lb1", { lb: true }), host("m1", { master: true })], policy)).toEqual([
      ["lb1"],
      ["m1"],
    ]);
  });
});

describe("waveLabel: names from the plan itself", () => {
  const masters = new Set(["m1", "m2"]);
  const isMaster = (h: string) => masters.has(h);

  it("calls the first wave of non-masters the canary, and a masters-only wave masters", () => {
    const waves = [["n1"], ["n2", "n3"], ["m1", "m2"]];
    expect(waves.map((w, i) => waveLabel(i, w, { canary: 1 }, isMaster))).toEqual([
      "canary",
      "wave 1",
      "masters",
    ]);
  });

  it("never calls a masters-only first wave the canary", () => {
    expect(waveLabel(0, ["m1"], { canary: 1 }, isMaster)).toBe("masters");
    expect(waveLabel(0, ["n1"], { canary: 0 }, isMaster)).toBe("wave 0");
  });
});

describe("the rollout state machine", () => {
  it("allows each operator action only from its states", () => {
    expect(allowedActions("in_progress")).toEqual(["pause", "abort", "rollback"]);
    expect(allowedActions("paused")).toEqual(["resume", "abort", "rollback"]);
    for (const s of ["completed", "reverted", "aborted", "superseded"] as const)
      expect(allowedActions(s)).toEqual(["rollback"]);
  });

  it("says where an action leads, or why it cannot be taken", () => {
    expect(transition("in_progress", "pause")).toEqual({ ok: true, to: "paused" });
    expect(transition("paused", "resume")).toEqual({ ok: true, to: "in_progress" });
    expect(transition("paused", "abort")).toEqual({ ok: true, to: "aborted" });
    expect(transition("completed", "rollback")).toEqual({ ok: true, to: null });
    expect(transition("completed", "pause")).toEqual({
      ok: false,
      error: "cannot pause a rollout that is completed",
    });
    expect(ACTIVE_STATES.filter((s) => isActive(s))).toEqual(["in_progress", "paused"]);
    expect(isActive("superseded")).toBe(false);
  });

  it("gives a wave's node its standing against the wave's target", () => {
    expect(waveNodeStatus({ appliedHash: "a", failedHash: null }, "a")).toBe("applied");
    expect(waveNodeStatus({ appliedHash: "b", failedHash: "a" }, "a")).toBe("failed");
    expect(waveNodeStatus({ appliedHash: "b", failedHash: null }, "a")).toBe("pending");
    expect(waveNodeStatus(undefined, "a")).toBe("pending");
  });
});
