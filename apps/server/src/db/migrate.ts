import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { drizzle } from "drizzle-orm/node-postgres";
import { migrate } from "drizzle-orm/node-postgres/migrator";
import pg from "pg";

export const migrationsFolder = fileURLToPath(new URL("./migrations", import.meta.url));

// Any fixed number: every process that migrates this database takes the same advisory lock first.
const migrationLock = 7_403_118_221;

/** The database did not accept a connection in time; names the setting, never the URL (it holds a password). */
export class DatabaseUnreachableError extends Error {
  override name = "DatabaseUnreachableError";
  constructor(url: string, cause: unknown) {
    const where = URL.canParse(url) ? new URL(url).host : "the database";
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(`Could not connect to the database at ${where} (DATABASE_URL): ${reason}`, { cause });
  }
}

interface Journal {
  entries: { idx: number; when: number; tag: string }[];
}

async function journal(): Promise<Journal> {
  return JSON.parse(await readFile(`${migrationsFolder}/meta/_journal.json`, "utf8")) as Journal;
}

/**
 * Applies pending migrations. Holds a session advisory lock so that several processes starting together
 * (two servers, the CLI and a server) apply each migration once.
 */
export async function runMigrations(url: string, options: { connectTimeoutMs?: number } = {}): Promise<void> {
  const client = new pg.Client({
    connectionString: url,
    application_name: "jobsphere-migrate",
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
  });
  client.on("error", () => {});
  try {
    await client.connect();
  } catch (error) {
    throw new DatabaseUnreachableError(url, error);
  }
  try {
    await client.query("select pg_advisory_lock($1)", [migrationLock]);
    await migrate(drizzle(client), { migrationsFolder });
  } finally {
    await client.end();
  }
}

/** Tags of the migrations shipped with this build that the database has not applied yet. */
export async function pendingMigrations(query: pg.Pool | pg.Client): Promise<string[]> {
  const { entries } = await journal();
  const table = await query.query<{ exists: boolean }>(
    "select to_regclass('drizzle.__drizzle_migrations') is not null as exists",
  );
  if (!table.rows[0]?.exists) return entries.map((entry) => entry.tag);
  const applied = await query.query<{ last: string | null }>(
    "select max(created_at)::text as last from drizzle.__drizzle_migrations",
  );
  const last = Number(applied.rows[0]?.last ?? 0);
  return entries.filter((entry) => entry.when > last).map((entry) => entry.tag);
}
