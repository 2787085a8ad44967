import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NodeList, PutTopologyResponse, RolloutList } from "../../shared/api-schemas.ts";
import { syntheticCluster } from "../../bench/compile.ts";
import { ALL_AT_ONCE, Fleet, waitFor } from "./fleet.ts";
import { simFleet } from "./sims.ts";

/**
 * Operators push faster than a rollout finishes: 50 agents (real WebSockets, simulated agents
 * that ack at once), 20 topology changes 0.5 s apart, under the default rollout policy (whose
 * rollouts supersede each other; bake shortened to 1 s) and under all-at-once. Every node must
 * end on the last version, never apply an older version after a newer one, and the rollout
 * history must say what happened to every step.
 */
const AGENTS = 50;
const CHANGES = 20;
const fleet = new Fleet();

async function churn(cluster: string): Promise<number> {
  let last = 0;
  for (let i = 1; i <= CHANGES; i++) {
    const t = syntheticCluster(AGENTS + 3, {
      loadbalancer_apiserver_localhost: true,
      loadbalancer_apiserver_healthcheck_port: 9000 + i,
    });
    const r = await fleet.call(PutTopologyResponse, "PUT", `/v1/clusters/${cluster}/topology`, t);
    expect(r.status).toBe(200);
    last = r.body.version;
    await new Promise((res) => setTimeout(res, 500));
  }
  return last;
}

async function settled(cluster: string, version: number): Promise<void> {
  await fleet.explain(
    waitFor(
      `every node of ${cluster} on version ${version}`,
      async () => {
        const { body } = await fleet.call(NodeList, "GET", `/v1/clusters/${cluster}/nodes`);
        const nodes = body.nodes.filter((n) => n.host.startsWith("node"));
        return (
          nodes.length === AGENTS &&
          nodes.every((n) => n.status === "applied" && n.applied?.version === version)
        );
      },
      90_000,
    ),
  );
}

beforeAll(() => fleet.start(), 60_000);
afterAll(() => fleet.stop());

describe.each([
  ["the default policy", "churn-default", { bakeSeconds: 1 }],
  ["all at once", "churn-all", ALL_AT_ONCE],
])("one change every 0.5 s under %s", (_name, cluster, policy) => {
  it(`ends every node on the last version, never going back, and explains every step`, async () => {
    const { acked } = await simFleet(fleet, cluster, policy, AGENTS);
    const last = await churn(cluster);
    await settled(cluster, last);
    await fleet.rollout(cluster, ["completed"], 90_000);
    for (const [host, versions] of acked) {
      expect(versions.at(-1), host).toBe(last);
      // Non-decreasing: no node was handed an older version after a newer one.
      expect(versions, host).toEqual([...versions].sort((a, b) => a - b));
    }
    const { body } = await fleet.call(RolloutList, "GET", `/v1/clusters/${cluster}/rollouts`);
    const steps = body.rollouts.filter((r) => r.toVersion > 1);
    expect(steps).toHaveLength(CHANGES);
    for (const r of steps) {
      if (r.toVersion === last) expect(r.state).toBe("completed");
      else if (r.state === "superseded") expect(r.reason).toMatch(/^superseded by version \d+$/);
      else expect(r.state).toBe("completed");
    }
  }, 180_000);
});
