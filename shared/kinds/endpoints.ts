import { z } from "zod";
import { GroupNameSchema } from "../topology/schema.ts";
import { DialUrl, Name, Address } from "./fields.ts";
import { defineKind } from "./types.ts";

const Spec = z.strictObject({
  groups: z.array(GroupNameSchema).max(1000),
  apiserver: z.strictObject({
    url: DialUrl,
    via: z.enum(["local", "localhost-lb", "external-lb", "direct"]),
  }),
  etcd: z.strictObject({
    endpoints: z.array(DialUrl).min(1).max(1000),
    flannel: DialUrl,
    via: z.enum(["member", "proxy", "direct"]),
  }),
  certSANs: z
    .array(z.union([Address, Name]))
    .max(100_000)
    .optional(),
});

/** `endpoints`: this node's endpoints as JSON, for kubelet, kube-proxy and CNI wiring. */
export const endpointsKind = defineKind({
  kind: "endpoints",
  spec: Spec,
  // Only k8s-cluster nodes run the components that read it.
  select: (r) => (r.inCluster ? r.endpoints : null),
  render: (spec) => JSON.stringify(spec, null, 2) + "\n",
  defaults: {
    paths: ["/etc/halo/endpoints.json"],
    check: null,
    reload: null,
    retire: null,
    health: null,
  },
});
