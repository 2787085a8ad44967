import { sql } from "drizzle-orm";
import type { CertSeen } from "../../shared/tls.ts";
import type { ProbeResult } from "../../shared/live.ts";
import { ROLLOUT_STATES } from "../../shared/rollout.ts";

/** A node's last drift: when, which kinds, and whether the agent healed them. */
export interface LastDrift {
  at: string;
  kinds: string[];
  healed: boolean;
}

/** A backend a node's LB took out: the master, since when, and why. */
export interface Ejection {
  master: string;
  since: string;
  reason: string;
}

/** While masters are drained: the drains a node's LB applied and its connections to each. */
export interface LbReport {
  drained: string[];
  connections: Record<string, number>;
}
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
  /** read through its schema (`rolloutPolicyOf`): rows predate fields */
  rolloutPolicy: text("rollout_policy", { mode: "json" }).$type<unknown>().notNull().default({}),
  /** probe interval and drift policy, sent to agents with their probe targets */
  livePolicy: text("live_policy", { mode: "json" }).$type<unknown>().notNull().default({}),
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
    changed: text("changed", { mode: "json" }).$type<string[]>().notNull(),
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
    facts: text("facts", { mode: "json" }).$type<Record<string, unknown>>().notNull().default({}),
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
    /** the node's last probe results by target id */
    probes: text("probes", { mode: "json" }).$type<Record<string, ProbeResult>>(),
    probedAt: integer("probed_at"),
    /** the node's own path to the apiserver, as it last probed it */
    apiserverOk: integer("apiserver_ok", { mode: "boolean" }),
    apiserverMs: real("apiserver_ms"),
    /** kinds whose files differ from what was applied, now */
    drift: text("drift", { mode: "json" }).$type<string[]>().notNull().default([]),
    /** the last drift seen */
    lastDrift: text("last_drift", { mode: "json" }).$type<LastDrift>(),
    /** on an lb host running keepalived: whether it held the VIP at its last report */
    vipHeld: integer("vip_held", { mode: "boolean" }),
    /** nginx nodes: the backends its agent took out */
    ejected: text("ejected", { mode: "json" }).$type<Ejection[]>().notNull().default([]),
    /** while masters are drained: what its LB applied */
    lb: text("lb", { mode: "json" }).$type<LbReport>(),
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
    state: text("state", { enum: ROLLOUT_STATES }).notNull(),
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
