import { describe, expect, it } from "vitest";
import { api, clusterWith, json, register, TOPOLOGY, uniqueCluster } from "./helpers.ts";

const SEED_INI = `[all]
master1 ip=10.10.1.11
master2 ip=10.10.1.12
etcd3 ip=10.10.1.13
node1 ip=10.10.1.21 access_ip=10.10.2.21
node2 ip=10.10.1.22
[kube-master]
master1
master2
[etcd]
master1
master2
etcd3
[kube-node]
node1
node2
[k8s-cluster:children]
kube-master
kube-node
`;

describe("clusters", () => {
  it("creates, lists, shows and deletes a cluster", async () => {
    const name = uniqueCluster();
    const created = await api("POST", "/v1/clusters", { body: { name } });
    expect(created.status).toBe(201);
    const summary = await json(created);
    expect(summary).toEqual({
      name,
      version: 0,
      stableVersion: 0,
      createdAt: expect.any(String),
      nodes: { hosts: 0, registered: 0, connected: 0, applied: 0, failed: 0 },
      rollout: null,
    });
    const list = await json<{ clusters: Array<{ name: string }> }>(
      await api("GET", "/v1/clusters"),
    );
    expect(list.clusters.map((c) => c.name)).toContain(name);
    expect(await json(await api("GET", `/v1/clusters/${name}`))).toEqual(summary);
    expect((await api("DELETE", `/v1/clusters/${name}`)).status).toBe(204);
    expect((await api("GET", `/v1/clusters/${name}`)).status).toBe(404);
  });

  it("refuses a second cluster of the same name with 409", async () => {
    const name = uniqueCluster();
    await api("POST", "/v1/clusters", { body: { name } });
    const again = await api("POST", "/v1/clusters", { body: { name } });
    expect(again.status).toBe(409);
    expect(again.headers.get("content-type")).toBe("application/problem+json");
  });
});

describe("topology", () => {
  it("returns the topology with its version as ETag", async () => {
    const c = await clusterWith();
    const res = await api("GET", `/v1/clusters/${c}/topology`);
    expect(res.headers.get("etag")).toBe('"1"');
    const body = await json<{ version: number; topology: { hosts: object } }>(res);
    expect(body.version).toBe(1);
    expect(Object.keys(body.topology.hosts).sort()).toEqual(["e3", "m1", "m2", "n1", "n2"]);
  });

  it("names the hosts whose bundle changed", async () => {
    const c = await clusterWith();
    const next = { ...TOPOLOGY, vars: { loadbalancer_apiserver_localhost: true } };
    const res = await api("PUT", `/v1/clusters/${c}/topology`, {
      body: next,
      headers: { "if-match": '"1"' },
    });
    expect(await json(res)).toEqual({ version: 2, changed: ["n1", "n2"], removed: [] });
  });

  it("makes no new version for an identical topology", async () => {
    const c = await clusterWith();
    const res = await api("PUT", `/v1/clusters/${c}/topology`, { body: TOPOLOGY });
    expect(await json(res)).toEqual({ version: 1, changed: [], removed: [] });
  });

  it("accepts INI and YAML inventories that give the same topology", async () => {
    const a = await clusterWith();
    const ini = await api("PUT", `/v1/clusters/${a}/topology`, {
      text: SEED_INI,
      type: "text/plain",
    });
    expect(ini.status).toBe(200);
    const yaml = `all:
  hosts: {master1: {ip: 10.10.1.11}, master2: {ip: 10.10.1.12}, etcd3: {ip: 10.10.1.13}, node1: {ip: 10.10.1.21, access_ip: 10.10.2.21}, node2: {ip: 10.10.1.22}}
  children:
    kube-master: {hosts: {master1: null, master2: null}}
    etcd: {hosts: {master1: null, master2: null, etcd3: null}}
    kube-node: {hosts: {node1: null, node2: null}}
    k8s-cluster: {children: {kube-master: null, kube-node: null}}
`;
    const y = await api("PUT", `/v1/clusters/${a}/topology`, {
      text: yaml,
      type: "application/yaml",
    });
    expect(await json(y)).toEqual({ version: 2, changed: [], removed: [] });
  });

  it("serves the Kargo endpoint table for the Kargo document's INI inventory, per node", async () => {
    const c = await clusterWith();
    await api("PUT", `/v1/clusters/${c}/topology`, { text: SEED_INI, type: "text/plain" });
    const ep = async (h: string) =>
      (
        await json<{ apiserver: unknown }>(
          await api("GET", `/v1/clusters/${c}/nodes/${h}/endpoints`),
        )
      ).apiserver;
    expect(await ep("master1")).toEqual({ url: "http://localhost:8080", via: "local" });
    expect(await ep("node1")).toEqual({ url: "https://10.10.1.11:443", via: "direct" });
    const lb =
      SEED_INI + `[all:vars]\nloadbalancer_apiserver={"address": "10.10.1.100", "port": 8383}\n`;
    await api("PUT", `/v1/clusters/${c}/topology`, { text: lb, type: "text/plain" });
    expect(await ep("master1")).toEqual({
      url: "https://lb-apiserver.kubernetes.local:8383",
      via: "external-lb",
    });
    expect(await ep("node2")).toEqual({
      url: "https://lb-apiserver.kubernetes.local:8383",
      via: "external-lb",
    });
    const local = SEED_INI + `[all:vars]\nloadbalancer_apiserver_localhost=true\n`;
    await api("PUT", `/v1/clusters/${c}/topology`, { text: local, type: "text/plain" });
    expect(await ep("master2")).toEqual({ url: "http://localhost:8080", via: "local" });
    expect(await ep("node2")).toEqual({ url: "https://localhost:443", via: "localhost-lb" });
  });

  it("lets exactly one of two concurrent PUTs with the same If-Match win", async () => {
    const c = await clusterWith();
    const put = (port: number) =>
      api("PUT", `/v1/clusters/${c}/topology`, {
        body: { ...TOPOLOGY, vars: { kube_apiserver_port: port } },
        headers: { "if-match": '"1"' },
      });
    const statuses = (await Promise.all([put(6443), put(7443)])).map((r) => r.status).sort();
    expect(statuses).toEqual([200, 412]);
    expect(
      (await json<{ version: number }>(await api("GET", `/v1/clusters/${c}/topology`))).version,
    ).toBe(2);
  });

  it("puts and deletes one host", async () => {
    const c = await clusterWith();
    const put = await api("PUT", `/v1/clusters/${c}/hosts/n3`, {
      body: { ip: "10.0.1.3", groups: ["kube-node"] },
    });
    expect(await json(put)).toEqual({ version: 2, changed: ["n3"], removed: [] });
    const t = await json<{ topology: { groups: Record<string, { hosts: string[] }> } }>(
      await api("GET", `/v1/clusters/${c}/topology`),
    );
    expect(t.topology.groups["kube-node"]?.hosts).toEqual(["n1", "n2", "n3"]);
    const del = await api("DELETE", `/v1/clusters/${c}/hosts/n3`);
    expect(await json(del)).toEqual({ version: 3, changed: [], removed: ["n3"] });
    expect((await api("DELETE", `/v1/clusters/${c}/hosts/n3`)).status).toBe(404);
  });
});

describe("nodes and config", () => {
  it("serves a node's bundle with its hash as ETag", async () => {
    const c = await clusterWith();
    const res = await api("GET", `/v1/clusters/${c}/nodes/n1/config`);
    const bundle = await json<{
      version: number;
      hash: string;
      artifacts: Array<{ kind: string }>;
    }>(res);
    expect(res.headers.get("etag")).toBe(`"${bundle.hash}"`);
    expect(bundle.version).toBe(1);
    expect(bundle.artifacts.map((a) => a.kind)).toEqual([
      "endpoints",
      "etcd-proxy",
      "hosts",
      "kubeconfig",
    ]);
  });

  it("lists every host with desired state, and the agent's state once registered", async () => {
    const c = await clusterWith();
    await register(c, "n1", "10.0.1.1");
    const { nodes } = await json<{ nodes: Array<Record<string, unknown>> }>(
      await api("GET", `/v1/clusters/${c}/nodes`),
    );
    expect(nodes.map((n) => n.host)).toEqual(["e3", "m1", "m2", "n1", "n2"]);
    const n1 = nodes.find((n) => n.host === "n1");
    expect(n1).toEqual({
      host: "n1",
      groups: ["kube-node", "k8s-cluster"],
      desired: { version: 1, hash: expect.stringMatching(/^[0-9a-f]{64}$/) },
      applied: null,
      status: "registered",
      registered: true,
      connected: false,
      lastSeen: null,
      lastError: null,
      agentVersion: null,
      apiserver: { url: "https://10.0.0.1:443", ok: null, ms: null },
      drift: [],
      lastDrift: null,
      vipHeld: null,
      ejected: [],
      drain: null,
      // No master's certificate has been observed yet.
      tls: { covered: null, missing: [], caMismatch: false, expiresInDays: null, expiry: null },
    });
    expect(nodes.find((n) => n.host === "n2")?.status).toBe("unregistered");
  });

  it("answers the agent's config poll with 304 when it has the current hash", async () => {
    const c = await clusterWith();
    const token = await register(c, "n1", "10.0.1.1");
    const first = await api("GET", "/v1/agent/config", { token });
    expect(first.status).toBe(200);
    const tag = first.headers.get("etag") ?? "";
    const again = await api("GET", "/v1/agent/config", {
      token,
      headers: { "if-none-match": tag },
    });
    expect(again.status).toBe(304);
    await api("PUT", `/v1/clusters/${c}/topology`, {
      body: { ...TOPOLOGY, vars: { loadbalancer_apiserver_localhost: true } },
    });
    expect(
      (await api("GET", "/v1/agent/config", { token, headers: { "if-none-match": tag } })).status,
    ).toBe(200);
  });
});

describe("join tokens and registration", () => {
  it("adds a new host to the token's groups with the ip it reports, as a new version", async () => {
    const c = await clusterWith();
    await register(c, "n9", "10.0.1.9", ["kube-node"]);
    const t = await json<{
      version: number;
      topology: { hosts: Record<string, unknown>; groups: Record<string, { hosts: string[] }> };
    }>(await api("GET", `/v1/clusters/${c}/topology`));
    expect(t.version).toBe(2);
    expect(t.topology.hosts.n9).toEqual({ ip: "10.0.1.9" });
    expect(t.topology.groups["kube-node"]?.hosts).toContain("n9");
  });

  it("bootstraps an empty cluster from a master's join", async () => {
    const c = uniqueCluster();
    await api("POST", "/v1/clusters", { body: { name: c } });
    await register(c, "m1", "10.0.0.1", ["kube-master", "etcd"]);
    const ep = await json(await api("GET", `/v1/clusters/${c}/nodes/m1/endpoints`));
    expect(ep).toMatchObject({ apiserver: { url: "http://localhost:8080", via: "local" } });
  });

  it("rotates a host's credential when it registers again: the old one stops working", async () => {
    const c = await clusterWith();
    const old = await register(c, "n1", "10.0.1.1");
    const fresh = await register(c, "n1", "10.0.1.1", undefined, { reimage: true });
    expect((await api("GET", "/v1/agent/config", { token: old })).status).toBe(401);
    expect((await api("GET", "/v1/agent/config", { token: fresh })).status).toBe(200);
  });

  it("honours max uses and expiry", async () => {
    const c = await clusterWith();
    const { token } = await json<{ token: string }>(
      await api("POST", `/v1/clusters/${c}/join-tokens`, { body: { maxUses: 1 } }),
    );
    const reg = (hostname: string) =>
      api("POST", "/v1/register", { token: null, body: { token, hostname, ip: "10.0.1.7" } });
    expect((await reg("n7")).status).toBe(201);
    const used = await reg("n8");
    expect(used.status).toBe(401);
    expect((await json(used)).detail).toBe("token: the join token is used up");
  });

  it("lets only max uses of concurrent registrations through", async () => {
    const c = await clusterWith();
    const { token } = await json<{ token: string }>(
      await api("POST", `/v1/clusters/${c}/join-tokens`, { body: { maxUses: 1 } }),
    );
    const results = await Promise.all(
      ["n1", "n2"].map((h) =>
        api("POST", "/v1/register", { token: null, body: { token, hostname: h, ip: "10.0.1.1" } }),
      ),
    );
    expect(results.map((r) => r.status).sort()).toEqual([201, 401]);
  });
});

describe("audit and OpenAPI", () => {
  it("records every change with the actor's token id, never the secret", async () => {
    const c = await clusterWith();
    await register(c, "n1", "10.0.1.1");
    const { entries } = await json<{ entries: Array<{ action: string; actor: string }> }>(
      await api("GET", `/v1/clusters/${c}/audit`),
    );
    expect(entries.map((e) => e.action)).toEqual([
      "node.register",
      "join-token.create",
      "topology.put",
      "cluster.create",
    ]);
    expect(entries[0]?.actor).toMatch(/^join:[0-9a-f]{16}$/);
    expect(entries[1]?.actor).toMatch(/^admin:[0-9a-f]{12}$/);
    expect(JSON.stringify(entries)).not.toContain("test-admin-token-0123456789abcdef");
  });

  it("publishes an OpenAPI document built from the route schemas", async () => {
    const doc = await json<{
      openapi: string;
      paths: Record<
        string,
        Record<
          string,
          { requestBody?: { content: Record<string, { schema: { properties?: object } }> } }
        >
      >;
    }>(await api("GET", "/v1/openapi.json", { token: null }));
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        "/v1/clusters/{c}/topology",
        "/v1/clusters/{c}/rollouts/{id}",
        "/v1/clusters/{c}/rollback",
      ]),
    );
    const reg = doc.paths["/v1/register"]?.post?.requestBody?.content["application/json"]?.schema;
    expect(Object.keys(reg?.properties ?? {}).sort()).toEqual(["facts", "hostname", "ip", "token"]);
  });
});
