import * as z from "zod/mini";
import { GroupName } from "../names.ts";
import { Address, DialUrl, list, Name } from "./fields.ts";
import { defineKind } from "./types.ts";

const Spec = z.strictObject({
  groups: list(GroupName, 0, 1000),
  apiserver: z.strictObject({
    url: DialUrl,
    via: z.enum(["local", "localhost-lb", "external-lb", "direct"]),
  }),
  etcd: z.strictObject({
    endpoints: list(DialUrl, 1, 1000),
    flannel: DialUrl,
    via: z.enum(["member", "proxy", "direct"]),
  }),
  certSANs: z.optional(list(z.union([Address, Name]), 0, 100_000)),
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
