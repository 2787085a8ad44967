import type { NodePlan } from "../shared/bundle.ts";
import { auditEntry } from "./db/audit.ts";
import { routesOf, SAN_ADVICE, uncoveredByChange, type Uncovered } from "../shared/tls.ts";
import { observedCerts } from "./db/certs.ts";
import type { Db } from "./db/client.ts";
import { AppError, ErrorCode } from "./errors.ts";

/** What a topology change was checked against, as the PUT answers it. */
export interface CertificateCheck {
  unobserved: string[];
  uncovered: Uncovered[];
  forced: boolean;
}

/** Errors listed per node, at most this many (the detail counts the rest). */
const MAX_LISTED = 100;

/**
 * A change must not point a node at a name that a master which may answer it does not carry in
 * its observed certificate: every kubelet there would fail with `x509: certificate is valid
 * for ..., not <name>`. Refused (422) unless forced; masters never observed are not judged.
 */
export async function checkCertificates(
  d: Db,
  cluster: string,
  before: ReadonlyMap<string, NodePlan>,
  after: ReadonlyMap<string, NodePlan>,
  force: boolean,
): Promise<CertificateCheck> {
  const certs = await observedCerts(d, cluster);
  const { uncovered, unobserved } = uncoveredByChange(routesOf(before), routesOf(after), certs);
  if (uncovered.length > 0 && !force) throw refusal(uncovered);
  return { unobserved, uncovered, forced: force && uncovered.length > 0 };
}

function refusal(uncovered: Uncovered[]): AppError {
  const groups = new Map<string, { name: string; masters: string[]; nodes: string[] }>();
  for (const u of uncovered) {
    const key = `${u.name} ${u.masters.join(",")}`;
    const g = groups.get(key) ?? { name: u.name, masters: u.masters, nodes: [] };
    g.nodes.push(u.node);
    groups.set(key, g);
  }
  const parts = [...groups.values()].map((g) => {
    const shown = g.nodes.slice(0, 5).join(", ");
    const more = g.nodes.length > 5 ? ` and ${g.nodes.length - 5} more` : "";
    return `${shown}${more} would use ${g.name}, which the certificate of ${g.masters.join(", ")} does not cover`;
  });
  return new AppError(
    ErrorCode.uncoveredName,
    `refused: ${parts.join("; ")}. Fix: ${SAN_ADVICE}`,
    uncovered.slice(0, MAX_LISTED).map((u) => ({
      path: `hosts.${u.node}`,
      message: `${u.name} is not covered by the certificate of ${u.masters.join(", ")}`,
    })),
  );
}

/** The audit entry of a change applied over uncovered names (`force`). */
export function forcedAudit(
  d: Db,
  cluster: string,
  actor: string,
  version: number,
  uncovered: Uncovered[],
) {
  return auditEntry(d, {
    cluster,
    at: Date.now(),
    actor,
    action: "topology.force",
    detail: {
      version,
      uncovered: uncovered.slice(0, MAX_LISTED),
      count: uncovered.length,
    },
  });
}
