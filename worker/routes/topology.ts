import { Hono } from "hono";
import { importTopology } from "../../shared/topology/import.ts";
import type { ProfileChoice } from "../../shared/topology/profile.ts";
import { hasOwn } from "../../shared/own.ts";
import {
  replaceDeclared,
  withHost,
  withoutHosts,
  type Membership,
} from "../../shared/topology/membership.ts";
import { HostNameSchema, type Topology } from "../../shared/topology/schema.ts";
import { parseTopology } from "../../shared/topology/validate.ts";
import { HostBody } from "../../shared/api-schemas.ts";
import { requireAdmin } from "../auth.ts";
import { ifMatch, readJson, readTopologyBody } from "../body.ts";
import { db } from "../db/client.ts";
import { currentTopology, type StoredTopology } from "../db/topology-store.ts";
import type { AppEnv } from "../env.ts";
import { invalid, notFound } from "../errors.ts";
import { notifyHub, revokeNodes } from "../hub-client.ts";
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
    const cluster = c.req.param("c");
    const expected = ifMatch(c);
    const prune = flag(c.req.query("prune"), "prune");
    const dryRun = flag(c.req.query("dryRun"), "dryRun");
    const { text, format } = await readTopologyBody(c);
    const info: { profile?: ProfileChoice } = {};
    const imported = importTopology(text, format, info);
    if (!imported.ok) throw invalid(imported.error);
    const r = await changeTopology(db(c.env.DB), {
      cluster,
      actor,
      action: "topology.put",
      expected,
      next: (cur) => replaceDeclared(member(cur), imported.value, prune),
      detail: { format, ...(prune ? { prune } : {}) },
      dryRun,
    });
    if (dryRun) return c.json({ ...r, profile: info.profile });
    await revokeNodes(c.env, cluster, r.removed);
    await notifyHub(c.env, cluster, { retry: r.retried === true });
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
      // A host the operator puts is declared from now on.
      next: (cur) => ({
        topology: revalidate(withHost(cur.topology, host, entry, groups)),
        registered: cur.registered.filter((h) => h !== host),
      }),
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
    const r = await changeTopology(db(c.env.DB), {
      cluster,
      actor,
      action: "host.delete",
      expected,
      next: (cur) => {
        if (!cur.topology || !hasOwn(cur.topology.hosts, host)) throw notFound(`host '${host}'`);
        return {
          topology: revalidate(withoutHosts(cur.topology, new Set([host]))),
          registered: cur.registered.filter((h) => h !== host),
        };
      },
      detail: { host },
    });
    await revokeNodes(c.env, cluster, r.removed);
    await notifyHub(c.env, cluster);
    return c.json(r, 200, { etag: etag(r.version) });
  });

/** The stored version as a membership (null before the first topology). */
export function member(cur: StoredTopology): Membership | null {
  return cur.topology ? { topology: cur.topology, registered: cur.registered } : null;
}

function flag(value: string | undefined, name: string): boolean {
  if (value === undefined || value === "false") return false;
  if (value === "true" || value === "") return true;
  throw invalid([{ path: name, message: "must be true or false" }]);
}

function revalidate(t: Topology): Topology {
  const parsed = parseTopology(t);
  if (!parsed.ok) throw invalid(parsed.error);
  return parsed.value;
}
