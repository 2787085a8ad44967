import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { PROTOCOL_VERSION } from "../../shared/protocol.ts";
import { SELF } from "cloudflare:test";
import { Agent, connect } from "./agent-sim.ts";
import { ADMIN, api, clusterWith, json, register, TOPOLOGY, until } from "./helpers.ts";

/** Waits until GET nodes shows what the predicate wants (acks reach D1 in batches). */
async function nodeState(
  cluster: string,
  host: string,
  want: (n: Record<string, unknown>) => boolean,
) {
  for (let i = 0; i < 200; i++) {
    const { nodes } = await json<{ nodes: Array<Record<string, unknown>> }>(
      await api("GET", `/v1/clusters/${cluster}/nodes`),
    );
    const n = nodes.find((x) => x.host === host);
    if (n && want(n)) return n;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`node ${host} never reached the wanted state`);
}

describe("the cluster hub", () => {
  it("sends the bundle on hello, records the ack, and shows it in GET nodes", async () => {
    const c = await clusterWith();
    const agent = await connect(await register(c, "n1", "10.0.1.1"));
    agent.hello("n1");
    const msg = await agent.next();
    expect(msg.type).toBe("config");
    if (msg.type !== "config") return;
    expect(msg.bundle.artifacts.map((a) => a.kind)).toEqual([
      "endpoints",
      "etcd-proxy",
      "hosts",
      "kubeconfig",
    ]);
    agent.send({ type: "applied", version: msg.bundle.version, hash: msg.bundle.hash });
    const n = await nodeState(c, "n1", (x) => x.status === "applied");
    expect(n).toMatchObject({
      applied: { version: msg.bundle.version, hash: msg.bundle.hash },
      connected: true,
      lastError: null,
    });
  });

  it("answers `current` when the node already has its bundle", async () => {
    const c = await clusterWith();
    const token = await register(c, "n1", "10.0.1.1");
    const bundle = await json<{ version: number; hash: string }>(
      await api("GET", "/v1/agent/config", { token }),
    );
    const agent = await connect(token);
    agent.hello("n1", { version: bundle.version, hash: bundle.hash });
    expect(await agent.next()).toEqual({
      type: "current",
      version: bundle.version,
      hash: bundle.hash,
    });
  });

  it("pushes a changed bundle only to the nodes it changes", async () => {
    const c = await clusterWith();
    const n1 = await connect(await register(c, "n1", "10.0.1.1"));
    const m1 = await connect(await register(c, "m1", "10.0.0.1"));
    for (const [a, h] of [
      [n1, "n1"],
      [m1, "m1"],
    ] as const) {
      a.hello(h);
      const cfg = await a.next();
      if (cfg.type === "config")
        a.send({ type: "applied", version: cfg.bundle.version, hash: cfg.bundle.hash });
    }
    const put = await api("PUT", `/v1/clusters/${c}/topology`, {
      body: { ...TOPOLOGY, vars: { loadbalancer_apiserver_localhost: true } },
    });
    expect((await json<{ changed: string[] }>(put)).changed).toEqual(["n1", "n2"]);
    const pushed = await n1.next();
    expect(pushed.type === "config" && pushed.bundle.artifacts.map((a) => a.kind)).toEqual([
      "endpoints",
      "etcd-proxy",
      "hosts",
      "kubeconfig",
      "nginx",
    ]);
    // m1 gets nothing: a probe frame comes back as the next one it sees.
    m1.send("{bad");
    expect(await m1.next()).toEqual({
      type: "error",
      code: "bad-frame",
      message: "frame is not JSON",
    });
  });

  it("records a failed apply with its stage and error", async () => {
    const c = await clusterWith();
    const a = await connect(await register(c, "n1", "10.0.1.1"));
    a.hello("n1");
    const cfg = await a.next();
    if (cfg.type !== "config") throw new Error("expected config");
    a.send({
      type: "failed",
      version: cfg.bundle.version,
      hash: cfg.bundle.hash,
      stage: "check",
      error: "nginx: [emerg] bad",
      rolledBack: true,
    });
    const n = await nodeState(c, "n1", (x) => x.status === "failed");
    expect(n.lastError).toBe("check: nginx: [emerg] bad (rolled back)");
  });

  it("answers bad frames with an error frame naming the field, and closes with 1008 after three", async () => {
    const c = await clusterWith();
    const a = await connect(await register(c, "n1", "10.0.1.1"));
    a.send({ type: "hello", protocol: PROTOCOL_VERSION, host: "n1;evil", applied: null });
    expect(await a.next()).toMatchObject({
      type: "error",
      code: "bad-frame",
      message: expect.stringMatching(/^host: /),
    });
    a.send({ type: "applied", version: -1, hash: "x" });
    expect(await a.next()).toMatchObject({
      type: "error",
      code: "bad-frame",
      message: expect.stringMatching(/^version: /),
    });
    a.send({ type: "failed", version: 1 });
    expect(await a.next()).toMatchObject({ type: "error", code: "bad-frame" });
    expect((await a.untilClosed()).code).toBe(1008);
  });

  it("ignores a frame type it does not know (a newer agent's), without counting it", async () => {
    const c = await clusterWith();
    const a = await connect(await register(c, "n1", "10.0.1.1"));
    for (let i = 0; i < 5; i++) a.send({ type: "telemetry-v9", anything: i });
    a.hello("n1");
    expect((await a.next()).type).toBe("config");
    expect(a.closed).toBeNull();
  });

  it("negotiates the protocol: a version-1 agent gets no live frames, a version-2 agent its targets", async () => {
    const c = await clusterWith();
    const old = await connect(await register(c, "n1", "10.0.1.1"));
    old.send({ type: "hello", protocol: 1, host: "n1", applied: null });
    expect((await old.next()).type).toBe("config");
    const fresh = await connect(await register(c, "n2", "10.0.1.2"));
    // A newer agent than this hub: they settle on the hub's newest.
    fresh.send({
      type: "hello",
      protocol: PROTOCOL_VERSION + 1,
      protocolMin: 1,
      host: "n2",
      applied: null,
    });
    expect((await fresh.next()).type).toBe("config");
    await until("targets", async () => fresh.live.length === 2);
    expect(fresh.live).toEqual([
      { type: "welcome", protocol: PROTOCOL_VERSION },
      {
        type: "targets",
        intervalSeconds: 10,
        driftPolicy: "heal",
        apiserver: "https://10.0.0.1:443",
        targets: [
          { id: "apiserver:10.0.0.1:443", kind: "apiserver", host: "m1", address: "10.0.0.1:443" },
          { id: "apiserver:10.0.0.2:443", kind: "apiserver", host: "m2", address: "10.0.0.2:443" },
          { id: "etcd:127.0.0.1:2379", kind: "etcd", address: "127.0.0.1:2379" },
        ],
      },
    ]);
    expect(old.live).toEqual([]);
    const future = await connect(await register(c, "m1", "10.0.0.1"));
    future.send({ type: "hello", protocol: 9, protocolMin: 7, host: "m1", applied: null });
    expect(await future.next()).toMatchObject({ type: "error", code: "protocol" });
    expect((await future.untilClosed()).code).toBe(1008);
  });

  it("refuses a hello that claims another host", async () => {
    const c = await clusterWith();
    const a = await connect(await register(c, "n1", "10.0.1.1"));
    a.hello("m1");
    expect(await a.next()).toEqual({
      type: "error",
      code: "bad-frame",
      message: "host: not this credential's host",
    });
  });

  it("refuses an oversized frame", async () => {
    const c = await clusterWith();
    const a = await connect(await register(c, "n1", "10.0.1.1"));
    a.send("x".repeat(1_048_577));
    expect(await a.next()).toMatchObject({
      type: "error",
      code: "bad-frame",
      message: expect.stringMatching(/over/),
    });
  });

  it("closes a node's socket when its host is deleted, and its credential stops working", async () => {
    const c = await clusterWith();
    const token = await register(c, "n1", "10.0.1.1");
    const a = await connect(token);
    a.hello("n1");
    await a.next();
    await api("DELETE", `/v1/clusters/${c}/hosts/n1`);
    expect((await a.untilClosed()).code).toBe(4001);
    expect((await api("GET", "/v1/agent/config", { token })).status).toBe(401);
  });

  it("closes every socket of a deleted cluster", async () => {
    const c = await clusterWith();
    const a = await connect(await register(c, "n1", "10.0.1.1"));
    a.hello("n1");
    await a.next();
    expect((await api("DELETE", `/v1/clusters/${c}`)).status).toBe(204);
    expect(await a.untilClosed()).toEqual({ code: 4001, reason: "cluster deleted" });
  });

  it("closes the old socket when the host registers again", async () => {
    const c = await clusterWith();
    const a = await connect(await register(c, "n1", "10.0.1.1"));
    a.hello("n1");
    await a.next();
    await register(c, "n1", "10.0.1.1", undefined, { reimage: true });
    expect((await a.untilClosed()).code).toBe(4001);
  });

  it("answers ping with pong without a frame of the protocol", async () => {
    const c = await clusterWith();
    const a = await connect(await register(c, "n1", "10.0.1.1"));
    const pong = new Promise((r) =>
      a.ws.addEventListener("message", (e) => e.data === "pong" && r(e.data)),
    );
    a.ws.send("ping");
    expect(await pong).toBe("pong");
  });

  it("marks a node disconnected when its socket closes", async () => {
    const c = await clusterWith();
    const a = await connect(await register(c, "n1", "10.0.1.1"));
    a.hello("n1");
    await a.next();
    await nodeState(c, "n1", (x) => x.connected === true);
    a.ws.close(1000, "bye");
    await nodeState(c, "n1", (x) => x.connected === false);
    expect(env.DB).toBeDefined();
  });
});

describe("the events stream", () => {
  const events = (c: string, headers: Record<string, string>) =>
    SELF.fetch(`https://halo.test/v1/clusters/${c}/events`, {
      headers: { upgrade: "websocket", ...headers },
    });

  it("refuses anyone but the admin, by header or by a ticket the admin got", async () => {
    const c = await clusterWith();
    expect((await events(c, {})).status).toBe(401);
    const node = await register(c, "n1", "10.0.1.1");
    expect((await events(c, { authorization: `Bearer ${node}` })).status).toBe(403);
    expect((await events(c, { "sec-websocket-protocol": "halo.v1, ticket.wrong" })).status).toBe(
      401,
    );
    // The admin token itself is no longer taken as a subprotocol.
    expect((await events(c, { "sec-websocket-protocol": `halo.v1, bearer.${ADMIN}` })).status).toBe(
      401,
    );
    // A ticket opens one socket, of its own cluster, once.
    const other = await clusterWith();
    const t = await json<{ ticket: string }>(await api("POST", `/v1/clusters/${c}/events/ticket`));
    expect(
      (await events(other, { "sec-websocket-protocol": `halo.v1, ticket.${t.ticket}` })).status,
    ).toBe(401);
    const t2 = await json<{ ticket: string }>(await api("POST", `/v1/clusters/${c}/events/ticket`));
    const first = await events(c, { "sec-websocket-protocol": `halo.v1, ticket.${t2.ticket}` });
    expect(first.status).toBe(101);
    first.webSocket?.accept();
    first.webSocket?.close();
    expect(
      (await events(c, { "sec-websocket-protocol": `halo.v1, ticket.${t2.ticket}` })).status,
    ).toBe(401);
  });

  it("drops x-halo-* headers a client sends: only the Worker says what the hub answers", async () => {
    const c = await clusterWith();
    const res = await events(c, { authorization: `Bearer ${ADMIN}`, "x-halo-subprotocol": "evil" });
    expect(res.status).toBe(101);
    expect(res.headers.get("sec-websocket-protocol")).toBeNull();
    res.webSocket?.accept();
    res.webSocket?.close();
  });

  it("streams node, probe, drift and rollout frames to a watcher that came with a subprotocol", async () => {
    const c = await clusterWith();
    const { ticket } = await json<{ ticket: string }>(
      await api("POST", `/v1/clusters/${c}/events/ticket`),
    );
    const res = await events(c, { "sec-websocket-protocol": `halo.v1, ticket.${ticket}` });
    expect(res.status).toBe(101);
    expect(res.headers.get("sec-websocket-protocol")).toBe("halo.v1");
    const watcher = new Agent(res.webSocket as WebSocket);
    const a = await connect(await register(c, "n1", "10.0.1.1"));
    a.hello("n1");
    const cfg = await a.next();
    if (cfg.type !== "config") throw new Error("expected a config");
    a.send({ type: "applied", version: cfg.bundle.version, hash: cfg.bundle.hash });
    a.send({
      type: "report",
      probes: {
        results: { "apiserver:10.0.0.1:443": { ok: false, ms: 3, error: "refused" } },
        apiserver: { ok: true, ms: 2 },
      },
    });
    a.send({ type: "report", drift: { kinds: ["nginx"], healed: true } });
    await api("PUT", `/v1/clusters/${c}/topology`, {
      body: { ...TOPOLOGY, vars: { loadbalancer_apiserver_localhost: true } },
    });
    const seen: Array<Record<string, unknown>> = [];
    while (!["node", "probe", "drift", "rollout"].every((t) => seen.some((f) => f.type === t)))
      seen.push((await watcher.next()) as unknown as Record<string, unknown>);
    expect(seen.find((f) => f.type === "node" && f.status === "applied")).toMatchObject({
      host: "n1",
    });
    expect(seen.find((f) => f.type === "probe")).toMatchObject({
      host: "n1",
      apiserver: { ok: true, ms: 2 },
      results: { "apiserver:10.0.0.1:443": { ok: false, ms: 3, error: "refused" } },
    });
    expect(seen.find((f) => f.type === "drift")).toMatchObject({
      host: "n1",
      kinds: ["nginx"],
      healed: true,
    });
  });

  it("holds a node that loops reports to a budget: unknown targets dropped, drift audited on change", async () => {
    const c = await clusterWith();
    const a = await connect(await register(c, "n1", "10.0.1.1"));
    a.hello("n1");
    const cfg = await a.next();
    if (cfg.type !== "config") throw new Error("expected a config");
    a.send({
      type: "report",
      probes: {
        results: {
          "apiserver:10.0.0.1:443": { ok: true, ms: 3 },
          "apiserver:203.0.113.9:22": { ok: true, ms: 1 },
        },
        apiserver: { ok: true, ms: 2 },
      },
    });
    // The same drift again and again is audited once.
    for (let i = 0; i < 50; i++)
      a.send({ type: "report", drift: { kinds: ["nginx"], healed: true } });
    // Drift that changes every time is news every time, until the budget is spent.
    for (let i = 0; i < 200; i++)
      a.send({ type: "report", drift: { kinds: [i % 2 ? "nginx" : "hosts"], healed: true } });
    // A kind that does not exist is a bad frame, not a stored string.
    a.send({ type: "report", drift: { kinds: ["<script>"], healed: false } });
    const err = await a.next();
    expect(err).toMatchObject({ type: "error", code: "bad-frame" });
    const r = await json<{ entries: Array<{ action: string }> }>(
      await api("GET", `/v1/clusters/${c}/audit?limit=500`),
    );
    const drifts = r.entries.filter((e) => e.action === "node.drift").length;
    expect(drifts).toBeGreaterThan(0);
    expect(drifts).toBeLessThanOrEqual(25);
    const reach = await until("probes stored", async () => {
      const x = await json<{ nodes: Array<{ host: string; results: Record<string, unknown> }> }>(
        await api("GET", `/v1/clusters/${c}/reachability`),
      );
      return x.nodes.find((n) => n.host === "n1");
    });
    expect(Object.keys(reach.results)).toEqual(["apiserver:10.0.0.1:443"]);
  });

  it("sends protocol 4 agents the live policy's check interval with their targets", async () => {
    const c = await clusterWith();
    await api("PUT", `/v1/clusters/${c}/live-policy`, { body: { checkIntervalSeconds: 1 } });
    const a = await connect(await register(c, "n1", "10.0.1.1"));
    a.hello("n1");
    await a.next();
    const targets = await until("a targets frame", async () =>
      a.live.find((f) => f.type === "targets"),
    );
    expect(targets).toMatchObject({ type: "targets", checkIntervalSeconds: 1 });
  });

  it("keeps each master's certificate as nodes saw it, or as the master read it itself; refuses a change it does not cover", async () => {
    const c = await clusterWith();
    const { ticket } = await json<{ ticket: string }>(
      await api("POST", `/v1/clusters/${c}/events/ticket`),
    );
    const watcher = new Agent(
      (await events(c, { "sec-websocket-protocol": `halo.v1, ticket.${ticket}` }))
        .webSocket as WebSocket,
    );
    const cert = (fp: string, ips: string[]) => ({
      fingerprint: Array(32).fill(fp).join(":"),
      dns: ["localhost"],
      ips,
      issuer: "CN=kubernetes",
      ca: null,
      notAfter: new Date(Date.now() + 90 * 86_400_000).toISOString(),
    });
    const n1 = await connect(await register(c, "n1", "10.0.1.1"));
    n1.hello("n1");
    await n1.next();
    const m2 = await connect(await register(c, "m2", "10.0.0.2"));
    m2.hello("m2");
    await m2.next();
    n1.send({
      type: "report",
      probes: {
        results: { "apiserver:10.0.0.1:443": { ok: true, ms: 3, cert: cert("A1", ["10.0.0.1"]) } },
        apiserver: { ok: true, ms: 2 },
      },
      // Not a master: it cannot speak for any master's certificate.
      served: cert("C3", ["10.0.1.1"]),
    });
    m2.send({ type: "report", served: cert("B2", ["10.0.0.2"]) });
    const list = await until("both certificates stored", async () => {
      const r = await json<{ certificates: Array<Record<string, unknown>> }>(
        await api("GET", `/v1/clusters/${c}/certificates`),
      );
      return r.certificates.length === 2 && r.certificates;
    });
    expect(list).toMatchObject([
      { master: "m1", fingerprint: cert("A1", []).fingerprint, observer: "n1", ips: ["10.0.0.1"] },
      { master: "m2", fingerprint: cert("B2", []).fingerprint, observer: "m2" },
    ]);
    let frame: Record<string, unknown> = {};
    while (frame.type !== "certificate" || frame.master !== "m1")
      frame = (await watcher.next()) as unknown as Record<string, unknown>;
    // n1 dials m1 directly (the Kargo table without a localhost LB): m1's certificate covers it.
    expect(frame).toMatchObject({ covered: { "10.0.0.1": true } });
    const tls = await nodeState(c, "n1", (n) => (n.tls as { covered: unknown }).covered !== null);
    expect(tls.tls).toMatchObject({ covered: true, missing: [], caMismatch: false });
    // Making m2 the first master sends n1 to 10.0.0.2, which m2's certificate has: allowed.
    // Giving m2 an access address its certificate lacks is not: refused, naming node, name, master.
    const swapped = {
      ...TOPOLOGY,
      groups: { ...TOPOLOGY.groups, "kube-master": { hosts: ["m2", "m1"], children: [] } },
    };
    const dry = await api("PUT", `/v1/clusters/${c}/topology?dryRun=true`, { body: swapped });
    expect(dry.status).toBe(200);
    const byName = {
      ...swapped,
      hosts: { ...swapped.hosts, m2: { ip: "10.0.0.2", access_ip: "10.0.0.22" } },
    };
    const refused = await api("PUT", `/v1/clusters/${c}/topology`, { body: byName });
    expect(refused.status).toBe(422);
    expect(await json<{ errors: unknown[] }>(refused)).toMatchObject({
      errors: expect.arrayContaining([
        {
          path: "hosts.n1",
          message: "10.0.0.22 is not covered by the certificate of m2",
        },
      ]),
    });
  });
});
