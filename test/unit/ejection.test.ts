import { describe, expect, it } from "vitest";
import { ejectedOf, stepEjections, type EjectionState } from "../../shared/ejection.ts";

const B = ["m1", "m2", "m3"];
const ok = { ok: true };
const bad = { ok: false, error: "/readyz answered 500" };

/** Runs rounds of checks from an empty state; returns the state and who is out after each. */
function run(rounds: Array<Record<string, { ok: boolean; error?: string }>>, backends = B) {
  let s: EjectionState = {};
  const out: string[][] = [];
  for (const [i, r] of rounds.entries()) {
    s = stepEjections(s, backends, r, 1000 * i);
    out.push(ejectedOf(s));
  }
  return { s, out };
}

describe("taking LB backends out after failed readiness checks", () => {
  it("takes a backend out after 2 failures and puts it back after 2 passes", () => {
    const { out } = run([{ m2: bad }, { m2: bad }, { m2: ok }, { m2: ok }]);
    expect(out).toEqual([[], ["m2"], ["m2"], []]);
  });

  it("records since when and why a backend is out", () => {
    const { s } = run([{ m2: bad }, { m2: bad }]);
    expect(s.m2).toEqual({
      fails: 2,
      passes: 0,
      ejected: true,
      since: 1000,
      reason: "/readyz answered 500",
    });
  });

  it("needs consecutive failures: a pass in between starts over", () => {
    const { out } = run([{ m2: bad }, { m2: ok }, { m2: bad }]);
    expect(out).toEqual([[], [], []]);
  });

  it("never takes out the last ready backend", () => {
    const { out } = run(
      [{ m1: bad }, { m1: bad }, { m2: bad }, { m2: bad }, { m1: bad, m2: bad }],
      ["m1", "m2"],
    );
    expect(out).toEqual([[], ["m1"], ["m1"], [], []]);
  });

  it("keeps every backend in when none is ready, and takes out the failed ones once one is", () => {
    const down = { m1: bad, m2: bad, m3: bad };
    const { out } = run([down, down, down, { m1: ok, m2: bad, m3: bad }]);
    expect(out).toEqual([[], [], [], ["m2", "m3"]]);
  });

  it("forgets a backend the control plane no longer sends, and never adds one", () => {
    let s = run([{ m2: bad }, { m2: bad }]).s;
    s = stepEjections(s, ["m1", "m3"], { m9: bad }, 5000);
    expect(Object.keys(s).sort()).toEqual(["m1", "m3"]);
    expect(ejectedOf(s)).toEqual([]);
  });
});
