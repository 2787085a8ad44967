import type { BatchItem } from "drizzle-orm/batch";
import { db } from "../db/client.ts";
import { patchNode, type NodeRow } from "../db/nodes.ts";

/** Columns of a node row that the hub changes, typed as the row holds them. */
export type NodePatch = Partial<
  Pick<
    NodeRow,
    | "appliedVersion"
    | "appliedHash"
    | "appliedAt"
    | "failedHash"
    | "status"
    | "lastError"
    | "connected"
    | "lastSeen"
    | "agentVersion"
    | "probes"
    | "probedAt"
    | "apiserverOk"
    | "apiserverMs"
    | "drift"
    | "lastDrift"
    | "vipHeld"
    | "ejected"
    | "lb"
  >
>;

const BATCH = 400;

/**
 * Node state changes wait in the hub's own SQLite (durable at once, merged per host), and reach
 * D1 in batches from the alarm: a burst of thousands of acks costs a few round trips.
 */
export class NodeUpdates {
  constructor(private readonly sql: SqlStorage) {
    sql.exec(`CREATE TABLE IF NOT EXISTS pending (
      cluster TEXT NOT NULL, host TEXT NOT NULL, patch TEXT NOT NULL, seq INTEGER NOT NULL,
      PRIMARY KEY (cluster, host))`);
    sql.exec(`CREATE TABLE IF NOT EXISTS counter (id INTEGER PRIMARY KEY, seq INTEGER NOT NULL)`);
    sql.exec(`INSERT OR IGNORE INTO counter (id, seq) VALUES (1, 0)`);
  }

  /**
   * Keeps a change until the next flush, merged over the host's earlier pending one column by
   * column: a newer value replaces an older one whole (a probe result set, a list, or null).
   */
  record(cluster: string, host: string, patch: NodePatch): void {
    const seq = this.sql
      .exec<{ seq: number }>(`UPDATE counter SET seq = seq + 1 WHERE id = 1 RETURNING seq`)
      .one().seq;
    const before = this.sql
      .exec<{ patch: string }>(
        `SELECT patch FROM pending WHERE cluster = ? AND host = ?`,
        cluster,
        host,
      )
      .toArray()[0];
    const merged = { ...(before ? (JSON.parse(before.patch) as NodePatch) : {}), ...patch };
    this.sql.exec(
      `INSERT INTO pending (cluster, host, patch, seq) VALUES (?, ?, ?, ?)
       ON CONFLICT (cluster, host) DO UPDATE SET patch = excluded.patch, seq = excluded.seq`,
      cluster,
      host,
      JSON.stringify(merged),
      seq,
    );
  }

  get size(): number {
    return this.sql.exec<{ n: number }>(`SELECT count(*) AS n FROM pending`).one().n;
  }

  /** Writes every pending change to D1; rows changed meanwhile stay for the next flush. */
  async flush(d1: D1Database): Promise<number> {
    const rows = this.sql
      .exec<{ cluster: string; host: string; patch: string; seq: number }>(`SELECT * FROM pending`)
      .toArray();
    const d = db(d1);
    for (let i = 0; i < rows.length; i += BATCH) {
      const chunk = rows.slice(i, i + BATCH);
      const stmts = chunk.map((r) =>
        patchNode(d, r.cluster, r.host, JSON.parse(r.patch) as NodePatch),
      );
      await d.batch(stmts as unknown as [BatchItem<"sqlite">, ...BatchItem<"sqlite">[]]);
      for (const r of chunk) {
        this.sql.exec(
          `DELETE FROM pending WHERE cluster = ? AND host = ? AND seq = ?`,
          r.cluster,
          r.host,
          r.seq,
        );
      }
    }
    return rows.length;
  }
}
