import { z } from "zod";
import { ARTIFACT_KINDS } from "./bundle.ts";
import { CertificateCheck, TlsStatus } from "./api-certificates.ts";
import { ROLLOUT_ACTIONS, ROLLOUT_STATES, RolloutPolicySchema } from "./rollout.ts";
import { DRIFT_POLICIES } from "./live.ts";
import {
  GroupNameSchema,
  HostNameSchema,
  HostSchema,
  IpSchema,
  TopologySchema,
  VarsSchema,
} from "./topology/schema.ts";

/**
 * Request and response bodies: the routes validate with these, the OpenAPI document shows them,
 * and the CLI parses every answer with them (no hand-copied response types).
 */
export const ClusterName = z
  .string()
  .regex(
    /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/,
    "must be lowercase letters, digits and inner '-' (1-63)",
  );

export const CreateClusterBody = z.strictObject({
  name: ClusterName,
  rolloutPolicy: RolloutPolicySchema.optional(),
});

export const HostBody = HostSchema.extend({
  groups: z.array(GroupNameSchema).max(100).default([]),
});

export const JoinTokenBody = z.strictObject({
  groups: z.array(GroupNameSchema).min(1).max(20).optional(),
  ttlSeconds: z.number().int().min(60).max(31_536_000).optional(),
  maxUses: z.number().int().min(1).max(1_000_000).optional(),
  /** hosts this token may claim although they already have a credential (re-imaging) */
  hosts: z.array(HostNameSchema).max(1000).optional(),
});

export const RegisterBody = z.strictObject({
  token: z.string().min(1).max(200),
  hostname: HostNameSchema,
  ip: IpSchema,
  facts: z
    .record(z.string().max(64), z.union([z.string().max(1024), z.number(), z.boolean()]))
    .default({}),
});

export const RolloutSummary = z.object({
  id: z.number().int(),
  cluster: z.string(),
  fromVersion: z.number().int(),
  toVersion: z.number().int(),
  state: z.enum(ROLLOUT_STATES),
  /** what an operator may do to it now (POST .../rollouts/{id}/{action}) */
  actions: z.array(z.enum(ROLLOUT_ACTIONS)),
  wave: z.number().int(),
  waveCount: z.number().int(),
  reason: z.string().nullable(),
  policy: RolloutPolicySchema,
  actor: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const ClusterSummary = z.object({
  name: z.string(),
  version: z.number().int(),
  createdAt: z.string(),
  nodes: z.object({
    hosts: z.number().int(),
    registered: z.number().int(),
    connected: z.number().int(),
    applied: z.number().int(),
    failed: z.number().int(),
  }),
  stableVersion: z.number().int(),
  /** the newest rollout */
  rollout: RolloutSummary.nullable(),
});

export const TopologyResponse = z.object({
  version: z.number().int(),
  topology: TopologySchema.nullable(),
  registered: z.array(z.string()),
});
export type ClusterSummary = z.infer<typeof ClusterSummary>;
export const ClusterList = z.object({ clusters: z.array(ClusterSummary) });

/** How one host's bundle would change (a dry run): kinds that differ, retired kinds, its apiserver URL. */
export const HostChange = z.object({
  host: z.string(),
  kinds: z.array(z.string()),
  retired: z.array(z.string()),
  apiserver: z.object({ before: z.string().nullable(), after: z.string().nullable() }),
});

/** A host with no plan yet because an address is not known (Kubespray inventories without ip). */
export const AddressGap = z.object({
  host: z.string(),
  reason: z.enum(["address", "master-address", "etcd-address"]),
  detail: z.string(),
});

export const PutTopologyResponse = z.object({
  version: z.number().int(),
  changed: z.array(z.string()),
  removed: z.array(z.string()),
  retried: z.boolean().optional(),
  /** with dryRun=true: per host, what would change */
  preview: z.array(HostChange).optional(),
  /** the endpoint profile an inventory chose (dry run) */
  profile: z.object({ name: z.string(), reason: z.string() }).optional(),
  /** the certificate check of the change */
  tls: CertificateCheck.optional(),
  /** hosts that get nothing until an agent's join gives a master or etcd member its address */
  pending: z.array(AddressGap).optional(),
});

export const EndpointsResponse = z.object({
  host: z.string(),
  groups: z.array(z.string()),
  apiserver: z.object({
    url: z.string(),
    via: z.enum(["local", "localhost-lb", "external-lb", "direct"]),
  }),
  etcd: z.object({
    endpoints: z.array(z.string()),
    flannel: z.string(),
    via: z.enum(["member", "proxy", "direct"]),
  }),
  certSANs: z.array(z.string()).optional(),
});

const VersionHash = z.object({ version: z.number().int(), hash: z.string() });

/**
 * Where a node stands against what it should run: applied; failed (that very bundle); pending
 * (registered, behind); registered (no apply reported yet); unregistered (no agent).
 */
export const NODE_STATES = ["applied", "failed", "pending", "registered", "unregistered"] as const;
export type NodeState = (typeof NODE_STATES)[number];

export const NodeStatus = z.object({
  host: z.string(),
  groups: z.array(z.string()),
  desired: VersionHash,
  applied: VersionHash.nullable(),
  status: z.enum(NODE_STATES),
  registered: z.boolean(),
  connected: z.boolean(),
  lastSeen: z.string().nullable(),
  lastError: z.string().nullable(),
  agentVersion: z.string().nullable(),
  /** the node's own path to the apiserver, as it last probed it */
  apiserver: z.object({
    url: z.string(),
    ok: z.boolean().nullable(),
    ms: z.number().nullable(),
  }),
  drift: z.array(z.string()),
  lastDrift: z
    .object({ at: z.string(), kinds: z.array(z.string()), healed: z.boolean() })
    .nullable(),
  /** on an lb host running keepalived: whether it held the VIP at its last report */
  vipHeld: z.boolean().nullable(),
  /** nginx nodes: masters this node's agent took out of its LB after failed /readyz checks */
  ejected: z.array(z.object({ master: z.string(), since: z.string(), reason: z.string() })),
  /** a master being drained (POST .../hosts/{host}/drain); null for the rest */
  drain: z.object({ state: z.enum(["draining", "drained"]), since: z.string() }).nullable(),
  tls: TlsStatus,
});
export type NodeStatus = z.infer<typeof NodeStatus>;

export const NodeList = z.object({
  nodes: z.array(NodeStatus),
  /** topology hosts left out of `nodes` until an address is known (see `reason`) */
  pending: z.array(AddressGap),
});

/** POST .../events/ticket: opens the events WebSocket once, from a browser */
export const EventTicket = z.object({ ticket: z.string(), expiresAt: z.string() });

/** POST .../hosts/{host}/drain */
export const DrainBody = z
  .object({
    graceSeconds: z
      .number()
      .int()
      .min(1)
      .max(3600)
      .optional()
      .meta({ description: "seconds before its remaining connections are closed (default 30)" }),
  })
  .strict();
export const DrainStarted = z.object({
  host: z.string(),
  state: z.literal("draining"),
  since: z.string(),
  graceSeconds: z.number().int(),
});
/** GET .../hosts/{host}/drain */
export const DrainStatus = z.object({
  host: z.string(),
  state: z.enum(["none", "draining", "drained"]),
  since: z.string().optional(),
  graceSeconds: z.number().int().optional(),
  nodes: z.object({
    /** connected nodes whose LB has not applied the drain yet */
    routing: z.number().int(),
    /** established connections to the master that nodes report */
    connections: z.number().int(),
  }),
});

export const JoinTokenInfo = z.object({
  id: z.string(),
  cluster: z.string(),
  groups: z.array(z.string()),
  hosts: z.array(z.string()),
  expiresAt: z.string(),
  maxUses: z.number().int().nullable(),
  uses: z.number().int(),
  expired: z.boolean(),
  actor: z.string(),
  createdAt: z.string(),
});
export const JoinTokenResponse = JoinTokenInfo.extend({ token: z.string() });
export const JoinTokenList = z.object({ tokens: z.array(JoinTokenInfo) });

export const RegisterResponse = z.object({
  cluster: z.string(),
  host: z.string(),
  nodeToken: z.string(),
});

export const AuditEntry = z.object({
  id: z.number().int(),
  at: z.string(),
  actor: z.string(),
  action: z.string(),
  detail: z.record(z.string(), z.unknown()),
});

export const AuditList = z.object({ entries: z.array(AuditEntry) });

/** Per cluster: how often agents probe, and what they do about drift. */
export const LivePolicySchema = z.strictObject({
  probeIntervalSeconds: z.number().int().min(2).max(300).default(10),
  driftPolicy: z.enum(DRIFT_POLICIES).default("heal"),
  /** how often an nginx node's agent checks each backend's /readyz at steady state (jittered) */
  checkIntervalSeconds: z.number().int().min(1).max(60).default(2),
  /** a master certificate expiring within this many days is a warning (within 7, an alert) */
  certWarningDays: z.number().int().min(8).max(365).default(30),
});

/** A 204: no body to parse. */
export const NoContent = z.unknown();

export const Problem = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string(),
  errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});

/** A node's bundle as the admin API shows it: each artifact's spec and the file it renders to. */
export const BundleSchema = z.object({
  version: z.number().int(),
  hash: z.string(),
  renderer: z.number().int(),
  artifacts: z.array(
    z.object({
      kind: z.enum(ARTIFACT_KINDS),
      spec: z.unknown(),
      sha256: z.string(),
      content: z.string(),
    }),
  ),
});

/**
 * What an agent pulls: specs only, never a file (the agent renders each spec itself and checks
 * the sha256). The agent parses it with `WireBundleSchema` (zod/mini, in its own bundle).
 */
export const AgentConfig = BundleSchema.extend({
  artifacts: z.array(
    z.object({ kind: z.enum(ARTIFACT_KINDS), spec: z.unknown(), sha256: z.string() }),
  ),
});

export { RolloutPolicySchema, TopologySchema, VarsSchema };
export { CertificateCheck, CertificateList, TlsStatus } from "./api-certificates.ts";

export const RollbackBody = z.strictObject({ version: z.number().int().min(1) });

export type RolloutSummary = z.infer<typeof RolloutSummary>;
export const RolloutList = z.object({ rollouts: z.array(RolloutSummary) });

export const RolloutDetail = RolloutSummary.extend({
  waves: z.array(
    z.object({
      index: z.number().int(),
      name: z.string(),
      state: z.enum(["done", "current", "pending"]),
      nodes: z.array(
        z.object({
          host: z.string(),
          status: z.enum(["applied", "failed", "pending"]),
          error: z.string().nullable(),
        }),
      ),
    }),
  ),
});

export type RolloutDetail = z.infer<typeof RolloutDetail>;

export const ReachabilityResponse = z.object({
  targets: z.array(
    z.object({
      id: z.string(),
      kind: z.enum(["apiserver", "etcd", "lb-name"]),
      host: z.string().optional(),
      address: z.string(),
    }),
  ),
  nodes: z.array(
    z.object({
      host: z.string(),
      at: z.string(),
      results: z.record(
        z.string(),
        z.object({
          ok: z.boolean(),
          ms: z.number(),
          error: z.string().optional(),
          /** apiserver targets: `/readyz`'s HTTP status, and what it means */
          status: z.number().int().optional(),
          readiness: z.enum(["ready", "unknown", "not-ready"]).optional(),
        }),
      ),
    }),
  ),
});

const Via = z.enum(["local", "localhost-lb", "external-lb", "direct"]);

/** GET .../diagram: the traffic diagram's data (shared/diagram.ts). */
export const DiagramResponse = z.object({
  version: z.number(),
  masters: z.array(z.object({ host: z.string(), address: z.string() })),
  etcd: z.object({ members: z.array(z.string()), endpoints: z.array(z.string()) }),
  lb: z.object({ name: z.string(), address: z.string(), hosts: z.array(z.string()) }).nullable(),
  paths: z.array(
    z.object({
      id: z.string(),
      role: z.enum(["master", "node"]),
      via: Via,
      url: z.string(),
      proxy: z.enum(["nginx", "haproxy"]).nullable(),
      etcd: z.object({
        via: z.enum(["member", "proxy", "direct"]),
        endpoints: z.array(z.string()),
        flannel: z.string(),
      }),
      hosts: z.array(z.string()),
    }),
  ),
});
