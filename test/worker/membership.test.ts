import { describe, expect, it } from "vitest";
import { connect } from "./agent-sim.ts";
import { api, clusterWith, json, register, TOPOLOGY, uniqueCluster, until } from "./helpers.ts";

type Topo = {
  version: number;
  topology: { hosts: Record<string, unknown>; groups: Record<string, { hosts: string[] }> };
  registered: string[];
};
type NodeRow = {
  host: string;
  status: string;
  registered: boolean;
  connected: boolean;
  lastSeen: string | null;
  lastError: string | null;
};

const topology = async (c: string) => json<Topo>(await api("GET", `/v1/clusters/${c}/topology`));
const nodes = async (c: string) =>
  (await json<{ nodes: NodeRow[] }>(await api("GET", `/v1/clusters/${c}/nodes`))).nodes;
const agentConfig = (token: string) => api("GET", "/v1/agent/config", { token });

/** Two agents that joined with a kube-node token and that the inventory never mentions. */
async function clusterWithJoined() {
  const c = await clusterWith();
  const n8 = await register(c, "n8", "10.0.1.8", ["kube-node"]);
  const n9 = await register(c, "n9", "10.0.1.9", ["kube-node"]);
  return { c, n8, n9 };
}

describe("declared and registered hosts", () => {
  it("keeps registered hosts through a PUT that does not mention them, and names them", async () => {
    const { c, n8 } = await clusterWithJoined();
    const socket = await connect(n8);
    socket.hello("n8");
    await socket.next();
    const put = await api("PUT", `/v1/clusters/${c}/topology`, {
      body: { ...TOPOLOGY, vars: { loadbalancer_apiserver_localhost: true } },
    });
    expect(put.status).toBe(200);
    expect((await json<{ removed: string[] }>(put)).removed).toEqual([]);
    const t = await topology(c);
    expect(t.registered).toEqual(["n8", "n9"]);
    expect(t.topology.groups["kube-node"]?.hosts).toEqual(["n1", "n2", "n8", "n9"]);
    expect((await nodes(c)).map((n) => n.host).sort()).toEqual([
      "e3",
      "m1",
      "m2",
      "n1",
      "n2",
      "n8",
      "n9",
    ]);
    // n8 keeps its socket and gets the new config (the localhost LB).
    const next = await socket.next();
    expect(next.type === "config" && next.bundle.artifacts.map((a) => a.kind)).toContain("nginx");
    expect((await agentConfig(n8)).status).toBe(200);
  });

  it("makes a registered host declared when a PUT lists it", async () => {
    const { c } = await clusterWithJoined();
    const body = {
      ...TOPOLOGY,
      hosts: { ...TOPOLOGY.hosts, n8: { ip: "10.0.1.8" } },
      groups: { ...TOPOLOGY.groups, "kube-node": { hosts: ["n1", "n2", "n8"], children: [] } },
    };
    await api("PUT", `/v1/clusters/${c}/topology`, { body });
    expect((await topology(c)).registered).toEqual(["n9"]);
    const pruned = await api("PUT", `/v1/clusters/${c}/topology?prune=true`, { body });
    expect((await json(pruned)).removed).toEqual(["n9"]);
    expect((await topology(c)).registered).toEqual([]);
  });

  it("prunes registered hosts: the dry run lists them, then their sockets close with 4001 and every call gets 401", async () => {
    const { c, n8, n9 } = await clusterWithJoined();
    const socket = await connect(n8);
    socket.hello("n8");
    await socket.next();
    const plan = await api("PUT", `/v1/clusters/${c}/topology?prune=true&dryRun=true`, {
      body: TOPOLOGY,
    });
    expect(await json(plan)).toMatchObject({ removed: ["n8", "n9"], changed: [] });
    expect((await topology(c)).registered).toEqual(["n8", "n9"]);

    const put = await api("PUT", `/v1/clusters/${c}/topology?prune=true`, { body: TOPOLOGY });
    expect(await json(put)).toMatchObject({ removed: ["n8", "n9"] });
    expect(await socket.untilClosed()).toEqual({ code: 4001, reason: "credential revoked" });
    expect((await agentConfig(n8)).status).toBe(401);
    expect((await agentConfig(n9)).status).toBe(401);
    expect((await nodes(c)).map((n) => n.host)).not.toContain("n8");
  });

  it("a PUT that drops a declared host revokes its agent; a later host of that name starts from nothing", async () => {
    const c = await clusterWith();
    const n2 = await register(c, "n2", "10.0.1.2");
    const socket = await connect(n2);
    socket.hello("n2");
    await socket.next();
    const without = {
      ...TOPOLOGY,
      hosts: {
        m1: TOPOLOGY.hosts.m1,
        m2: TOPOLOGY.hosts.m2,
        e3: TOPOLOGY.hosts.e3,
        n1: TOPOLOGY.hosts.n1,
      },
      groups: { ...TOPOLOGY.groups, "kube-node": { hosts: ["n1"], children: [] } },
    };
    const dropped = await api("PUT", `/v1/clusters/${c}/topology`, { body: without });
    expect(await json(dropped)).toMatchObject({ removed: ["n2"] });
    expect((await socket.untilClosed()).code).toBe(4001);
    expect((await agentConfig(n2)).status).toBe(401);

    await api("PUT", `/v1/clusters/${c}/topology`, { body: TOPOLOGY });
    expect((await agentConfig(n2)).status).toBe(401);
    expect((await nodes(c)).find((n) => n.host === "n2")).toMatchObject({
      status: "unregistered",
      registered: false,
    });
  });

  it("DELETE of a host revokes its agent", async () => {
    const { c, n9 } = await clusterWithJoined();
    const socket = await connect(n9);
    socket.hello("n9");
    await socket.next();
    const del = await api("DELETE", `/v1/clusters/${c}/hosts/n9`);
    expect(await json(del)).toMatchObject({ removed: ["n9"] });
    expect((await socket.untilClosed()).code).toBe(4001);
    expect((await agentConfig(n9)).status).toBe(401);
    expect((await topology(c)).registered).toEqual(["n8"]);
  });
});

describe("registration cannot take over a host", () => {
  const token = async (c: string, body: object = {}) =>
    (await json<{ token: string }>(await api("POST", `/v1/clusters/${c}/join-tokens`, { body })))
      .token;
  const join = (t: string, hostname: string, ip: string) =>
    api("POST", "/v1/register", { token: null, body: { token: t, hostname, ip } });

  it("refuses a kube-node token claiming a declared master; the master's agent keeps working", async () => {
    const c = await clusterWith();
    const m1 = await register(c, "m1", "10.0.0.1");
    const before = await topology(c);
    const res = await join(await token(c), "m1", "10.6.6.6");
    expect(res.status).toBe(409);
    expect(await json(res)).toMatchObject({ type: "https://halo.dev/problems/host-registered" });
    const declared = await join(await token(c), "m2", "10.6.6.6");
    expect(declared.status).toBe(403);
    expect((await json(declared)).detail).toMatch(/declared in 'kube-master', 'etcd'/);
    expect((await agentConfig(m1)).status).toBe(200);
    expect(await topology(c)).toEqual(before);
  });

  it("a cloned machine with a registered host's name gets 409; the first one keeps its credential", async () => {
    const c = await clusterWith();
    const t = await token(c);
    const first = await join(t, "n7", "10.0.1.7");
    expect(first.status).toBe(201);
    const clone = await join(t, "n7", "10.0.1.77");
    expect(clone.status).toBe(409);
    const { nodeToken } = await json<{ nodeToken: string }>(first);
    expect((await agentConfig(nodeToken)).status).toBe(200);
  });

  it("a token naming the host replaces a re-imaged machine: the old credential and socket go", async () => {
    const c = await clusterWith();
    const old = await register(c, "n1", "10.0.1.1");
    const socket = await connect(old);
    socket.hello("n1");
    await socket.next();
    const reimage = await token(c, { hosts: ["n1"] });
    const res = await join(reimage, "n1", "10.0.1.1");
    expect(res.status).toBe(201);
    expect((await socket.untilClosed()).code).toBe(4001);
    expect((await agentConfig(old)).status).toBe(401);
    // Single use by default: replayed, it cannot revoke the new agent.
    const replay = await join(reimage, "n1", "10.0.1.1");
    expect(replay.status).toBe(401);
    expect(await json(replay)).toMatchObject({ detail: "token: the join token is used up" });
  });

  it("lets 20 agents join at once, each with its own credential", async () => {
    const c = await clusterWith();
    const t = await token(c);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => join(t, `w${i}`, `10.0.9.${i + 1}`)),
    );
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(201));
    const creds = await Promise.all(results.map((r) => json<{ nodeToken: string }>(r)));
    expect(new Set(creds.map((x) => x.nodeToken)).size).toBe(20);
    expect((await topology(c)).registered).toHaveLength(20);
  });
});

describe("join tokens", () => {
  it("expire after 24 hours by default, list without their secret, and can be revoked", async () => {
    const c = await clusterWith();
    const created = await json<{ id: string; token: string; expiresAt: string }>(
      await api("POST", `/v1/clusters/${c}/join-tokens`, { body: { hosts: ["n1"] } }),
    );
    const ttl = Date.parse(created.expiresAt) - Date.now();
    expect(ttl).toBeGreaterThan(24 * 3600_000 - 60_000);
    expect(ttl).toBeLessThanOrEqual(24 * 3600_000);
    const list = await json<{ tokens: Array<Record<string, unknown>> }>(
      await api("GET", `/v1/clusters/${c}/join-tokens`),
    );
    expect(list.tokens).toEqual([
      expect.objectContaining({
        id: created.id,
        groups: ["kube-node"],
        hosts: ["n1"],
        uses: 0,
        expired: false,
      }),
    ]);
    // The secret is everything after the id: base64url, so it may itself hold "_".
    const secret = /^[a-z]+_[0-9a-f]+_(.+)$/.exec(created.token)?.[1] ?? "";
    expect(secret.length).toBeGreaterThan(20);
    expect(JSON.stringify(list)).not.toContain(secret);
    expect((await api("DELETE", `/v1/clusters/${c}/join-tokens/${created.id}`)).status).toBe(204);
    const after = await api("POST", "/v1/register", {
      token: null,
      body: { token: created.token, hostname: "n5", ip: "10.0.1.5" },
    });
    expect(after.status).toBe(401);
    expect((await api("DELETE", `/v1/clusters/${c}/join-tokens/${created.id}`)).status).toBe(404);
  });

  it("refuses groups that do not exist, naming the field", async () => {
    const c = await clusterWith();
    const res = await api("POST", `/v1/clusters/${c}/join-tokens`, {
      body: { groups: ["kube-node", "no-such-group"] },
    });
    expect(res.status).toBe(422);
    expect((await json(res)).errors).toEqual([
      {
        path: "groups.1",
        message: "unknown group 'no-such-group': not a built-in group and not in the topology",
      },
    ]);
  });
});

describe("the hub believes only acks for what it sent", () => {
  it("refuses an applied before hello and one for a hash it never sent", async () => {
    const c = await clusterWith();
    const a = await connect(await register(c, "n1", "10.0.1.1"));
    const forged = { type: "applied", version: 1, hash: "a".repeat(64) };
    a.send(forged);
    expect(await a.next()).toMatchObject({ type: "error", code: "unexpected-ack" });
    a.hello("n1");
    const sent = await a.next();
    a.send(forged);
    expect(await a.next()).toMatchObject({ type: "error", code: "unexpected-ack" });
    a.send({ ...forged, hash: sent.type === "config" ? sent.bundle.hash : "", version: 99 });
    expect(await a.next()).toMatchObject({ type: "error", code: "unexpected-ack" });
    // The frames above changed nothing: the node is still only registered.
    const n1 = (await nodes(c)).find((n) => n.host === "n1");
    expect(n1?.status).toBe("registered");
  });

  it("stores a node's error text without control characters", async () => {
    const c = await clusterWith();
    const a = await connect(await register(c, "n1", "10.0.1.1"));
    a.hello("n1");
    const sent = await a.next();
    if (sent.type !== "config") throw new Error("expected a config");
    a.send({
      type: "failed",
      version: sent.bundle.version,
      hash: sent.bundle.hash,
      stage: "check",
      error: "bad\r\nn2  applied\u001b[2J\u009b31m",
      rolledBack: true,
    });
    const n1 = await until("failed", async () =>
      (await nodes(c)).find((n) => n.host === "n1" && n.status === "failed"),
    );
    expect(n1.lastError).toBe("check: bad  n2  applied [2J 31m (rolled back)");
  });

  it("moves lastSeen on a report while the node stays connected", async () => {
    const c = await clusterWith();
    const a = await connect(await register(c, "n1", "10.0.1.1"));
    a.hello("n1");
    await a.next();
    const first = await until(
      "seen",
      async () => (await nodes(c)).find((n) => n.host === "n1")?.lastSeen,
    );
    const later = await until("seen again", async () => {
      a.send({ type: "report" });
      const seen = (await nodes(c)).find((n) => n.host === "n1")?.lastSeen;
      return seen && seen > first && seen;
    });
    expect(Date.parse(later)).toBeGreaterThan(Date.parse(first));
  });
});

describe("the dry run", () => {
  it("names the kinds a host stops receiving as retired", async () => {
    const c = await clusterWith({ ...TOPOLOGY, vars: { loadbalancer_apiserver_localhost: true } });
    const plan = await api("PUT", `/v1/clusters/${c}/topology?dryRun=true`, { body: TOPOLOGY });
    const { preview } = await json<{
      preview: Array<{ host: string; kinds: string[]; retired: string[] }>;
    }>(plan);
    expect(preview.find((p) => p.host === "n1")).toMatchObject({
      kinds: ["endpoints", "kubeconfig", "nginx"],
      retired: ["nginx"],
    });
  });
});

/** Kubespray's stock inventory/local: one host, every role, no ip (Ansible's fact gives it one). */
const LOCAL_INVENTORY = `node1 ansible_connection=local local_release_dir={{ansible_env.HOME}}/releases

[kube_control_plane]
node1

[etcd]
node1

[kube_node]
node1
`;

/** The sample inventory with ip commented out: three masters, three nodes. */
const SAMPLE_WITHOUT_IP = `[kube_control_plane]
node1 # ip=10.3.0.1 etcd_member_name=etcd1
node2 # ip=10.3.0.2 etcd_member_name=etcd2
node3 # ip=10.3.0.3 etcd_member_name=etcd3

[etcd:children]
kube_control_plane

[kube_node]
node4 # ip=10.3.0.4
node5 # ip=10.3.0.5
node6 # ip=10.3.0.6
`;

describe("inventories without addresses (Kubespray's default IPv4 fact)", () => {
  const ini =
    (text: string, dryRun = false) =>
    async (c: string) =>
      api("PUT", `/v1/clusters/${c}/topology${dryRun ? "?dryRun=true" : ""}`, {
        text,
        type: "text/plain",
      });
  type Gap = { host: string; reason: string; detail: string };

  it("accepts Kubespray's inventory/local and holds its one host as pending address", async () => {
    const c = uniqueCluster();
    expect((await api("POST", "/v1/clusters", { body: { name: c } })).status).toBe(201);
    const dry = await ini(LOCAL_INVENTORY, true)(c);
    expect(dry.status).toBe(200);
    const plan = await json<{ pending: Gap[] }>(dry);
    expect(plan.pending).toEqual([
      {
        host: "node1",
        reason: "address",
        detail:
          "pending address: a kube-master and etcd member without ip; its agent's join gives it one",
      },
    ]);
    expect((await ini(LOCAL_INVENTORY)(c)).status).toBe(200);
    const listed = await json<{ nodes: NodeRow[]; pending: Gap[] }>(
      await api("GET", `/v1/clusters/${c}/nodes`),
    );
    expect(listed.nodes).toEqual([]);
    expect(listed.pending.map((p) => p.host)).toEqual(["node1"]);
    // The join reports the address: node1 gets its plan, and nothing is pending any more.
    const cred = await register(c, "node1", "127.0.0.1");
    const after = await json<{ nodes: NodeRow[]; pending: Gap[] }>(
      await api("GET", `/v1/clusters/${c}/nodes`),
    );
    expect(after.pending).toEqual([]);
    expect(after.nodes.map((n) => n.host)).toEqual(["node1"]);
    expect((await agentConfig(cred)).status).toBe(200);
  });

  it("makes the nodes wait for a master's address, then rolls the joined masters out to them", async () => {
    const c = uniqueCluster();
    expect((await api("POST", "/v1/clusters", { body: { name: c } })).status).toBe(201);
    expect((await ini(SAMPLE_WITHOUT_IP)(c)).status).toBe(200);
    const gaps = async () =>
      (await json<{ pending: Gap[] }>(await api("GET", `/v1/clusters/${c}/nodes`))).pending;
    expect(Object.fromEntries((await gaps()).map((g) => [g.host, g.reason]))).toEqual({
      node1: "address",
      node2: "address",
      node3: "address",
      node4: "master-address",
      node5: "master-address",
      node6: "master-address",
    });
    await register(c, "node1", "127.0.0.1");
    // node2 and node3 are still pending: left out of the others' upstreams, which the plan says.
    expect((await gaps()).map((g) => g.host)).toEqual(["node2", "node3"]);
    const cfg = await json<{ artifacts: { kind: string; content: string }[] }>(
      await api("GET", `/v1/clusters/${c}/nodes/node4/config`),
    );
    const nginx = cfg.artifacts.find((a) => a.kind === "nginx")?.content ?? "";
    expect(nginx).toContain("server 127.0.0.1:6443");
    expect(nginx).not.toContain("# node2");
    // The join that gave node1 its address started a rollout of that version.
    const rollouts = await json<{ rollouts: { version: number }[] }>(
      await api("GET", `/v1/clusters/${c}/rollouts`),
    );
    expect(rollouts.rollouts.length).toBeGreaterThan(0);
  });
});
