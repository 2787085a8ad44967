import { and, eq, gt, lt } from "drizzle-orm";
import { sha256Hex } from "../../shared/hash.ts";
import type { Db } from "./client.ts";
import { eventTickets } from "./schema.ts";

/** How long a ticket for the events WebSocket is good for. */
export const TICKET_TTL_MS = 30_000;

/** A new single-use ticket for one cluster's events; only its hash is stored. */
export async function issueTicket(
  d: Db,
  cluster: string,
): Promise<{ ticket: string; expiresAt: string }> {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  const ticket = btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
  const now = Date.now();
  await d.batch([
    // Expired tickets go as new ones come: the table stays as small as its use.
    d.delete(eventTickets).where(lt(eventTickets.expiresAt, now)),
    d
      .insert(eventTickets)
      .values({ hash: sha256Hex(ticket), cluster, expiresAt: now + TICKET_TTL_MS }),
  ]);
  return { ticket, expiresAt: new Date(now + TICKET_TTL_MS).toISOString() };
}

/** Uses a ticket up: true once, for its cluster, before it expires. */
export async function takeTicket(d: Db, cluster: string, ticket: string): Promise<boolean> {
  const gone = await d
    .delete(eventTickets)
    .where(
      and(
        eq(eventTickets.hash, sha256Hex(ticket)),
        eq(eventTickets.cluster, cluster),
        gt(eventTickets.expiresAt, Date.now()),
      ),
    )
    .returning();
  return gone.length > 0;
}
