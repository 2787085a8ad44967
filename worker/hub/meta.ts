/**
 * The name of the cluster a hub serves, kept in the hub's own SQLite: an alarm has no request
 * to read it from, and a hub may wake from hibernation with only its storage.
 */
const TABLE = `CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL)`;

export function rememberCluster(sql: SqlStorage, cluster: string): void {
  sql.exec(TABLE);
  sql.exec(`INSERT OR REPLACE INTO meta (k, v) VALUES ('cluster', ?)`, cluster);
}

export function rememberedCluster(sql: SqlStorage): string | null {
  sql.exec(TABLE);
  return sql.exec<{ v: string }>(`SELECT v FROM meta WHERE k = 'cluster'`).toArray()[0]?.v ?? null;
}
