import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NodeList, PutTopologyResponse, TopologyResponse } from "../../shared/api-schemas.ts";
import { ALL_AT_ONCE, Fleet, waitFor } from "./fleet.ts";
import { simFleet, type SimFleet } from "./sims.ts";

/**
 * Every deploy drops every socket: 100 agents (real WebSockets, reconnecting with the agent's
 * own backoff and full jitter) while the control plane is stopped and started on the same
 * state. Every agent must come back, the attempts must be spread, and no ack may be lost.
 */
const AGENTS = 100;
const CLUSTER = "storm";
const fleet = new Fleet();
let sims: SimFleet;

beforeAll(async () => {
  await fleet.start();
  sims = await simFleet(fleet, CLUSTER, ALL_AT_ONCE, AGENTS, { SIM_RECONNECT: "1" });
}, 120_000);
afterAll(() => fleet.stop());

const count = (prefix: string, since: number) =>
  sims.lines.filter((l) => l.startsWith(prefix) && Number(l.split(" ")[2]) >= since);

describe("a reconnect storm", () => {
  it("brings every agent back after a restart, with the attempts spread by jitter", async () => {
    const stopped = Date.now();
    await fleet.restartControlPlane();
    const restarted = Date.now();
    await fleet.explain(
      waitFor(
        "every agent back",
        () => new Set(count("back ", stopped).map((l) => l.split(" ")[1])).size === AGENTS,
        60_000,
      ),
    );
    const back = Math.max(...count("back ", stopped).map((l) => Number(l.split(" ")[2])));
    const attempts = count("attempt ", stopped).map((l) => Number(l.split(" ")[2]));
    const perSecond = new Map<number, number>();
    for (const t of attempts)
      perSecond.set(Math.floor(t / 1000), (perSecond.get(Math.floor(t / 1000)) ?? 0) + 1);
    const peak = Math.max(...perSecond.values());
    console.log(
      `reconnect storm, ${AGENTS} agents: restart took ${restarted - stopped} ms; every agent back ` +
        `${back - restarted} ms after the control plane answered; ${attempts.length} attempts, peak ${peak}/s`,
    );
    // Jitter spreads them: the retries are not one synchronized wave.
    expect(perSecond.size).toBeGreaterThan(1);
    expect(peak).toBeLessThan(attempts.length);
    const { body } = await fleet.call(NodeList, "GET", `/v1/clusters/${CLUSTER}/nodes`);
    await waitFor("every node connected in GET nodes", async () => {
      const r = await fleet.call(NodeList, "GET", `/v1/clusters/${CLUSTER}/nodes`);
      return r.body.nodes.filter((n) => n.host.startsWith("node") && n.connected).length === AGENTS;
    });
    expect(body.nodes.length).toBeGreaterThanOrEqual(AGENTS);
  }, 120_000);

  it("loses no ack: a change after the storm reaches and is acked by every agent", async () => {
    const t = (await fleet.call(TopologyResponse, "GET", `/v1/clusters/${CLUSTER}/topology`)).body
      .topology;
    if (!t) throw new Error("the cluster has no topology");
    const r = await fleet.call(PutTopologyResponse, "PUT", `/v1/clusters/${CLUSTER}/topology`, {
      ...t,
      vars: { ...t.vars, loadbalancer_apiserver_healthcheck_port: 9123 },
    });
    expect(r.status).toBe(200);
    await fleet.converged(CLUSTER, sims.hosts, 60_000);
    for (const h of sims.hosts) expect(sims.acked.get(h)?.at(-1), h).toBe(r.body.version);
  }, 120_000);
});
