import { createRoute, z } from "@hono/zod-openapi";
import { importTopology } from "../../shared/topology/import.ts";
import type { ProfileChoice } from "../../shared/topology/profile.ts";
import { hasOwn } from "../../shared/own.ts";
import {
  replaceDeclared,
  withHost,
  withoutHosts,
  type Membership,
} from "../../shared/topology/membership.ts";
import type { Topology } from "../../shared/topology/schema.ts";
import { parseTopology } from "../../shared/topology/validate.ts";
import { HostBody, PutTopologyResponse, TopologyResponse } from "../../shared/api-schemas.ts";
import { access, flag, ifMatchHeader, json, jsonBody, params, problems, router } from "../api.ts";
import { requireAdmin } from "../auth.ts";
import { ifMatch, readTopologyBody } from "../body.ts";
import { db } from "../db/client.ts";
import { currentTopology, type StoredTopology } from "../db/topology-store.ts";
import { invalid, notFound } from "../errors.ts";
import { notifyHub, revokeNodes } from "../hub-client.ts";
import { changeTopology } from "../topology-change.ts";

const etag = (version: number) => `"${version}"`;

const cluster = { params: z.object({ c: params.c }) };
const host = {
  params: z.object({ c: params.c, host: params.host }),
  headers: ifMatchHeader,
};

/** A topology body is parsed by the importers (JSON, INI or YAML), so it is described, not validated here. */
const topologyBody = {
  required: true,
  content: {
    "application/json": { schema: { $ref: "#/components/schemas/Topology" } },
    "text/plain": { schema: { type: "string" as const, description: "an Ansible INI inventory" } },
    "application/yaml": {
      schema: { type: "string" as const, description: "an Ansible YAML inventory" },
    },
  },
};

/** The cluster's topology as a whole, and one host at a time. */
export const topologyRoutes = router()
  .openapi(
    createRoute({
      method: "get",
      path: "/{c}/topology",
      ...access.admin,
      request: cluster,
      responses: { 200: json(TopologyResponse), ...problems() },
    }),
    async (c) => {
      const t = await currentTopology(db(c.env.DB), c.req.valid("param").c);
      return c.json(t, 200, { etag: etag(t.version) });
    },
  )
  .openapi(
    createRoute({
      method: "put",
      path: "/{c}/topology",
      ...access.admin,
      request: {
        ...cluster,
        headers: ifMatchHeader,
        query: z.object({
          dryRun: flag("describe the change per host (and the profile chosen), commit nothing"),
          prune: flag("also remove registered hosts the body does not list"),
          force: flag(
            "apply even where a node would use a name the masters' observed certificates do not cover (audited as topology.force)",
          ),
        }),
        body: topologyBody,
      },
      responses: { 200: json(PutTopologyResponse), ...problems(412) },
    }),
    async (c) => {
      const actor = requireAdmin(c.get("principal"));
      const cluster = c.req.valid("param").c;
      const expected = ifMatch(c);
      const { prune, dryRun, force } = c.req.valid("query");
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
        force,
      });
      if (dryRun) return c.json({ ...r, profile: info.profile }, 200);
      await revokeNodes(c.env, cluster, r.removed);
      await notifyHub(c.env, cluster, { retry: r.retried === true });
      return c.json(r, 200, { etag: etag(r.version) });
    },
  )
  .openapi(
    createRoute({
      method: "put",
      path: "/{c}/hosts/{host}",
      ...access.adminWithJson,
      description: "adds or replaces one host (declared from now on)",
      request: {
        ...host,
        query: z.object({
          force: flag(
            "apply even where a node would use a name the masters' observed certificates do not cover (audited as topology.force)",
          ),
        }),
        body: jsonBody(HostBody),
      },
      responses: { 200: json(PutTopologyResponse), ...problems(412) },
    }),
    async (c) => {
      const actor = requireAdmin(c.get("principal"));
      const { c: cluster, host: name } = c.req.valid("param");
      const expected = ifMatch(c);
      const { groups, ...entry } = c.req.valid("json");
      const r = await changeTopology(db(c.env.DB), {
        cluster,
        actor,
        action: "host.put",
        expected,
        // A host the operator puts is declared from now on.
        next: (cur) => ({
          topology: revalidate(withHost(cur.topology, name, entry, groups)),
          registered: cur.registered.filter((x) => x !== name),
        }),
        detail: { host: name },
        force: c.req.valid("query").force,
      });
      await notifyHub(c.env, cluster);
      return c.json(r, 200, { etag: etag(r.version) });
    },
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/{c}/hosts/{host}",
      ...access.admin,
      description: "removes one host; its agent's credential goes with it",
      request: host,
      responses: { 200: json(PutTopologyResponse), ...problems(412) },
    }),
    async (c) => {
      const actor = requireAdmin(c.get("principal"));
      const { c: cluster, host: name } = c.req.valid("param");
      const expected = ifMatch(c);
      const r = await changeTopology(db(c.env.DB), {
        cluster,
        actor,
        action: "host.delete",
        expected,
        next: (cur) => {
          if (!cur.topology || !hasOwn(cur.topology.hosts, name)) throw notFound(`host '${name}'`);
          return {
            topology: revalidate(withoutHosts(cur.topology, new Set([name]))),
            registered: cur.registered.filter((x) => x !== name),
          };
        },
        detail: { host: name },
      });
      await revokeNodes(c.env, cluster, r.removed);
      await notifyHub(c.env, cluster);
      return c.json(r, 200, { etag: etag(r.version) });
    },
  );

/** The stored version as a membership (null before the first topology). */
export function member(cur: StoredTopology): Membership | null {
  return cur.topology ? { topology: cur.topology, registered: cur.registered } : null;
}

function revalidate(t: Topology): Topology {
  const parsed = parseTopology(t);
  if (!parsed.ok) throw invalid(parsed.error);
  return parsed.value;
}
