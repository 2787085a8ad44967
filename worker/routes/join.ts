import { auditEntry } from "../db/audit.ts";
import {
  deleteJoinToken,
  insertJoinToken,
  joinTokenById,
  joinTokenOf,
  joinTokensOf,
  useJoinToken,
  type TokenRow,
} from "../db/join-tokens.ts";
import { hasCredential, insertNode, replaceCredential } from "../db/nodes.ts";
import { limited } from "../rate-limits.ts";
import { createRoute, z } from "@hono/zod-openapi";
import { hasOwn } from "../../shared/own.ts";
import {
  canonicalGroup,
  claimHost,
  type Claim,
  type Membership,
} from "../../shared/topology/membership.ts";
import { GROUPS } from "../../shared/topology/schema.ts";
import {
  JoinTokenBody,
  JoinTokenList,
  JoinTokenResponse,
  RegisterBody,
  RegisterResponse,
} from "../../shared/api-schemas.ts";
import { access, json, jsonBody, params, problems, router } from "../api.ts";
import { requireAdmin } from "../auth.ts";
import { constraintFailed, db, type Db } from "../db/client.ts";
import { currentTopology, requireCluster } from "../db/topology-store.ts";
import { AppError, ErrorCode, invalid, notFound } from "../errors.ts";
import { notifyHub, revokeNodes } from "../hub-client.ts";
import { serialized } from "../serialized.ts";
import { mintToken, readToken, timingSafeEqual } from "../tokens.ts";
import { decideAndChange } from "../topology-change.ts";
import { member } from "./topology.ts";

const DEFAULT_TTL_SECONDS = 24 * 3600;
/** Groups a token may name even before the topology lists them. */
const BUILT_IN_GROUPS = new Set<string>(Object.values(GROUPS));

const iso = (ms: number) => new Date(ms).toISOString();

/** A join token as listed: never its secret. */
function showToken(r: TokenRow, now = Date.now()) {
  return {
    id: r.id,
    cluster: r.cluster,
    groups: r.groups,
    hosts: r.hosts,
    expiresAt: iso(r.expiresAt ?? 0),
    maxUses: r.maxUses,
    uses: r.uses,
    expired: (r.expiresAt ?? 0) <= now || (r.maxUses !== null && r.uses >= r.maxUses),
    actor: r.actor,
    createdAt: iso(r.createdAt),
  };
}

/** Join tokens of a cluster: create (the secret is shown once), list, revoke. */
export const joinTokenRoutes = router()
  .openapi(
    createRoute({
      method: "post",
      path: "/{c}/join-tokens",
      ...access.adminWithJson,
      description: "a join token; its secret is in this answer only",
      request: { params: z.object({ c: params.c }), body: jsonBody(JoinTokenBody) },
      responses: { 201: json(JoinTokenResponse, "created"), ...problems() },
    }),
    async (c) => {
      const actor = requireAdmin(c.get("principal"));
      const cluster = c.req.valid("param").c;
      const body = c.req.valid("json");
      const d = db(c.env.DB);
      const { topology } = await currentTopology(d, cluster);
      const groups = [...new Set((body.groups ?? [GROUPS.node]).map(canonicalGroup))];
      const unknown = groups.filter((g) => !BUILT_IN_GROUPS.has(g) && !hasOwn(topology?.groups, g));
      if (unknown.length > 0)
        throw invalid(
          unknown.map((g) => ({
            path: `groups.${(body.groups ?? []).findIndex((x) => canonicalGroup(x) === g)}`,
            message: `unknown group '${g}': not a built-in group and not in the topology`,
          })),
        );
      const { token, id, hash } = mintToken("join");
      const now = Date.now();
      const row: TokenRow = {
        id,
        cluster,
        tokenHash: hash,
        groups,
        hosts: body.hosts ?? [],
        expiresAt: now + (body.ttlSeconds ?? DEFAULT_TTL_SECONDS) * 1000,
        // A token that may take over named hosts (re-imaging) is good once per host unless
        // said otherwise: replayed, it would revoke the real agent each time.
        maxUses: body.maxUses ?? ((body.hosts ?? []).length > 0 ? (body.hosts ?? []).length : null),
        uses: 0,
        actor,
        createdAt: now,
      };
      const shown = showToken(row, now);
      const { cluster: _c, actor: _a, createdAt: _t, uses: _u, expired: _e, ...logged } = shown;
      await d.batch([
        insertJoinToken(d, row),
        auditEntry(d, {
          cluster,
          at: now,
          actor,
          action: "join-token.create",
          detail: logged,
        }),
      ]);
      return c.json({ token, ...shown }, 201);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/{c}/join-tokens",
      ...access.admin,
      request: { params: z.object({ c: params.c }) },
      responses: { 200: json(JoinTokenList), ...problems() },
    }),
    async (c) => {
      const cluster = c.req.valid("param").c;
      const d = db(c.env.DB);
      await requireCluster(d, cluster);
      const rows = await joinTokensOf(d, cluster);
      return c.json({ tokens: rows.map((r) => showToken(r)) }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/{c}/join-tokens/{id}",
      ...access.admin,
      request: {
        params: z.object({ c: params.c, id: z.string().meta({ description: "the token's id" }) }),
      },
      responses: { 204: { description: "revoked" }, ...problems() },
    }),
    async (c) => {
      const actor = requireAdmin(c.get("principal"));
      const { c: cluster, id } = c.req.valid("param");

      const d = db(c.env.DB);
      const row = await joinTokenOf(d, cluster, id);
      if (!row) throw notFound(`join token '${id}' of cluster '${cluster}'`);
      await d.batch([
        deleteJoinToken(d, id),
        auditEntry(d, {
          cluster,
          at: Date.now(),
          actor,
          action: "join-token.revoke",
          detail: { id },
        }),
      ]);
      return c.body(null, 204);
    },
  );

const denied = (detail: string) => new AppError(ErrorCode.unauthorized, detail);

/** Registration attempts that lost a race on the nodes table try again from the top. */
const ATTEMPTS = 10;

/**
 * POST /v1/register: a join token buys a node credential, under the claim rules (the README's "Membership"): a new
 * host joins in the token's groups; a declared host that never registered is claimed if the
 * token's groups cover its groups; a host that has a credential only by a token naming it.
 */
export const registerRoutes = router().openapi(
  createRoute({
    method: "post",
    path: "/",
    ...access.anyoneWithJson,
    description: "a join token (in the body) buys a node credential",
    request: { body: jsonBody(RegisterBody) },
    responses: { 201: json(RegisterResponse, "registered"), ...problems(409, 429) },
  }),
  async (c) => {
    await limited(c, "REGISTER_LIMIT", "registrations");
    const body = c.req.valid("json");
    const t = readToken(body.token);
    if (!t || t.kind !== "join") throw denied("token: not a join token");
    const d = db(c.env.DB);
    const row = await joinTokenById(d, t.id);
    if (!row || !timingSafeEqual(row.tokenHash, t.hash))
      throw denied("token: not a valid join token");
    if (row.expiresAt !== null && row.expiresAt <= Date.now())
      throw denied("token: the join token has expired");
    if (row.maxUses !== null && row.uses >= row.maxUses)
      throw denied("token: the join token is used up");
    // One registration at a time per cluster in this isolate; other isolates meet at the commit.
    const result = await serialized(`register:${row.cluster}`, async () => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await register(d, row, body);
        } catch (e) {
          // D1 runs writes one at a time: the use that would pass max_uses fails its whole batch.
          if (constraintFailed(e, "CHECK")) throw denied("token: the join token is used up");
          if (attempt >= ATTEMPTS || !constraintFailed(e, "UNIQUE", "nodes")) throw e;
        }
      }
    });
    await revokeNodes(c.env, row.cluster, result.revoke);
    if (result.changed) await notifyHub(c.env, row.cluster);
    return c.json({ cluster: row.cluster, host: body.hostname, nodeToken: result.nodeToken }, 201);
  },
);

async function register(
  d: Db,
  row: TokenRow,
  body: { hostname: string; ip: string; facts: Record<string, unknown> },
): Promise<{ nodeToken: string; revoke: string[]; changed: boolean }> {
  const { cluster } = row;
  const host = body.hostname;
  const node = mintToken("node");
  const actor = `join:${row.id}`;
  const now = Date.now();
  /** The claim rule on the membership as it is when the change is computed (again on a retry). */
  const decide = async (m: Membership | null): Promise<Membership & { claim: Claim }> => {
    const registered = await hasCredential(d, cluster, host);
    const r = claimHost(m, {
      host,
      ip: body.ip,
      tokenGroups: row.groups,
      reimage: row.hosts.includes(host),
      hasCredential: registered,
    });
    if (!r.ok)
      throw new AppError(
        r.refusal.reason === "registered" ? ErrorCode.hostRegistered : ErrorCode.forbidden,
        r.refusal.message,
      );
    return { ...r.next, claim: r.claim };
  };
  const credential = {
    tokenId: node.id,
    tokenHash: node.hash,
    registeredIp: body.ip,
    facts: body.facts,
  };
  const { result: r, decision } = await decideAndChange(d, {
    cluster,
    actor,
    action: "topology.register",
    detail: { host },
    joiningHost: host,
    next: (cur) => decide(member(cur)),
    extra: (_version, { claim }) => [
      useJoinToken(d, row.id),
      claim === "reimage"
        ? replaceCredential(d, cluster, host, credential)
        : // A plain insert: a concurrent claim of the same host fails here and is retried.
          insertNode(d, cluster, host, credential, now),
      auditEntry(d, {
        cluster,
        at: now,
        actor,
        action: "node.register",
        detail: { host, ip: body.ip, claim },
      }),
    ],
  });
  return {
    nodeToken: node.token,
    revoke: decision.claim === "reimage" ? [host] : [],
    changed: r.changed.length > 0,
  };
}
