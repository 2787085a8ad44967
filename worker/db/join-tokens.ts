import { and, desc, eq, sql } from "drizzle-orm";
import type { Db } from "./client.ts";
import { joinTokens } from "./schema.ts";

/** A cluster's join tokens, newest first (hashes only: the secrets are never stored). */
export function joinTokensOf(d: Db, cluster: string) {
  return d
    .select()
    .from(joinTokens)
    .where(eq(joinTokens.cluster, cluster))
    .orderBy(desc(joinTokens.createdAt))
    .all();
}

export type TokenRow = typeof joinTokens.$inferSelect;

/** One join token by its id (the id is public; the hash is what proves the secret). */
export function joinTokenById(d: Db, id: string): Promise<TokenRow | undefined> {
  return d.select().from(joinTokens).where(eq(joinTokens.id, id)).get();
}

/** One join token of a cluster. */
export function joinTokenOf(d: Db, cluster: string, id: string): Promise<TokenRow | undefined> {
  return d
    .select()
    .from(joinTokens)
    .where(and(eq(joinTokens.cluster, cluster), eq(joinTokens.id, id)))
    .get();
}

export function insertJoinToken(d: Db, row: TokenRow) {
  return d.insert(joinTokens).values(row);
}

export function deleteJoinToken(d: Db, id: string) {
  return d.delete(joinTokens).where(eq(joinTokens.id, id));
}

/** One more use of a token; the table's check fails the batch that would pass max_uses. */
export function useJoinToken(d: Db, id: string) {
  return d
    .update(joinTokens)
    .set({ uses: sql`${joinTokens.uses} + 1` })
    .where(eq(joinTokens.id, id));
}
