import { sql } from "drizzle-orm";
import type { CertSeen } from "../../shared/tls.ts";
import {
  check,
  index,
  integer,
  primaryKey,
  real,
  sqliteTable,
  text,
} from "drizzle-orm/sqlite-core";

/** A cluster and the topology version its nodes should converge to. */
export const clusters = sqliteTable("clusters", {
  name: text("name").primaryKey(),
  /** the newest topology version */
  version: integer("version").notNull().default(0),
  /** the last version every node was rolled out to: what nodes outside a rollout run */
  stableVersion: integer("stable_version").notNull().default(0),
  rolloutPolicy: text("rollout_policy").notNull().default("{}"),
  /** probe interval and drift policy (JSON), sent to agents with their probe targets */
  livePolicy: text("live_policy").notNull().default("{}"),
  createdAt: integer("created_at").notNull(),
});

/** Every topology version ever accepted: rollback and audit read these. */
export const topologyVersions = sqliteTable(
  "topology_versions",
  {
    cluster: text("cluster").notNull(),
    version: integer("version").notNull(),
    topology: text("topology").notNull(),
    actor: text("actor").notNull(),
    createdAt: integer("created_at").notNull(),
    changed: text("changed").notNull(),
    /** hosts of this version that joined with a token and were never declared (JSON array) */
    registered: text("registered").notNull().default("[]"),
  },
  (t) => [primaryKey({ columns: [t.cluster, t.version] })],
);

/** An agent registered for a host: its credential (hashed) and what it last reported. */
export const nodes = sqliteTable(
  "nodes",
  {
    cluster: text("cluster").notNull(),
    host: text("host").notNull(),
    tokenId: text("token_id").notNull().unique(),
    tokenHash: text("token_hash").notNull(),
    registeredIp: text("registered_ip"),
    facts: text("facts").notNull().default("{}"),
    appliedVersion: integer("applied_version"),
    appliedHash: text("applied_hash"),
    appliedAt: integer("applied_at"),
    failedHash: text("failed_hash"),
    status: text("status").notNull().default("registered"),
    lastError: text("last_error"),
    connected: integer("connected", { mode: "boolean" }).notNull().default(false),
    lastSeen: integer("last_seen"),
    /** the version the agent named in its last hello */
    agentVersion: text("agent_version"),
    /** the node's last probe results: {<target id>: {ok, ms, error?}} (JSON) */
    probes: text("probes"),
    probedAt: integer("probed_at"),
    /** the node's own path to the apiserver, as it last probed it */
    apiserverOk: integer("apiserver_ok", { mode: "boolean" }),
    apiserverMs: real("apiserver_ms"),
    /** kinds whose files differ from what was applied, now (JSON array) */
    drift: text("drift").notNull().default("[]"),
    /** the last drift seen: {at, kinds, healed} (JSON) */
    lastDrift: text("last_drift"),
    /** on an lb host running keepalived: whether it held the VIP at its last report */
    vipHeld: integer("vip_held", { mode: "boolean" }),
    /** nginx nodes: the backends its agent took out, [{master, since, reason}] (JSON) */
    ejected: text("ejected").notNull().default("[]"),
    /** while masters are drained: {drained: [masters its LB applied], connections: {master: n}} */
    lb: text("lb"),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.cluster, t.host] })],
);

/** Join tokens: scoped to a cluster, optional groups, expiry and use limit; stored hashed. */
export const joinTokens = sqliteTable(
  "join_tokens",
  {
    id: text("id").primaryKey(),
    cluster: text("cluster").notNull(),
    tokenHash: text("token_hash").notNull(),
    groups: text("groups", { mode: "json" }).$type<string[]>().notNull(),
    /** hosts this token may claim even though they already have a credential (re-imaging) */
    hosts: text("hosts", { mode: "json" }).$type<string[]>().notNull().default([]),
    expiresAt: integer("expires_at"),
    maxUses: integer("max_uses"),
    uses: integer("uses").notNull().default(0),
    actor: text("actor").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  // D1 runs writes one at a time: the use that would pass max_uses fails its whole batch.
  (t) => [check("join_tokens_uses", sql`${t.maxUses} IS NULL OR ${t.uses} <= ${t.maxUses}`)],
);

/** Masters being drained (kept across restarts): no node's LB sends them new connections. */
export const drains = sqliteTable(
  "drains",
  {
    cluster: text("cluster").notNull(),
    host: text("host").notNull(),
    since: integer("since").notNull(),
    graceSeconds: integer("grace_seconds").notNull(),
    actor: text("actor").notNull(),
  },
  (t) => [primaryKey({ columns: [t.cluster, t.host] })],
);

/** Single-use, short-lived tickets for a browser's events WebSocket (stored hashed). */
export const eventTickets = sqliteTable("event_tickets", {
  hash: text("hash").primaryKey(),
  cluster: text("cluster").notNull(),
  expiresAt: integer("expires_at").notNull(),
});

/** Every change, by whom (a token id, never a secret). */
export const audit = sqliteTable(
  "audit",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    cluster: text("cluster").notNull(),
    at: integer("at").notNull(),
    actor: text("actor").notNull(),
    action: text("action").notNull(),
    detail: text("detail", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
  },
  (t) => [index("audit_cluster").on(t.cluster, t.id)],
);

/** A topology version on its way to the fleet, wave by wave. */
export const rollouts = sqliteTable(
  "rollouts",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    cluster: text("cluster").notNull(),
    fromVersion: integer("from_version").notNull(),
    toVersion: integer("to_version").notNull(),
    state: text("state").notNull(),
    wave: integer("wave").notNull().default(0),
    waves: text("waves", { mode: "json" }).$type<string[][]>().notNull(),
    policy: text("policy", { mode: "json" }).$type<unknown>().notNull(),
    reason: text("reason"),
    actor: text("actor").notNull(),
    waveStartedAt: integer("wave_started_at").notNull(),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [index("rollouts_cluster").on(t.cluster, t.id)],
);

/** Hosts a rollout has reached: they run this version instead of the cluster's stable one. */
export const nodeTargets = sqliteTable(
  "node_targets",
  {
    cluster: text("cluster").notNull(),
    host: text("host").notNull(),
    version: integer("version").notNull(),
  },
  (t) => [primaryKey({ columns: [t.cluster, t.host] })],
);

/**
 * The serving certificate each master was last seen presenting (by any node's TLS probe, or
 * read from disk by the master's own agent): what a topology change is checked against.
 */
export const masterCerts = sqliteTable(
  "master_certs",
  {
    cluster: text("cluster").notNull(),
    master: text("master").notNull(),
    fingerprint: text("fingerprint").notNull(),
    cert: text("cert", { mode: "json" }).$type<CertSeen>().notNull(),
    /** the node whose agent saw it */
    observer: text("observer").notNull(),
    observedAt: integer("observed_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.cluster, t.master] })],
);
