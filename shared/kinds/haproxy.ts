import * as z from "zod/mini";
import { isIPv6 } from "../net.ts";
import { renderHaproxy } from "../render/haproxy.ts";
import { Address, Backend, list, Name, Port } from "./fields.ts";
import { localLb } from "./nginx.ts";
import { defineKind } from "./types.ts";

const Backends = list(Backend, 1, 10_000);
const Spec = z.discriminatedUnion("mode", [
  z.strictObject({
    mode: z.literal("external"),
    vip: Address,
    port: Port,
    healthPort: Port,
    backends: Backends,
    down: z.optional(list(Name, 0, 10_000)),
  }),
  z.strictObject({
    mode: z.literal("localhost"),
    listenPort: Port,
    healthPort: Port,
    v6: z.boolean(),
    backends: Backends,
    down: z.optional(list(Name, 0, 10_000)),
    /** where /healthz listens: loopback (default), or every address as Kubespray's pod does */
    healthOn: z.optional(z.enum(["loopback", "all"])),
  }),
]);

/** `haproxy`: the Kargo document's external LB on `lb` hosts, or the localhost LB when its type is haproxy. */
export const haproxyKind = defineKind({
  kind: "haproxy",
  balancer: "self",
  spec: Spec,
  select: (r): z.infer<typeof Spec> | null => {
    const s = r.settings;
    if (s.externalLb && r.lb)
      return {
        mode: "external",
        vip: s.externalLb.address,
        port: s.externalLb.port,
        healthPort: s.lbHealthPort,
        backends: r.backends,
      };
    if (localLb(r) && s.lbType === "haproxy")
      return {
        mode: "localhost",
        listenPort: s.lbPort,
        healthPort: s.lbHealthPort,
        v6: r.backends.some((b) => isIPv6(b.address)),
        backends: r.backends,
        // As Kubespray's haproxy pod: kubelet's liveness probe goes to the node's own address.
        ...(s.profile === "kubespray" ? { healthOn: "all" as const } : {}),
      };
    return null;
  },
  render: renderHaproxy,
  defaults: {
    paths: ["/etc/haproxy/haproxy.cfg"],
    check: "haproxy -c -q -f {staged}",
    reload: "systemctl reload haproxy",
    retire: "systemctl disable --now haproxy",
    health: "http://127.0.0.1:8081/healthz",
  },
});
