import { z } from "zod";
import { mergeHostsBlock, removeHostsBlock, renderHostsBlock } from "../render/hosts.ts";
import { Address, Name } from "./fields.ts";
import { defineKind } from "./types.ts";

const Spec = z.strictObject({
  entries: z
    .array(z.strictObject({ address: Address, names: z.array(Name).min(1).max(20) }))
    .max(100),
});

/** `hosts`: the managed block of /etc/hosts (the LB name -> VIP with an external LB). */
export const hostsKind = defineKind({
  kind: "hosts",
  spec: Spec,
  select: (r) => {
    if (!r.inCluster) return null;
    const lb = r.settings.externalLb;
    return { entries: lb ? [{ address: lb.address, names: [r.settings.lbDomain] }] : [] };
  },
  render: (spec) => renderHostsBlock(spec.entries),
  // Every other line of the file is the system's: only the block between the markers is ours.
  merge: { into: mergeHostsBlock, remove: removeHostsBlock },
  defaults: { paths: ["/etc/hosts"], check: null, reload: null, retire: null, health: null },
});
