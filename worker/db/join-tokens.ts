import { desc, eq } from "drizzle-orm";
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
