import { z } from "zod";
import { GROUP_NAME_MESSAGE, HOST_NAME_MESSAGE } from "../names.ts";
import { canonicalIp, isGroupName, isHostName, isIPv6, isIp } from "../net.ts";

/** Canonical group names, in the order the Kargo document introduces them. */
export const GROUPS = {
  etcd: "etcd",
  master: "kube-master",
  node: "kube-node",
  cluster: "k8s-cluster",
  lb: "lb",
} as const;

/** Modern Kubespray names and the Kargo document's names they stand for. */
export const GROUP_ALIASES: Readonly<Record<string, string>> = {
  kube_control_plane: GROUPS.master,
  kube_node: GROUPS.node,
  k8s_cluster: GROUPS.cluster,
};

export const HostNameSchema = z.string().refine(isHostName, HOST_NAME_MESSAGE);

export const GroupNameSchema = z.string().refine(isGroupName, GROUP_NAME_MESSAGE);

/** Addresses are stored in their canonical spelling, the one every renderer writes. */
export const IpSchema = z
  .string()
  .refine(isIp, "must be an IPv4 or IPv6 literal")
  .transform(canonicalIp);
export const Ip6Schema = z
  .string()
  .refine(isIPv6, "must be an IPv6 literal")
  .transform(canonicalIp);

/** Any control character (newline included) would let a value break out of a config line. */
const CONTROL = /[\u0000-\u001f\u007f]/;

export const VarValueSchema: z.ZodType<unknown> = z
  .lazy(() =>
    z.union([
      z
        .string()
        .max(4096)
        .refine((s) => !CONTROL.test(s), "must not contain control characters"),
      z.number(),
      z.boolean(),
      z.null(),
      z.array(VarValueSchema).max(1000),
      z.record(
        z
          .string()
          .max(256)
          .refine((k) => k !== "__proto__", "is a reserved name"),
        VarValueSchema,
      ),
    ]),
  )
  .meta({ id: "VarValue" });

export const VarsSchema = z.record(
  z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, "must be a variable name")
    .refine((k) => k !== "__proto__", "is a reserved name"),
  VarValueSchema,
);

export const HostSchema = z.strictObject({
  ip: IpSchema.optional(),
  access_ip: IpSchema.optional(),
  ip6: Ip6Schema.optional(),
  access_ip6: Ip6Schema.optional(),
  vars: VarsSchema.optional(),
});

export const GroupSchema = z.strictObject({
  hosts: z.array(HostNameSchema).max(100_000).default([]),
  children: z.array(GroupNameSchema).max(1000).default([]),
  vars: VarsSchema.optional(),
});

/** The JSON topology: an Ansible inventory's hosts, groups and vars. */
/** The canonical topology (`id`: the API document refers to it as one component). */
export const TopologySchema = z
  .strictObject({
    hosts: z.record(HostNameSchema, HostSchema),
    groups: z.record(GroupNameSchema, GroupSchema),
    vars: VarsSchema.default({}),
  })
  .meta({ id: "Topology" });

export type Host = z.infer<typeof HostSchema>;
export type Group = z.infer<typeof GroupSchema>;
export type Topology = z.infer<typeof TopologySchema>;
export type Vars = z.infer<typeof VarsSchema>;
