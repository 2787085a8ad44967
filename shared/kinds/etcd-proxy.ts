import * as z from "zod/mini";
import { renderEtcdProxy } from "../render/etcd-proxy.ts";
import { HostPort, list } from "./fields.ts";
import { defineKind } from "./types.ts";

const Spec = z.strictObject({
  listen: HostPort,
  backends: list(HostPort, 1, 1000),
});

/** The loopback address the etcd proxy serves on every proxied node. */
export const ETCD_PROXY_LISTEN = "127.0.0.1:2379";

/** `etcd-proxy`: the env file of `etcd gateway` on nodes that are not members (no multiaccess). */
export const etcdProxyKind = defineKind({
  kind: "etcd-proxy",
  spec: Spec,
  select: (r) =>
    r.inCluster && !r.settings.etcdMultiaccess && !r.etcdMember
      ? { listen: ETCD_PROXY_LISTEN, backends: r.etcd }
      : null,
  render: (spec) => renderEtcdProxy(spec.listen, spec.backends),
  defaults: {
    paths: ["/etc/halo/etcd-proxy.env"],
    check: null,
    reload: "systemctl restart halo-etcd-proxy",
    retire: "systemctl disable --now halo-etcd-proxy",
    health: "tcp://127.0.0.1:2379",
  },
});
