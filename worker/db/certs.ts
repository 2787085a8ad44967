import { eq, sql } from "drizzle-orm";
import * as z from "zod/mini";
import { CertSeenSchema, type CertSeen } from "../../shared/tls.ts";
import type { Db } from "./client.ts";
import { masterCerts } from "./schema.ts";

/** The certificate each master of a cluster was last seen presenting. */
export async function observedCerts(d: Db, cluster: string): Promise<Map<string, CertSeen>> {
  const rows = await d
    .select({ master: masterCerts.master, cert: masterCerts.cert })
    .from(masterCerts)
    .where(eq(masterCerts.cluster, cluster))
    .all();
  const out = new Map<string, CertSeen>();
  for (const r of rows) {
    const parsed = z.safeParse(CertSeenSchema, r.cert);
    if (parsed.success) out.set(r.master, parsed.data);
  }
  return out;
}

/** Every observed certificate of a cluster, with who saw it and when, by master name. */
export async function certificateRows(d: Db, cluster: string) {
  return d
    .select()
    .from(masterCerts)
    .where(eq(masterCerts.cluster, cluster))
    .orderBy(masterCerts.master)
    .all();
}

/** Keeps the certificate a master was seen presenting (the newest replaces the last). */
export function saveCert(d: Db, row: typeof masterCerts.$inferInsert) {
  return d
    .insert(masterCerts)
    .values(row)
    .onConflictDoUpdate({
      target: [masterCerts.cluster, masterCerts.master],
      set: {
        fingerprint: sql`excluded.fingerprint`,
        cert: sql`excluded.cert`,
        observer: sql`excluded.observer`,
        observedAt: sql`excluded.observed_at`,
      },
    });
}
