import { drizzle, type NodePgDatabase } from "drizzle-orm/node-postgres";
import pg from "pg";
import * as schema from "./schema.js";

export type Schema = typeof schema;
export type Database = NodePgDatabase<Schema>;
/** A transaction handle: what `db.transaction` passes to its callback. */
export type Transaction = Parameters<Parameters<Database["transaction"]>[0]>[0];
/** Either the database or an open transaction: repositories accept both so callers choose the scope. */
export type Executor = Database | Transaction;

export interface DatabaseHandle {
  pool: pg.Pool;
  db: Database;
  close(): Promise<void>;
}

// bigint columns come back as strings by default; money is stored as bigint minor units and all our amounts
// fit in JavaScript's safe integer range (checked by CHECK constraints), so parse them as numbers.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => {
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed)) throw new RangeError(`bigint ${value} exceeds the safe integer range`);
  return parsed;
});

export interface ConnectOptions {
  max?: number;
  applicationName?: string;
  /** Sent when each connection opens, so it bounds every query of the pool (0: PostgreSQL's default). */
  statementTimeoutMs?: number;
  connectTimeoutMs?: number;
}

export function connectDatabase(url: string, options: ConnectOptions = {}) {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
    ...(options.statementTimeoutMs ? { statement_timeout: options.statementTimeoutMs } : {}),
    idleTimeoutMillis: 30_000,
    application_name: options.applicationName ?? "jobsphere",
  });
  // An idle client losing its connection (database restart) must not crash the process; the pool replaces it.
  pool.on("error", () => {});
  const db = drizzle(pool, { schema, casing: "snake_case" });
  return {
    pool,
    db,
    close: () => pool.end(),
  } satisfies DatabaseHandle;
}
