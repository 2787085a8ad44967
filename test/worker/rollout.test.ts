import { describe, expect, it } from "vitest";
import { AutoAgent } from "./agent-sim.ts";
import { api, json, register, TOPOLOGY, uniqueCluster, until } from "./helpers.ts";

const FAST = {
  canary: 1,
  waves: ["100%"],
  bakeSeconds: 0,
  waveDeadlineSeconds: 30,
  autoRevert: true,
};
const withN3 = (vars: Record<string, unknown> = {}) => ({
  ...TOPOLOGY,
  hosts: { ...TOPOLOGY.hosts, n3: { ip: "10.0.1.3" } },
  groups: { ...TOPOLOGY.groups, "kube-node": { hosts: ["n1", "n2", "n3"], children: [] } },
  vars,
});

type Summary = {
  version: number;
  stableVersion: number;
  rollout: { id: number; state: string; reason: string | null } | null;
};
type NodeRow = { host: string; status: string; desired: { version: number } };

const summary = async (c: string) => json<Summary>(await api("GET", `/v1/clusters/${c}`));
const rolloutIn = (c: string, states: string[]) =>
  until(`rollout of ${c} in ${states.join("/")}`, async () => {
    const s = await summary(c);
    return s.rollout && states.includes(s.rollout.state) && s;
  });
const nodeRows = async (c: string) =>
  (await json<{ nodes: NodeRow[] }>(await api("GET", `/v1/clusters/${c}/nodes`))).nodes;

/** A cluster of m1, e3, n1-n3 with auto-acking agents on m1 and n1-n3, all applied. */
async function fleet(policy: object, fail: Record<string, (content: string) => boolean> = {}) {
  const c = uniqueCluster("r");
  await api("POST", "/v1/clusters", { body: { name: c, rolloutPolicy: policy } });
  await api("PUT", `/v1/clusters/${c}/topology`, { body: withN3() });
  const agents: Record<string, AutoAgent> = {};
  for (const [h, ip] of [
    ["m1", "10.0.0.1"],
    ["n1", "10.0.1.1"],
    ["n2", "10.0.1.2"],
    ["n3", "10.0.1.3"],
  ] as const) {
    agents[h] = await AutoAgent.start(await register(c, h, ip), h, fail[h]);
  }
  await until(
    "all applied",
    async () => (await nodeRows(c)).filter((n) => n.status === "applied").length === 4,
  );
  return { c, agents };
}

describe("rollouts", () => {
  it("completes a good change wave by wave: the canary first, then the rest", async () => {
    const { c, agents } = await fleet(FAST);
    await api("PUT", `/v1/clusters/${c}/topology`, {
      body: withN3({ loadbalancer_apiserver_localhost: true }),
    });
    const s = await rolloutIn(c, ["completed"]);
    expect(s.stableVersion).toBe(2);
    const detail = await json<{
      waves: Array<{ name: string; state: string; nodes: Array<{ host: string; status: string }> }>;
    }>(await api("GET", `/v1/clusters/${c}/rollouts/${s.rollout?.id}`));
    expect(detail.waves).toEqual([
      {
        index: 0,
        name: "canary",
        state: "done",
        nodes: [{ host: "n1", status: "applied", error: null }],
      },
      {
        index: 1,
        name: "wave 1",
        state: "done",
        nodes: [
          { host: "n2", status: "applied", error: null },
          { host: "n3", status: "applied", error: null },
        ],
      },
    ]);
    const at = (h: string) => agents[h]?.received.find((r) => r.version === 2)?.at ?? Infinity;
    expect(at("n1")).toBeLessThanOrEqual(at("n2"));
    expect(agents.m1?.got(2)).toBe(false);
  });

  it("stops a change the canary fails and reverts it; the other nodes never receive it", async () => {
    const { c, agents } = await fleet(FAST, {
      n1: (content) => content.includes("localhost:7443"),
    });
    await api("PUT", `/v1/clusters/${c}/topology`, {
      body: withN3({ loadbalancer_apiserver_localhost: true, kube_apiserver_port: 7443 }),
    });
    const s = await rolloutIn(c, ["reverted"]);
    expect(s.rollout?.reason).toBe("1 node(s) failed: n1");
    expect(s.stableVersion).toBe(1);
    expect(agents.n1?.got(2)).toBe(true);
    expect(agents.n2?.got(2)).toBe(false);
    expect(agents.n3?.got(2)).toBe(false);
    const n1 = (await nodeRows(c)).find((n) => n.host === "n1");
    expect(n1?.desired.version).toBe(1);
  });

  it("applying a reverted version again starts a new rollout of it, saying so", async () => {
    let refuse = true;
    const { c, agents } = await fleet(FAST, {
      n1: (content) => refuse && content.includes("localhost:443"),
    });
    const change = withN3({ loadbalancer_apiserver_localhost: true });
    await api("PUT", `/v1/clusters/${c}/topology`, { body: change });
    const reverted = await rolloutIn(c, ["reverted"]);
    refuse = false;
    const plan = await api("PUT", `/v1/clusters/${c}/topology?dryRun=true`, { body: change });
    expect(await json(plan)).toMatchObject({
      version: 2,
      changed: ["n1", "n2", "n3"],
      removed: [],
      retried: true,
    });
    const again = await api("PUT", `/v1/clusters/${c}/topology`, { body: change });
    expect(await json(again)).toEqual({
      version: 2,
      changed: ["n1", "n2", "n3"],
      removed: [],
      retried: true,
    });
    const s = await until("the new rollout completed", async () => {
      const x = await summary(c);
      return (
        x.rollout && x.rollout.id !== reverted.rollout?.id && x.rollout.state === "completed" && x
      );
    });
    expect(s.stableVersion).toBe(2);
    expect(agents.n2?.got(2)).toBe(true);
    // Once the fleet is on it, the same topology is just a no-op.
    expect(await json(await api("PUT", `/v1/clusters/${c}/topology`, { body: change }))).toEqual({
      version: 2,
      changed: [],
      removed: [],
    });
  });

  it("pauses on a breach when autoRevert is off, keeping the canary's change; resume retries the wave", async () => {
    let refuse = true;
    const { c, agents } = await fleet(
      { ...FAST, autoRevert: false },
      { n1: (content) => refuse && content.includes("localhost:443") },
    );
    await api("PUT", `/v1/clusters/${c}/topology`, {
      body: withN3({ loadbalancer_apiserver_localhost: true }),
    });
    const s = await rolloutIn(c, ["paused"]);
    expect(s.rollout?.reason).toBe("1 node(s) failed: n1");
    expect((await nodeRows(c)).find((n) => n.host === "n1")?.desired.version).toBe(2);
    expect(agents.n2?.got(2)).toBe(false);
    refuse = false;
    await api("POST", `/v1/clusters/${c}/rollouts/${s.rollout?.id}/resume`);
    // Resume retries the wave: the canary gets the same bundle again and now applies it.
    await rolloutIn(c, ["completed"]);
    expect(agents.n1?.received.filter((r) => r.version === 2).length).toBe(2);
    expect(agents.n2?.got(2)).toBe(true);
  });

  it("a join during a paused rollout leaves it paused: nobody else gets the paused version", async () => {
    const { c, agents } = await fleet(
      { ...FAST, autoRevert: false },
      { n1: (content) => content.includes("localhost:443") },
    );
    await api("PUT", `/v1/clusters/${c}/topology`, {
      body: withN3({ loadbalancer_apiserver_localhost: true }),
    });
    const paused = await rolloutIn(c, ["paused"]);
    const n4 = await AutoAgent.start(await register(c, "n4", "10.0.1.4", ["kube-node"]), "n4");
    // The new host gets its config; the rollout, the other nodes and n1's failure stay.
    await until("n4 applied", async () =>
      (await nodeRows(c)).find((n) => n.host === "n4" && n.status === "applied"),
    );
    expect(n4.received.length).toBeGreaterThan(0);
    const s = await summary(c);
    expect(s.rollout).toMatchObject({ id: paused.rollout?.id, state: "paused" });
    expect(s.stableVersion).toBe(1);
    const rows = await nodeRows(c);
    expect(rows.find((n) => n.host === "n1")?.status).toBe("failed");
    for (const h of ["n2", "n3", "m1"]) {
      expect(rows.find((n) => n.host === h)?.desired.version).toBe(1);
      expect(agents[h]?.got(2) || agents[h]?.got(3)).toBe(false);
    }
  });

  it("a join into a fleet at rest changes no one else and needs no rollout", async () => {
    const { c, agents } = await fleet(FAST);
    const before = await summary(c);
    await AutoAgent.start(await register(c, "n4", "10.0.1.4", ["kube-node"]), "n4");
    await until("n4 applied", async () =>
      (await nodeRows(c)).find((n) => n.host === "n4" && n.status === "applied"),
    );
    const after = await summary(c);
    expect(after.version).toBe(before.version + 1);
    expect(after.stableVersion).toBe(after.version);
    expect(after.rollout?.id ?? null).toBe(before.rollout?.id ?? null);
    expect(agents.n2?.got(after.version)).toBe(false);
  });

  it("rolls back to an earlier version as a new rollout", async () => {
    const { c } = await fleet(FAST);
    await api("PUT", `/v1/clusters/${c}/topology`, {
      body: withN3({ loadbalancer_apiserver_localhost: true }),
    });
    await rolloutIn(c, ["completed"]);
    const res = await api("POST", `/v1/clusters/${c}/rollback`, { body: { version: 1 } });
    expect(res.status).toBe(201);
    expect(await json(res)).toMatchObject({
      version: 3,
      changed: ["n1", "n2", "n3"],
      rollout: { toVersion: 3, fromVersion: 2 },
    });
    const s = await until("rollback completed", async () => {
      const x = await summary(c);
      return x.stableVersion === 3 && x;
    });
    expect(s.rollout?.state).toBe("completed");
    const t = await json<{ topology: unknown }>(await api("GET", `/v1/clusters/${c}/topology`));
    expect(t.topology).toEqual(withN3());
  });

  it("pauses, resumes and aborts; abort puts changed nodes back", async () => {
    const { c } = await fleet({ ...FAST, bakeSeconds: 3600 });
    await api("PUT", `/v1/clusters/${c}/topology`, {
      body: withN3({ loadbalancer_apiserver_localhost: true }),
    });
    const s = await rolloutIn(c, ["in_progress"]);
    const id = s.rollout?.id;
    await until("canary applied", async () =>
      (await nodeRows(c)).find(
        (n) => n.host === "n1" && n.desired.version === 2 && n.status === "applied",
      ),
    );
    expect(
      (await json<{ state: string }>(await api("POST", `/v1/clusters/${c}/rollouts/${id}/pause`)))
        .state,
    ).toBe("paused");
    expect((await api("POST", `/v1/clusters/${c}/rollouts/${id}/pause`)).status).toBe(409);
    expect(
      (await json<{ state: string }>(await api("POST", `/v1/clusters/${c}/rollouts/${id}/resume`)))
        .state,
    ).toBe("in_progress");
    expect(
      (await json<{ state: string }>(await api("POST", `/v1/clusters/${c}/rollouts/${id}/abort`)))
        .state,
    ).toBe("aborted");
    expect((await nodeRows(c)).find((n) => n.host === "n1")?.desired.version).toBe(1);
  });

  it("stops when the canary stays silent past the wave deadline", async () => {
    const c = uniqueCluster("r");
    await api("POST", "/v1/clusters", {
      body: { name: c, rolloutPolicy: { ...FAST, waveDeadlineSeconds: 1 } },
    });
    await api("PUT", `/v1/clusters/${c}/topology`, { body: withN3() });
    for (const [h, ip] of [
      ["n1", "10.0.1.1"],
      ["n2", "10.0.1.2"],
    ] as const)
      await AutoAgent.start(await register(c, h, ip), h);
    await until(
      "applied",
      async () => (await nodeRows(c)).filter((n) => n.status === "applied").length === 2,
    );
    // n1 goes silent: its machine is re-imaged and its socket closes, so the canary never acks.
    await register(c, "n1", "10.0.1.1", undefined, { reimage: true });
    await api("PUT", `/v1/clusters/${c}/topology`, {
      body: withN3({ loadbalancer_apiserver_localhost: true }),
    });
    const s = await rolloutIn(c, ["reverted"]);
    expect(s.rollout?.reason).toMatch(/^wave deadline passed: 1 node\(s\) not applied and baked$/);
  });

  it("a new topology version supersedes the rollout in progress", async () => {
    const { c } = await fleet({ ...FAST, bakeSeconds: 3600 });
    await api("PUT", `/v1/clusters/${c}/topology`, {
      body: withN3({ loadbalancer_apiserver_localhost: true }),
    });
    const first = (await rolloutIn(c, ["in_progress"])).rollout?.id;
    await api("PUT", `/v1/clusters/${c}/topology`, {
      body: withN3({ loadbalancer_apiserver_localhost: true, kube_apiserver_port: 6443 }),
    });
    const list = await json<{ rollouts: Array<{ id: number; state: string; toVersion: number }> }>(
      await api("GET", `/v1/clusters/${c}/rollouts`),
    );
    expect(list.rollouts.slice(0, 2).map((r) => [r.toVersion, r.state])).toEqual([
      [3, "in_progress"],
      [2, "superseded"],
    ]);
    expect(list.rollouts[1]?.id).toBe(first);
  });

  it("refuses a bad policy naming the field", async () => {
    const c = uniqueCluster("r");
    await api("POST", "/v1/clusters", { body: { name: c } });
    const res = await api("PUT", `/v1/clusters/${c}/rollout-policy`, { body: { waves: ["150%"] } });
    expect(res.status).toBe(422);
    expect(
      (await json<{ errors: Array<{ path: string }> }>(res)).errors.map((e) => e.path),
    ).toEqual(["waves.0"]);
  });
});

describe("rollouts of large waves", () => {
  it("judges and completes a wave of 150 nodes (more than D1's bound-parameter limit)", async () => {
    const { env } = await import("cloudflare:test");
    const { db } = await import("../../worker/db/client.ts");
    const { advanceRollout } = await import("../../worker/rollout/advance.ts");
    const c = uniqueCluster("big");
    await api("POST", "/v1/clusters", {
      body: { name: c, rolloutPolicy: { canary: 0, waves: ["100%"], bakeSeconds: 0 } },
    });
    const hosts: Record<string, { ip: string }> = { m1: { ip: "10.9.0.1" } };
    const names = Array.from({ length: 150 }, (_, i) => `n${i}`);
    names.forEach((n, i) => (hosts[n] = { ip: `10.9.1.${i + 1}` }));
    const topo = (vars: object) => ({
      hosts,
      groups: {
        "kube-master": { hosts: ["m1"] },
        etcd: { hosts: ["m1"] },
        "kube-node": { hosts: names },
      },
      vars,
    });
    await api("PUT", `/v1/clusters/${c}/topology`, { body: topo({}) });
    const { token } = await json<{ token: string }>(
      await api("POST", `/v1/clusters/${c}/join-tokens`, { body: {} }),
    );
    for (const n of names)
      await api("POST", "/v1/register", {
        token: null,
        body: { token, hostname: n, ip: hosts[n]?.ip },
      });
    // Every node reports the bundle it should run (as its agent's ack would).
    const ack = async () => {
      for (const n of await nodeRows(c)) {
        await env.DB.prepare(
          "UPDATE nodes SET applied_hash = ?, applied_version = ?, applied_at = 0 WHERE cluster = ? AND host = ?",
        )
          .bind(
            (n as NodeRow & { desired: { hash: string } }).desired.hash,
            n.desired.version,
            c,
            n.host,
          )
          .run();
      }
    };
    await ack();
    await api("PUT", `/v1/clusters/${c}/topology`, {
      body: topo({ loadbalancer_apiserver_localhost: true }),
    });
    expect((await summary(c)).rollout?.state).toBe("in_progress");
    await ack();
    expect(await advanceRollout(db(env.DB), c)).toEqual({
      next: null,
      changed: false,
      moved: true,
    });
    const s = await summary(c);
    expect([s.rollout?.state, s.stableVersion]).toEqual(["completed", 2]);
  }, 60_000);
});
