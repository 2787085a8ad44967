import * as z from "zod/mini";
import { INTERFACE_NAME, INTERFACE_NAME_MESSAGE } from "../names.ts";
import { renderKeepalived } from "../render/keepalived.ts";
import { Address, list, Port } from "./fields.ts";
import { defineKind } from "./types.ts";

const Byte = z.int().check(z.gte(1), z.lte(255));
const Spec = z.strictObject({
  vip: Address,
  interface: z.string().check(z.regex(INTERFACE_NAME, INTERFACE_NAME_MESSAGE)),
  routerId: Byte,
  priority: Byte,
  advertInt: Byte,
  self: Address,
  peers: list(Address, 1, 32),
  authPass: z.string().check(z.regex(/^[0-9a-f]{8}$/, "must be 8 hex digits")),
  healthPort: Port,
});

/** `keepalived`: on `lb` hosts when there is a VIP and more than one of them. */
export const keepalivedKind = defineKind({
  kind: "keepalived",
  holdsVip: true,
  spec: Spec,
  select: (r): z.infer<typeof Spec> | null => {
    const s = r.settings;
    if (!r.lb || !r.vrrp || !s.externalLb || s.vip.interface === null) return null;
    return {
      vip: s.externalLb.address,
      interface: s.vip.interface,
      routerId: r.vrrp.routerId,
      priority: r.vrrp.priority,
      advertInt: s.vip.advertInt,
      self: r.vrrp.self,
      peers: r.vrrp.peers,
      authPass: r.vrrp.authPass,
      healthPort: s.lbHealthPort,
    };
  },
  render: renderKeepalived,
  defaults: {
    paths: ["/etc/keepalived/keepalived.conf"],
    check: "keepalived --config-test -f {staged}",
    reload: "systemctl reload keepalived",
    retire: "systemctl disable --now keepalived",
    health: null,
  },
});
