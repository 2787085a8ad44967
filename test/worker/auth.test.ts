import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { ADMIN, api, clusterWith, json, register } from "./helpers.ts";
import { resolvePrincipal } from "../../worker/auth.ts";
import type { Env } from "../../worker/env.ts";

/** Who calls: every kind of credential the auth matrix distinguishes. */
interface Callers {
  none: null;
  bad: string;
  admin: undefined;
  join: string;
  node: string;
  otherNode: string;
  sameClusterOtherNode: string;
}

let c = "";
let callers: Callers;

beforeAll(async () => {
  c = await clusterWith();
  const other = await clusterWith();
  const { token: join } = await json<{ token: string }>(
    await api("POST", `/v1/clusters/${c}/join-tokens`, { body: {} }),
  );
  callers = {
    none: null,
    bad: "hn_0123456789abcdef_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    admin: undefined,
    join,
    node: await register(c, "n1", "10.0.1.1"),
    otherNode: await register(other, "n1", "10.0.1.1"),
    sameClusterOtherNode: await register(c, "n2", "10.0.1.2"),
  };
});

type Who = keyof Callers;
type Expect = Record<Who, number>;

const ADMIN_ONLY = (ok: number): Expect => ({
  none: 401,
  bad: 401,
  admin: ok,
  join: 403,
  node: 403,
  otherNode: 403,
  sameClusterOtherNode: 403,
});
const NODE_OR_ADMIN: Expect = {
  none: 401,
  bad: 401,
  admin: 200,
  join: 403,
  node: 200,
  otherNode: 403,
  sameClusterOtherNode: 403,
};
const NODE_ONLY: Expect = {
  none: 401,
  bad: 401,
  admin: 403,
  join: 403,
  node: 200,
  otherNode: 200,
  sameClusterOtherNode: 200,
};

const ROUTES: Array<{
  name: string;
  method: string;
  path: () => string;
  body?: unknown;
  expect: Expect;
}> = [
  { name: "list clusters", method: "GET", path: () => "/v1/clusters", expect: ADMIN_ONLY(200) },
  {
    name: "show a cluster",
    method: "GET",
    path: () => `/v1/clusters/${c}`,
    expect: ADMIN_ONLY(200),
  },
  {
    name: "create a cluster",
    method: "POST",
    path: () => "/v1/clusters",
    body: { name: "x" },
    expect: ADMIN_ONLY(409),
  },
  {
    name: "get topology",
    method: "GET",
    path: () => `/v1/clusters/${c}/topology`,
    expect: ADMIN_ONLY(200),
  },
  {
    name: "list nodes",
    method: "GET",
    path: () => `/v1/clusters/${c}/nodes`,
    expect: ADMIN_ONLY(200),
  },
  { name: "audit", method: "GET", path: () => `/v1/clusters/${c}/audit`, expect: ADMIN_ONLY(200) },
  {
    name: "create a join token",
    method: "POST",
    path: () => `/v1/clusters/${c}/join-tokens`,
    body: {},
    expect: ADMIN_ONLY(201),
  },
  {
    name: "a node's endpoints",
    method: "GET",
    path: () => `/v1/clusters/${c}/nodes/n1/endpoints`,
    expect: NODE_OR_ADMIN,
  },
  {
    name: "a node's config",
    method: "GET",
    path: () => `/v1/clusters/${c}/nodes/n1/config`,
    expect: NODE_OR_ADMIN,
  },
  { name: "the agent's config", method: "GET", path: () => "/v1/agent/config", expect: NODE_ONLY },
];

describe("the auth matrix", () => {
  beforeAll(async () => {
    await api("POST", "/v1/clusters", { body: { name: "x" } });
  });
  for (const route of ROUTES) {
    for (const who of Object.keys(route.expect) as Who[]) {
      it(`${route.name}: ${who} gets ${route.expect[who]}`, async () => {
        const res = await api(route.method, route.path(), {
          token: callers[who],
          body: route.body,
        });
        expect(res.status, await res.clone().text()).toBe(route.expect[who]);
        if (res.status >= 400)
          expect(res.headers.get("content-type")).toBe("application/problem+json");
      });
    }
  }

  it("writes as admin only: PUT topology and DELETE cluster refuse a node's credential", async () => {
    expect(
      (await api("PUT", `/v1/clusters/${c}/topology`, { token: callers.node, body: {} })).status,
    ).toBe(403);
    expect((await api("DELETE", `/v1/clusters/${c}`, { token: callers.node })).status).toBe(403);
    expect((await api("DELETE", `/v1/clusters/${c}`, { token: null })).status).toBe(401);
  });

  it("refuses a join token used as a bearer on registration-free routes", async () => {
    const res = await api("GET", "/v1/agent/config", { token: callers.join });
    expect(await json(res)).toMatchObject({ status: 403, title: "Not allowed" });
  });

  it("checks the token before the input: a bad body or query tells an outsider nothing", async () => {
    const tries = [
      { method: "POST", path: "/v1/clusters", body: { name: "Not A Name" } },
      { method: "PUT", path: `/v1/clusters/${c}/rollout-policy`, text: "<xml/>" },
      { method: "GET", path: `/v1/clusters/${c}/audit?limit=lots` },
      { method: "POST", path: `/v1/clusters/${c}/rollouts/x/explode` },
    ];
    for (const t of tries) {
      const as = async (token: string | null) =>
        (await api(t.method, t.path, { token, body: t.body, text: t.text })).status;
      expect(await as(null), `${t.method} ${t.path}`).toBe(401);
      expect(await as(callers.node), `${t.method} ${t.path}`).toBe(403);
      // The admin, who may call it, is told what is wrong.
      expect(await as(ADMIN), `${t.method} ${t.path}`).toBeOneOf([415, 422]);
    }
  });

  it("answers a plain GET on a WebSocket route with 426 problem+json", async () => {
    for (const [path, token] of [
      ["/v1/agent/connect", callers.node],
      [`/v1/clusters/${c}/events`, ADMIN],
    ] as const) {
      const res = await api("GET", path, { token });
      expect(res.status).toBe(426);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
      expect(await json(res)).toMatchObject({ detail: "expected a WebSocket upgrade" });
    }
  });

  it("refuses a malformed Authorization header with 401", async () => {
    const res = await api("GET", "/v1/clusters", {
      token: null,
      headers: { authorization: "Basic abc" },
    });
    expect(res.status).toBe(401);
  });
});

describe("rate limits (Workers Rate Limiting)", () => {
  it("answers 429 with Retry-After once an address has failed authentication too often", async () => {
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 60; i++) {
      const res = await api("GET", "/v1/clusters", {
        token: "wrong-token",
        headers: { "cf-connecting-ip": "198.51.100.7" },
      });
      statuses.push(res.status);
      if (res.status === 429) retryAfter = res.headers.get("retry-after");
    }
    expect(statuses.slice(0, 30).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(30)).toContain(429);
    expect(retryAfter).toBe("10");
    // Another address is not held back, and the admin still gets in.
    const other = await api("GET", "/v1/clusters", {
      token: "wrong-token",
      headers: { "cf-connecting-ip": "198.51.100.8" },
    });
    expect(other.status).toBe(401);
    expect((await api("GET", "/v1/clusters")).status).toBe(200);
  });

  it("limits bad registrations from one address", async () => {
    const statuses = new Set<number>();
    for (let i = 0; i < 60; i++) {
      const res = await api("POST", "/v1/register", {
        token: null,
        headers: { "cf-connecting-ip": "198.51.100.9" },
        body: { token: `hj_${"0".repeat(16)}_nope${i}`, hostname: "n1", ip: "10.0.1.1" },
      });
      statuses.add(res.status);
    }
    expect([...statuses].sort()).toEqual([401, 429]);
  });
});

describe("the admin token", () => {
  it("is refused when shorter than 32 characters: no admin call gets in, and the answer says why", async () => {
    const short = { ...(env as unknown as Env), HALO_ADMIN_TOKEN: "short-token" };
    await expect(resolvePrincipal(short, "Bearer short-token")).rejects.toThrow(
      /HALO_ADMIN_TOKEN is shorter than 32 characters/,
    );
  });
});
