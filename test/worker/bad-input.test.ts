import { describe, expect, it } from "vitest";
import { api, clusterWith, json, TOPOLOGY } from "./helpers.ts";

const withVars = (vars: Record<string, unknown>) => ({ ...TOPOLOGY, vars });
const withHost = (name: string, host: unknown) => ({
  ...TOPOLOGY,
  hosts: { ...TOPOLOGY.hosts, [name]: host },
});

const deepJson = () => {
  const deep = '{"x":'.repeat(10_000) + "1" + "}".repeat(10_000);
  return `{"hosts":{"m1":{"ip":"10.0.0.1","vars":{"v":${deep}}}},"groups":{"kube-master":{"hosts":["m1"]},"etcd":{"hosts":["m1"]}}}`;
};
const chainOfGroups = () => {
  const groups: Record<string, { children: string[] }> = {};
  for (let i = 0; i < 20_000; i++) groups[`g${i}`] = { children: i < 19_999 ? [`g${i + 1}`] : [] };
  return { ...TOPOLOGY, groups: { ...TOPOLOGY.groups, ...groups } };
};

/** Bad requests against a cluster at version 1: each gets a problem naming the field, and changes nothing. */
const CASES: Array<{
  name: string;
  method?: string;
  path?: (c: string) => string;
  body?: unknown;
  text?: string;
  type?: string;
  headers?: Record<string, string>;
  status: number;
  field?: string;
}> = [
  {
    name: "a host name with a newline",
    body: withHost("n3\nserver 6.6.6.6", {}),
    status: 422,
    field: "hosts.n3\nserver 6.6.6.6",
  },
  {
    name: "a host name with a semicolon",
    body: withHost("evil;", {}),
    status: 422,
    field: "hosts.evil;",
  },
  {
    name: "a host name with a brace",
    body: withHost("evil{", {}),
    status: 422,
    field: "hosts.evil{",
  },
  {
    name: "a host name with a space",
    body: withHost("evil host", {}),
    status: 422,
    field: "hosts.evil host",
  },
  {
    name: "an ip with a directive injected",
    body: withHost("n3", { ip: "10.0.0.1;\n server 6.6.6.6:443" }),
    status: 422,
    field: "hosts.n3.ip",
  },
  {
    name: "an ip that is not an IP literal",
    body: withHost("n3", { ip: "999.1.1.1" }),
    status: 422,
    field: "hosts.n3.ip",
  },
  {
    name: "an ip that is a number",
    body: withHost("n3", { ip: 10 }),
    status: 422,
    field: "hosts.n3.ip",
  },
  {
    name: "port 0",
    body: withVars({ kube_apiserver_port: 0 }),
    status: 422,
    field: "vars.kube_apiserver_port",
  },
  {
    name: "port 70000",
    body: withVars({ kube_apiserver_port: 70000 }),
    status: 422,
    field: "vars.kube_apiserver_port",
  },
  {
    name: "an LB domain with a newline",
    body: withVars({ apiserver_loadbalancer_domain_name: "lb\n1.2.3.4 evil" }),
    status: 422,
    field: "vars.apiserver_loadbalancer_domain_name",
  },
  {
    name: "an LB address that is not an IP",
    body: withVars({ loadbalancer_apiserver: { address: "lb;evil" } }),
    status: 422,
    field: "vars.loadbalancer_apiserver.address",
  },
  {
    name: "an unknown group referenced as a child",
    body: {
      ...TOPOLOGY,
      groups: { ...TOPOLOGY.groups, "k8s-cluster": { hosts: [], children: ["nope"] } },
    },
    status: 422,
    field: "groups.k8s-cluster.children.0",
  },
  {
    name: "a group naming a missing host",
    body: { ...TOPOLOGY, groups: { ...TOPOLOGY.groups, etcd: { hosts: ["ghost"], children: [] } } },
    status: 422,
    field: "groups.etcd.hosts.0",
  },
  {
    name: "a cycle in children",
    body: {
      ...TOPOLOGY,
      groups: {
        ...TOPOLOGY.groups,
        a: { hosts: [], children: ["b"] },
        b: { hosts: [], children: ["a"] },
      },
    },
    status: 422,
    field: "groups.a.children",
  },
  {
    name: "no kube-master",
    body: {
      ...TOPOLOGY,
      groups: { ...TOPOLOGY.groups, "kube-master": { hosts: [], children: [] } },
    },
    status: 422,
    field: "groups.kube-master",
  },
  {
    name: "hosts of the wrong type",
    body: { ...TOPOLOGY, hosts: [] },
    status: 422,
    field: "hosts",
  },
  { name: "an unknown top-level key", body: { ...TOPOLOGY, extra: 1 }, status: 422, field: "" },
  {
    name: "JSON that does not parse",
    text: "{",
    type: "application/json",
    status: 422,
    field: "body",
  },
  {
    name: "an INI host range",
    text: "[kube-node]\nn[1:3]\n",
    type: "text/plain",
    status: 422,
    field: "line.2",
  },
  {
    name: "an INI broken section",
    text: "[kube-master\nm1\n",
    type: "text/plain",
    status: 422,
    field: "line.1",
  },
  {
    name: "an INI var without a value",
    text: "[all:vars]\nfoo\n",
    type: "text/plain",
    status: 422,
    field: "line.2",
  },
  {
    name: "an INI inventory without masters",
    text: "[kube-node]\nn1 ip=10.0.0.1\n",
    type: "text/plain",
    status: 422,
    field: "groups.kube-master",
  },
  {
    name: "YAML that does not parse",
    text: "all:\n  hosts: [\n",
    type: "application/yaml",
    status: 422,
  },
  {
    name: "YAML that is a list",
    text: "- a\n- b\n",
    type: "application/yaml",
    status: 422,
    field: "body",
  },
  { name: "a wrong content type", text: "<xml/>", type: "application/xml", status: 415 },
  {
    name: "a body over 1 MiB",
    text: "x".repeat(1024 * 1024 + 10),
    type: "text/plain",
    status: 413,
  },
  {
    name: "a stale If-Match",
    body: withVars({ kube_apiserver_port: 6443 }),
    headers: { "if-match": '"0"' },
    status: 412,
  },
  {
    name: "a malformed If-Match",
    body: withVars({ kube_apiserver_port: 6443 }),
    headers: { "if-match": "v1" },
    status: 422,
    field: "If-Match",
  },
  {
    name: "a host PUT with a bad group name",
    method: "PUT",
    path: (c) => `/v1/clusters/${c}/hosts/n3`,
    body: { ip: "10.0.1.3", groups: ["bad group"] },
    status: 422,
    field: "groups.0",
  },
  {
    name: "a host PUT with a hostile host name",
    method: "PUT",
    path: (c) => `/v1/clusters/${c}/hosts/evil;x`,
    body: { ip: "10.0.1.3" },
    status: 422,
    field: "host",
  },
  {
    name: "a host PUT that removes the last master",
    method: "PUT",
    path: (c) => `/v1/clusters/${c}/hosts/m1`,
    body: { ip: "10.0.0.1", groups: [] },
    status: 200,
  },
  {
    name: "a host PUT with an unknown field",
    method: "PUT",
    path: (c) => `/v1/clusters/${c}/hosts/n3`,
    body: { ip: "10.0.1.3", port: 22 },
    status: 422,
  },
  {
    name: "a host PUT as text",
    method: "PUT",
    path: (c) => `/v1/clusters/${c}/hosts/n3`,
    text: "ip=1.2.3.4",
    type: "text/plain",
    status: 415,
  },
  {
    name: "deleting a host that does not exist",
    method: "DELETE",
    path: (c) => `/v1/clusters/${c}/hosts/ghost`,
    status: 404,
  },
  {
    name: "a topology for a cluster that does not exist",
    path: () => "/v1/clusters/nope-404/topology",
    body: TOPOLOGY,
    status: 404,
  },
  {
    name: "a join token with a negative TTL",
    method: "POST",
    path: (c) => `/v1/clusters/${c}/join-tokens`,
    body: { ttlSeconds: -1 },
    status: 422,
    field: "ttlSeconds",
  },
  {
    name: "a join token with maxUses as a string",
    method: "POST",
    path: (c) => `/v1/clusters/${c}/join-tokens`,
    body: { maxUses: "5" },
    status: 422,
    field: "maxUses",
  },
  {
    name: "JSON nested 10,000 deep",
    text: deepJson(),
    type: "application/json",
    status: 422,
    field: "hosts.m1.vars.v" + ".x".repeat(28),
  },
  {
    name: "a chain of 20,000 groups",
    body: chainOfGroups(),
    status: 422,
    field: "groups.g0.children",
  },
  {
    name: "a group named __proto__",
    text: '{"hosts":{"m1":{"ip":"10.0.0.1"}},"groups":{"kube-master":{"hosts":["m1"]},"etcd":{"hosts":["m1"]},"__proto__":{"hosts":["m1"]}}}',
    type: "application/json",
    status: 422,
    field: "groups.__proto__",
  },
  {
    name: "kube_apiserver_port on the LB health port",
    body: withVars({ loadbalancer_apiserver_localhost: true, kube_apiserver_port: 8081 }),
    status: 422,
    field: "loadbalancer_apiserver_healthcheck_port",
  },
  {
    name: "the external LB on the health port",
    body: {
      ...TOPOLOGY,
      hosts: { ...TOPOLOGY.hosts, lb1: { ip: "10.0.2.1" } },
      groups: { ...TOPOLOGY.groups, lb: { hosts: ["lb1"], children: [] } },
      vars: { loadbalancer_apiserver: { address: "10.0.9.9", port: 8081 } },
    },
    status: 422,
    field: "loadbalancer_apiserver_healthcheck_port",
  },
  {
    name: "the LB name localhost",
    body: withVars({
      apiserver_loadbalancer_domain_name: "localhost",
      loadbalancer_apiserver: { address: "10.0.9.9" },
    }),
    status: 422,
    field: "vars.apiserver_loadbalancer_domain_name",
  },
  {
    name: "an all-numeric LB name",
    body: withVars({
      apiserver_loadbalancer_domain_name: "1234",
      loadbalancer_apiserver: { address: "10.0.9.9" },
    }),
    status: 422,
    field: "vars.apiserver_loadbalancer_domain_name",
  },
  {
    name: "prune that is not a boolean",
    path: (c) => `/v1/clusters/${c}/topology?prune=maybe`,
    body: TOPOLOGY,
    status: 422,
    field: "prune",
  },
  {
    name: "a join token for a group that does not exist",
    method: "POST",
    path: (c) => `/v1/clusters/${c}/join-tokens`,
    body: { groups: ["workers"] },
    status: 422,
    field: "groups.0",
  },
  {
    name: "a cluster name with upper case",
    method: "POST",
    path: () => "/v1/clusters",
    body: { name: "Prod" },
    status: 422,
    field: "name",
  },
];

describe("bad input gets a clear error and changes nothing", () => {
  it.each(CASES)("$name -> $status", async (t) => {
    const c = await clusterWith();
    const before = await (await api("GET", `/v1/clusters/${c}/topology`)).text();
    const res = await api(t.method ?? "PUT", t.path?.(c) ?? `/v1/clusters/${c}/topology`, {
      body: t.body,
      text: t.text,
      type: t.type,
      headers: t.headers,
    });
    const problem = await json<{
      status: number;
      type: string;
      title: string;
      detail: string;
      errors?: Array<{ path: string }>;
    }>(res);
    if (t.status === 200) {
      // Removing m1 from kube-master leaves m2: allowed. The next case shows the last one is guarded.
      expect(res.status).toBe(200);
      const last = await api("PUT", `/v1/clusters/${c}/hosts/m2`, {
        body: { ip: "10.0.0.2", groups: [] },
      });
      expect(last.status).toBe(422);
      return;
    }
    expect(res.status).toBe(t.status);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(problem).toMatchObject({
      status: t.status,
      type: expect.stringContaining("/problems/"),
      title: expect.any(String),
      detail: expect.any(String),
    });
    if (t.field !== undefined) expect(problem.errors?.map((e) => e.path)).toContain(t.field);
    expect(await (await api("GET", `/v1/clusters/${c}/topology`)).text()).toBe(before);
    expect((await api("GET", "/v1/clusters")).status).toBe(200);
  });

  it.each([
    [
      "JSON",
      "application/json",
      (g: string) =>
        JSON.stringify({
          ...TOPOLOGY,
          groups: { ...TOPOLOGY.groups, [g]: { hosts: ["n1"], children: [] } },
        }),
    ],
    [
      "INI",
      "text/plain",
      (g: string) =>
        `[kube-master]\nm1 ip=10.0.0.1\n[etcd]\nm1\n[kube-node]\nn1 ip=10.0.1.1\n[${g}]\nn1\n`,
    ],
    [
      "YAML",
      "application/yaml",
      (g: string) =>
        `all:\n  children:\n    kube-master:\n      hosts:\n        m1: {ip: 10.0.0.1}\n    etcd:\n      hosts:\n        m1:\n    kube-node:\n      hosts:\n        n1: {ip: 10.0.1.1}\n    ${g}:\n      hosts:\n        n1:\n`,
    ],
  ])(
    "a %s group named toString or constructor is stored, and everything still answers",
    async (_f, type, doc) => {
      const c = await clusterWith();
      for (const g of ["toString", "constructor", "hasOwnProperty"]) {
        const put = await api("PUT", `/v1/clusters/${c}/topology`, { text: doc(g), type });
        expect(put.status, await put.clone().text()).toBe(200);
        const t = await json<{ topology: { groups: Record<string, { hosts: string[] }> } }>(
          await api("GET", `/v1/clusters/${c}/topology`),
        );
        expect(t.topology.groups[g]?.hosts).toEqual(["n1"]);
        for (const path of [
          `/v1/clusters/${c}/nodes`,
          `/v1/clusters/${c}/nodes/n1/config`,
          `/v1/clusters/${c}`,
          "/v1/clusters",
        ])
          expect((await api("GET", path)).status, path).toBe(200);
      }
    },
  );

  it("refuses a chain of 20,000 nested groups with a 422 naming the limit, quickly", async () => {
    const c = await clusterWith();
    const groups: Record<string, unknown> = { ...TOPOLOGY.groups };
    for (let i = 0; i < 20_000; i++)
      groups[`g${i}`] = { hosts: [], children: i < 19_999 ? [`g${i + 1}`] : [] };
    const t0 = Date.now();
    const res = await api("PUT", `/v1/clusters/${c}/topology?dryRun=true`, {
      body: { ...TOPOLOGY, groups },
    });
    expect(res.status).toBe(422);
    const body = await json<{ errors: Array<{ path: string; message: string }> }>(res);
    expect(body.errors[0]?.message).toMatch(/nest more than 64 levels deep|more than \d+ groups/);
    expect(Date.now() - t0).toBeLessThan(3000);
  });

  it("answers an unknown route with a 404 problem", async () => {
    const res = await api("GET", "/v1/nothing-here");
    expect(res.status).toBe(404);
    expect(await json(res)).toMatchObject({ status: 404, title: "Not found" });
  });

  it("refuses registration with an expired join token", async () => {
    const c = await clusterWith();
    const { token } = await json<{ token: string }>(
      await api("POST", `/v1/clusters/${c}/join-tokens`, { body: { ttlSeconds: 60 } }),
    );
    const realNow = Date.now;
    Date.now = () => realNow() + 61_000;
    try {
      const res = await api("POST", "/v1/register", {
        token: null,
        body: { token, hostname: "n5", ip: "10.0.1.5" },
      });
      expect(res.status).toBe(401);
      expect((await json(res)).detail).toBe("token: the join token has expired");
    } finally {
      Date.now = realNow;
    }
    const t = await json<{ version: number }>(await api("GET", `/v1/clusters/${c}/topology`));
    expect(t.version).toBe(1);
  });

  it("refuses registration with a hostile hostname or a bad ip", async () => {
    const c = await clusterWith();
    const { token } = await json<{ token: string }>(
      await api("POST", `/v1/clusters/${c}/join-tokens`, { body: {} }),
    );
    for (const [hostname, ip, field] of [
      ["n5;rm -rf", "10.0.1.5", "hostname"],
      ["n5", "10.0.1.5\n", "ip"],
    ]) {
      const res = await api("POST", "/v1/register", { token: null, body: { token, hostname, ip } });
      expect(res.status).toBe(422);
      expect(
        (await json<{ errors: Array<{ path: string }> }>(res)).errors.map((e) => e.path),
      ).toEqual([field]);
    }
    expect(
      (await json<{ version: number }>(await api("GET", `/v1/clusters/${c}/topology`))).version,
    ).toBe(1);
  });
});
