import { and, eq } from "drizzle-orm";
import { Hono } from "hono";
import { importTopology } from "../../shared/topology/import.ts";
import { HostNameSchema, type Topology } from "../../shared/topology/schema.ts";
import { parseTopology } from "../../shared/topology/validate.ts";
import { HostBody } from "../api-schemas.ts";
import { requireAdmin } from "../auth.ts";
import { ifMatch, readJson, readTopologyBody } from "../body.ts";
import { db } from "../db/client.ts";
import { nodes } from "../db/schema.ts";
import { currentTopology } from "../db/topology-store.ts";
import type { AppEnv } from "../env.ts";
import { invalid, notFound } from "../errors.ts";
import { notifyHub, revokeNode } from "../hub-client.ts";
import { changeTopology } from "../topology-change.ts";

const etag = (version: number) => `"${version}"`;

function hostParam(h: string): string {
  if (!HostNameSchema.safeParse(h).success) {
    throw invalid([{ path: "host", message: "must be an RFC 1123 host name" }]);
  }
  return h;
}

/** The cluster's topology as a whole, and one host at a time. */
export const topologyRoutes = new Hono<AppEnv>()
  .get("/:c/topology", async (c) => {
    requireAdmin(c.get("principal"));
    const t = await currentTopology(db(c.env.DB), c.req.param("c"));
    return c.json(t, 200, { etag: etag(t.version) });
  })
  .put("/:c/topology", async (c) => {
    const actor = requireAdmin(c.get("principal"));
    const expected = ifMatch(c);
    const { text, format } = await readTopologyBody(c);
    const imported = importTopology(text, format);
    if (!imported.ok) throw invalid(imported.error);
    const dryRun = c.req.query("dryRun") === "true";
    const r = await changeTopology(db(c.env.DB), {
      cluster: c.req.param("c"),
      actor,
      action: "topology.put",
      expected,
      next: () => imported.value,
      detail: { format },
      dryRun,
    });
    if (dryRun) return c.json(r);
    await notifyHub(c.env, c.req.param("c"));
    return c.json(r, 200, { etag: etag(r.version) });
  })
  .put("/:c/hosts/:h", async (c) => {
    const actor = requireAdmin(c.get("principal"));
    const host = hostParam(c.req.param("h"));
    const expected = ifMatch(c);
    const { groups, ...entry } = await readJson(c, HostBody);
    const r = await changeTopology(db(c.env.DB), {
      cluster: c.req.param("c"),
      actor,
      action: "host.put",
      expected,
      next: (t) => withHost(t, host, entry, groups),
      detail: { host },
    });
    await notifyHub(c.env, c.req.param("c"));
    return c.json(r, 200, { etag: etag(r.version) });
  })
  .delete("/:c/hosts/:h", async (c) => {
    const actor = requireAdmin(c.get("principal"));
    const host = hostParam(c.req.param("h"));
    const cluster = c.req.param("c");
    const expected = ifMatch(c);
    const d = db(c.env.DB);
    const r = await changeTopology(d, {
      cluster,
      actor,
      action: "host.delete",
      expected,
      next: (t) => withoutHost(t, host),
      detail: { host },
      extra: () => [d.delete(nodes).where(and(eq(nodes.cluster, cluster), eq(nodes.host, host)))],
    });
    await revokeNode(c.env, cluster, host);
    await notifyHub(c.env, c.req.param("c"));
    return c.json(r, 200, { etag: etag(r.version) });
  });

/** Sets one host's entry and exactly the groups named (others lose it). */
export function withHost(
  t: Topology | null,
  host: string,
  entry: Topology["hosts"][string],
  groups: string[],
): Topology {
  const base = t ?? { hosts: {}, groups: {}, vars: {} };
  const next: Topology = { ...base, hosts: { ...base.hosts, [host]: entry }, groups: {} };
  for (const [name, g] of Object.entries(base.groups)) {
    next.groups[name] = { ...g, hosts: g.hosts.filter((h) => h !== host) };
  }
  for (const name of groups) {
    const g = next.groups[name] ?? { hosts: [], children: [] };
    next.groups[name] = { ...g, hosts: [...g.hosts, host] };
  }
  return revalidate(next);
}

export function withoutHost(t: Topology | null, host: string): Topology {
  if (!t || !(host in t.hosts)) throw notFound(`host '${host}'`);
  const { [host]: _gone, ...hosts } = t.hosts;
  const groups: Topology["groups"] = {};
  for (const [name, g] of Object.entries(t.groups)) {
    groups[name] = { ...g, hosts: g.hosts.filter((h) => h !== host) };
  }
  return revalidate({ ...t, hosts, groups });
}

function revalidate(t: Topology): Topology {
  const parsed = parseTopology(t);
  if (!parsed.ok) throw invalid(parsed.error);
  return parsed.value;
}
