import { SELF } from "cloudflare:test";

export const ADMIN = "test-admin-token-0123456789abcdef";

/** Calls the Worker as a client would, through its fetch handler. */
export async function api(
  method: string,
  path: string,
  opts: {
    token?: string | null;
    body?: unknown;
    text?: string;
    type?: string;
    headers?: Record<string, string>;
  } = {},
): Promise<Response> {
  const headers: Record<string, string> = { ...opts.headers };
  const token = opts.token === undefined ? ADMIN : opts.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  let body: string | undefined;
  if (opts.text !== undefined) {
    body = opts.text;
    headers["content-type"] = opts.type ?? "text/plain";
  } else if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers["content-type"] = opts.type ?? "application/json";
  }
  return SELF.fetch(`https://halo.test${path}`, { method, headers, body });
}

export async function json<T = Record<string, unknown>>(res: Response): Promise<T> {
  return (await res.json()) as T;
}

let n = 0;
/** A fresh cluster name per test, so tests never see each other's data. */
export function uniqueCluster(prefix = "c"): string {
  n++;
  return `${prefix}-${n}-${Math.random().toString(36).slice(2, 8)}`;
}

export const TOPOLOGY = {
  hosts: {
    m1: { ip: "10.0.0.1" },
    m2: { ip: "10.0.0.2" },
    e3: { ip: "10.0.0.3" },
    n1: { ip: "10.0.1.1" },
    n2: { ip: "10.0.1.2" },
  },
  groups: {
    "kube-master": { hosts: ["m1", "m2"], children: [] },
    etcd: { hosts: ["m1", "m2", "e3"], children: [] },
    "kube-node": { hosts: ["n1", "n2"], children: [] },
  },
  vars: {},
};

/** Creates a cluster and puts a topology into it; returns the cluster name. */
export async function clusterWith(topology: unknown = TOPOLOGY): Promise<string> {
  const name = uniqueCluster();
  const created = await api("POST", "/v1/clusters", { body: { name } });
  if (created.status !== 201) throw new Error(`create: ${created.status} ${await created.text()}`);
  const put = await api("PUT", `/v1/clusters/${name}/topology`, { body: topology });
  if (put.status !== 200) throw new Error(`put: ${put.status} ${await put.text()}`);
  return name;
}

/**
 * Makes a join token and registers a host with it; returns the node credential. Without
 * `groups`, the token grants exactly the groups the topology declares the host in (kube-node
 * for a new host); `reimage` names the host in the token, so it may replace a registered one.
 */
export async function register(
  cluster: string,
  hostname: string,
  ip: string,
  groups?: string[],
  opts: { reimage?: boolean } = {},
) {
  const body: Record<string, unknown> = {};
  const granted = groups ?? (await declaredGroups(cluster, hostname));
  if (granted.length > 0) body.groups = granted;
  if (opts.reimage) body.hosts = [hostname];
  const t = await api("POST", `/v1/clusters/${cluster}/join-tokens`, { body });
  if (t.status !== 201) throw new Error(`join-token: ${t.status} ${await t.text()}`);
  const { token } = await json<{ token: string }>(t);
  const r = await api("POST", "/v1/register", {
    token: null,
    body: { token, hostname, ip },
  });
  if (r.status !== 201) throw new Error(`register: ${r.status} ${await r.text()}`);
  return (await json<{ nodeToken: string }>(r)).nodeToken;
}

async function declaredGroups(cluster: string, host: string): Promise<string[]> {
  const res = await api("GET", `/v1/clusters/${cluster}/topology`);
  if (res.status !== 200) return [];
  const { topology } = await json<{
    topology: { groups: Record<string, { hosts: string[] }> } | null;
  }>(res);
  return Object.entries(topology?.groups ?? {})
    .filter(([, g]) => g.hosts.includes(host))
    .map(([name]) => name);
}

/** Polls `f` until it gives a truthy value (state reaches D1 in batches); fails after `ms`. */
export async function until<T>(
  what: string,
  f: () => Promise<T | false | undefined | null>,
  ms = 15_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
