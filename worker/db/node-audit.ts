import type { Db } from "./client.ts";
import { auditEntry } from "./audit.ts";

/**
 * A node's drift in the audit log, by the node's own credential. A failure is logged, not
 * thrown: the hub must keep serving its sockets.
 */
export async function auditDrift(
  d: Db,
  who: { cluster: string; host: string; tokenId: string },
  drift: { kinds: string[]; healed: boolean },
): Promise<void> {
  try {
    await auditEntry(d, {
      cluster: who.cluster,
      at: Date.now(),
      actor: `node:${who.tokenId}`,
      action: "node.drift",
      detail: { host: who.host, ...drift },
    });
  } catch (e) {
    console.error("hub: recording a drift in the audit log failed", e);
  }
}
