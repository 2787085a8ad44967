import { and, eq, sql } from "drizzle-orm";
import { Hono } from "hono";
import { GROUPS, type Topology } from "../../shared/topology/schema.ts";
import { JoinTokenBody, RegisterBody } from "../api-schemas.ts";
import { requireAdmin } from "../auth.ts";
import { readJson } from "../body.ts";
import { db } from "../db/client.ts";
import { audit, joinTokens, nodes } from "../db/schema.ts";
import { requireCluster } from "../db/topology-store.ts";
import type { AppEnv } from "../env.ts";
import { AppError, ErrorCode } from "../errors.ts";
import { notifyHub, revokeNode } from "../hub-client.ts";
import { mintToken, readToken, timingSafeEqual } from "../tokens.ts";
import { changeTopology } from "../topology-change.ts";
import { withHost } from "./topology.ts";

/** POST /v1/clusters/:c/join-tokens: a token agents join with, shown once. */
export const joinTokenRoutes = new Hono<AppEnv>().post("/:c/join-tokens", async (c) => {
  const actor = requireAdmin(c.get("principal"));
  const cluster = c.req.param("c");
  const body = await readJson(c, JoinTokenBody);
  const d = db(c.env.DB);
  await requireCluster(d, cluster);
  const { token, id, hash } = mintToken("join");
  const now = Date.now();
  const expiresAt = body.ttlSeconds ? now + body.ttlSeconds * 1000 : null;
  const groups = body.groups ?? [GROUPS.node];
  await d.batch([
    d.insert(joinTokens).values({
      id,
      cluster,
      tokenHash: hash,
      groups: JSON.stringify(groups),
      expiresAt,
      maxUses: body.maxUses ?? null,
      uses: 0,
      actor,
      createdAt: now,
    }),
    d.insert(audit).values({
      cluster,
      at: now,
      actor,
      action: "join-token.create",
      detail: JSON.stringify({ id, groups, expiresAt, maxUses: body.maxUses ?? null }),
    }),
  ]);
  return c.json(
    {
      token,
      id,
      cluster,
      groups,
      expiresAt: expiresAt === null ? null : new Date(expiresAt).toISOString(),
      maxUses: body.maxUses ?? null,
    },
    201,
  );
});

const denied = (detail: string) => new AppError(ErrorCode.unauthorized, 401, detail);

/**
 * POST /v1/register: a join token buys a node credential. The host joins the topology (the
 * token's groups; its ip when the topology has none); re-registering rotates the credential.
 */
export const registerRoutes = new Hono<AppEnv>().post("/", async (c) => {
  const body = await readJson(c, RegisterBody);
  const t = readToken(body.token);
  if (!t || t.kind !== "join") throw denied("token: not a join token");
  const d = db(c.env.DB);
  const row = await d.select().from(joinTokens).where(eq(joinTokens.id, t.id)).get();
  if (!row || !timingSafeEqual(row.tokenHash, t.hash))
    throw denied("token: not a valid join token");
  if (row.expiresAt !== null && row.expiresAt <= Date.now())
    throw denied("token: the join token has expired");
  if (row.maxUses !== null && row.uses >= row.maxUses)
    throw denied("token: the join token is used up");

  const { cluster } = row;
  const host = body.hostname;
  const groups = JSON.parse(row.groups) as string[];
  const node = mintToken("node");
  const actor = `join:${row.id}`;
  const now = Date.now();
  const extra = () => [
    d
      .update(joinTokens)
      .set({ uses: sql`${joinTokens.uses} + 1` })
      .where(eq(joinTokens.id, row.id)),
    d
      .insert(nodes)
      .values({
        cluster,
        host,
        tokenId: node.id,
        tokenHash: node.hash,
        registeredIp: body.ip,
        facts: JSON.stringify(body.facts),
        createdAt: now,
      })
      .onConflictDoUpdate({
        target: [nodes.cluster, nodes.host],
        set: {
          tokenId: node.id,
          tokenHash: node.hash,
          registeredIp: body.ip,
          facts: JSON.stringify(body.facts),
          connected: false,
        },
      }),
    d.insert(audit).values({
      cluster,
      at: now,
      actor,
      action: "node.register",
      detail: JSON.stringify({ host, ip: body.ip }),
    }),
  ];
  await requireCluster(d, cluster);
  const existing = await d
    .select({ tokenId: nodes.tokenId })
    .from(nodes)
    .where(and(eq(nodes.cluster, cluster), eq(nodes.host, host)))
    .get();
  let changed: string[] = [];
  try {
    ({ changed } = await changeTopology(d, {
      cluster,
      actor,
      action: "topology.register",
      detail: { host },
      next: (cur) => joined(cur, host, body.ip, groups),
      extra,
    }));
  } catch (e) {
    if (String(e).includes("CHECK constraint failed"))
      throw denied("token: the join token is used up");
    throw e;
  }
  if (existing) await revokeNode(c.env, cluster, host);
  // A host that was already listed with its address changes no bundle: the hub has nothing to send.
  if (changed.length > 0) await notifyHub(c.env, cluster);
  return c.json({ cluster, host, nodeToken: node.token }, 201);
});

/** The topology with a joining host: kept as it is if listed, else added to the token's groups. */
function joined(t: Topology | null, host: string, ip: string, groups: string[]): Topology {
  const entry = t?.hosts[host];
  if (t && entry) {
    if (entry.ip !== undefined) return t;
    return { ...t, hosts: { ...t.hosts, [host]: { ...entry, ip } } };
  }
  const base = t ?? { hosts: {}, groups: {}, vars: {} };
  const current = Object.entries(base.groups)
    .filter(([, g]) => g.hosts.includes(host))
    .map(([n]) => n);
  return withHost(base, host, { ip }, [...new Set([...current, ...groups])]);
}
