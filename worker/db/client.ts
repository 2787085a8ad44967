import { drizzle } from "drizzle-orm/d1";
import * as schema from "./schema.ts";

/** drizzle over the D1 binding; D1 has no interactive transactions, so writes use batch(). */
export function db(d1: D1Database) {
  return drizzle(d1, { schema });
}
export type Db = ReturnType<typeof db>;

/**
 * Whether a D1 write failed on a constraint (`UNIQUE` or `CHECK`), optionally of one table:
 * the one place that reads SQLite's error text.
 */
export function constraintFailed(e: unknown, kind: "UNIQUE" | "CHECK", table?: string): boolean {
  return String(e).includes(`${kind} constraint failed${table === undefined ? "" : `: ${table}`}`);
}
export { schema };
