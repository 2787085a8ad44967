import type { BatchItem } from "drizzle-orm/batch";
import type { NodePlan } from "../../shared/bundle.ts";
import { covers, routesOf, type CertSeen } from "../../shared/tls.ts";
import { db } from "../db/client.ts";
import { saveCert } from "../db/certs.ts";

/**
 * The masters' certificates as nodes see them. Every node reports what each master presented;
 * the hub keeps the last fingerprint per master in its own SQLite and writes D1 only when one
 * changes, so 5,000 nodes saying the same thing cost nothing.
 */
export class CertObservations {
  constructor(private readonly sql: SqlStorage) {
    sql.exec(`CREATE TABLE IF NOT EXISTS certs (
      master TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, cert TEXT NOT NULL,
      observer TEXT NOT NULL, at INTEGER NOT NULL, dirty INTEGER NOT NULL)`);
  }

  /** The cluster was deleted: what was seen goes with it. */
  clear(): void {
    this.sql.exec(`DELETE FROM certs`);
  }

  /** Records what `observer` saw; returns the masters whose certificate is news. */
  observe(seen: ReadonlyArray<{ master: string; cert: CertSeen }>, observer: string, now: number) {
    const changed: Array<{ master: string; cert: CertSeen }> = [];
    for (const { master, cert } of seen) {
      const row = this.sql
        .exec<{ fingerprint: string }>(`SELECT fingerprint FROM certs WHERE master = ?`, master)
        .toArray()[0];
      if (row?.fingerprint === cert.fingerprint) continue;
      this.sql.exec(
        `INSERT INTO certs (master, fingerprint, cert, observer, at, dirty) VALUES (?, ?, ?, ?, ?, 1)
         ON CONFLICT (master) DO UPDATE SET fingerprint = excluded.fingerprint,
           cert = excluded.cert, observer = excluded.observer, at = excluded.at, dirty = 1`,
        master,
        cert.fingerprint,
        JSON.stringify(cert),
        observer,
        now,
      );
      changed.push({ master, cert });
    }
    return changed;
  }

  /** Writes the changed certificates to D1. */
  async flush(d1: D1Database, cluster: string): Promise<void> {
    const rows = this.sql
      .exec<{ master: string; fingerprint: string; cert: string; observer: string; at: number }>(
        `SELECT master, fingerprint, cert, observer, at FROM certs WHERE dirty = 1`,
      )
      .toArray();
    if (rows.length === 0) return;
    const d = db(d1);
    const stmts = rows.map((r) =>
      saveCert(d, {
        cluster,
        master: r.master,
        fingerprint: r.fingerprint,
        cert: JSON.parse(r.cert) as CertSeen,
        observer: r.observer,
        observedAt: r.at,
      }),
    );
    await d.batch(stmts as unknown as [BatchItem<"sqlite">, ...BatchItem<"sqlite">[]]);
    for (const r of rows)
      this.sql.exec(
        `UPDATE certs SET dirty = 0 WHERE master = ? AND fingerprint = ?`,
        r.master,
        r.fingerprint,
      );
  }
}

/**
 * The `certificate` event frame for a master whose certificate changed: what it now covers of
 * the names nodes are pointed at through it.
 */
export function certificateEvent(
  master: string,
  cert: CertSeen,
  plans: ReadonlyMap<string, NodePlan> | null,
): Record<string, unknown> {
  const names = new Set<string>();
  for (const r of routesOf(plans ?? new Map()).values())
    if (r.servedBy.includes(master)) names.add(r.host);
  return {
    type: "certificate",
    at: new Date().toISOString(),
    master,
    fingerprint: cert.fingerprint,
    notAfter: cert.notAfter,
    covered: Object.fromEntries([...names].sort().map((n) => [n, covers(cert, n)])),
  };
}
