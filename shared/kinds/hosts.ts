import * as z from "zod/mini";
import { isIp } from "../net.ts";
import { mergeHostsBlock, removeHostsBlock, renderHostsBlock } from "../render/hosts.ts";
import { Address, list, Name } from "./fields.ts";
import { defineKind } from "./types.ts";

const Spec = z.strictObject({
  entries: list(z.strictObject({ address: Address, names: list(Name, 1, 20) }), 0, 100),
});

/** `hosts`: the managed block of /etc/hosts (the LB name -> VIP with an external LB). */
export const hostsKind = defineKind({
  kind: "hosts",
  resolves: true,
  spec: Spec,
  select: (r) => {
    if (!r.inCluster) return null;
    const lb = r.settings.externalLb;
    // An LB "name" that is the VIP itself (Kubespray's default) needs no line.
    const named = lb !== null && !isIp(r.settings.lbDomain);
    return { entries: named ? [{ address: lb.address, names: [r.settings.lbDomain] }] : [] };
  },
  render: (spec) => renderHostsBlock(spec.entries),
  // Every other line of the file is the system's: only the block between the markers is ours.
  merge: { into: mergeHostsBlock, remove: removeHostsBlock },
  defaults: { paths: ["/etc/hosts"], check: null, reload: null, retire: null, health: null },
});
