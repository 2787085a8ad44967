import * as z from "zod/mini";
import { renderNginx } from "../render/nginx.ts";
import { Backend, list, Name, Port } from "./fields.ts";
import { defineKind } from "./types.ts";

const Spec = z.strictObject({
  listenPort: Port,
  healthPort: Port,
  backends: list(Backend, 1, 10_000),
  /** backends (by name) that get no new connection (drained); the agent adds its ejections */
  down: z.optional(list(Name, 0, 10_000)),
  /** where /healthz listens: loopback (default), or every address as Kubespray's pod does */
  healthOn: z.optional(z.enum(["loopback", "all"])),
});

/** `nginx`: the localhost LB on non-masters (loadbalancer_apiserver_type nginx, the default). */
export const nginxKind = defineKind({
  kind: "nginx",
  balancer: "agent",
  spec: Spec,
  select: (r) =>
    localLb(r) && r.settings.lbType === "nginx"
      ? {
          listenPort: r.settings.lbPort,
          healthPort: r.settings.lbHealthPort,
          backends: r.backends,
          // Kubespray's nginx-proxy answers /healthz on every address: kubelet's liveness probe
          // of the host-network pod goes to the node's own address, not to loopback.
          ...(r.settings.profile === "kubespray" ? { healthOn: "all" as const } : {}),
        }
      : null,
  render: renderNginx,
  defaults: {
    paths: ["/etc/nginx/nginx.conf"],
    check: "nginx -t -q -c {staged}",
    reload: "systemctl reload nginx",
    retire: "systemctl disable --now nginx",
    health: "http://127.0.0.1:8081/healthz",
  },
});

/** A non-master in k8s-cluster with the localhost LB on and no external LB (which overrides it). */
export function localLb(r: {
  inCluster: boolean;
  master: boolean;
  settings: { localhostLb: boolean; externalLb: unknown };
}): boolean {
  return r.inCluster && !r.master && r.settings.localhostLb && r.settings.externalLb === null;
}
