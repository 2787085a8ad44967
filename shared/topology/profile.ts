import { hasOwn, own } from "../own.ts";
import type { Issue } from "../result.ts";
import { GROUP_ALIASES, GROUPS, type Topology } from "./schema.ts";

export type ProfileName = "kargo" | "kubespray";

/** Which defaults a topology gets, and why: what the dry run and `halo plan` say. */
export interface ProfileChoice {
  name: ProfileName;
  reason: string;
}

const MODERN = Object.keys(GROUP_ALIASES);
const SEED = [GROUPS.master, GROUPS.node, GROUPS.cluster] as string[];

/**
 * Chooses the profile from the group names as the inventory wrote them (before aliases are
 * folded): an explicit `halo_profile` (all vars) wins; else the modern names mean kubespray and
 * the Kargo document's names kargo; a mix of both is an error, since either choice would surprise.
 */
export function chooseProfile(t: Topology): { choice: ProfileChoice } | { issue: Issue } {
  const explicit = own(t.vars, "halo_profile") ?? own(own(t.groups, "all")?.vars, "halo_profile");
  if (explicit === "kargo" || explicit === "kubespray")
    return { choice: { name: explicit, reason: "halo_profile is set in the inventory" } };
  const used = (names: string[]) => names.filter((n) => hasOwn(t.groups, n));
  const modern = used(MODERN);
  const seed = used(SEED);
  if (modern.length > 0 && seed.length > 0)
    return {
      issue: {
        path: "groups",
        message: `mixes modern group names (${modern.join(", ")}) with the Kargo document's (${seed.join(", ")}): rename one set, or set halo_profile`,
      },
    };
  if (modern.length > 0)
    return {
      choice: {
        name: "kubespray",
        reason: `the inventory uses today's Kubespray group names (${modern.join(", ")})`,
      },
    };
  return {
    choice: {
      name: "kargo",
      reason:
        seed.length > 0
          ? `the inventory uses the Kargo document's group names (${seed.join(", ")})`
          : "no group names say otherwise: the kargo profile's defaults",
    },
  };
}
