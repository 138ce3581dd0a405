import { drizzle } from "drizzle-orm/node-postgres";
import type pg from "pg";
import type { Database } from "./client.js";
import * as schema from "./schema.js";

/** What runs inside one transaction: typed queries, and raw SQL on the same connection (for pg-boss). */
export interface Tx {
  db: Database;
  /** Runs raw SQL inside the transaction; handed to pg-boss so jobs are enqueued atomically with the change. */
  executeSql(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
}

/**
 * Runs `work` in one transaction on one pooled connection: committed if it resolves, rolled back if it
 * throws. The single way to change several rows together.
 */
export async function transaction<T>(pool: pg.Pool, work: (tx: Tx) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken = false;
  try {
    await client.query("begin");
    const tx: Tx = {
      db: drizzle(client, { schema, casing: "snake_case" }) as unknown as Database,
      executeSql: (text, values = []) => client.query(text, values),
    };
    const result = await work(tx);
    await client.query("commit");
    return result;
  } catch (error) {
    await client.query("rollback").catch(() => {
      broken = true;
    });
    throw error;
  } finally {
    client.release(broken);
  }
}
