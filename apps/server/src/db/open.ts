import pg from "pg";
import type { InterruptGuard } from "../cli/interrupt.js";
import type { Config } from "../config.js";
import type { Logger } from "../logger.js";
import { connectDatabase, type DatabaseHandle } from "./client.js";
import { type EmbeddedDatabase, startEmbeddedPostgres } from "./embedded.js";
import { runMigrations } from "./migrate.js";

const embeddedDatabaseName = "jobsphere";

/** Creates the application database in the embedded cluster on first start. */
async function ensureDatabase(embedded: EmbeddedDatabase, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: embedded.url("postgres") });
  await client.connect();
  try {
    const found = await client.query("select 1 from pg_database where datname = $1", [name]);
    if (found.rowCount === 0) await client.query(`create database "${name}"`);
  } finally {
    await client.end();
  }
}

/** The configured database: `DATABASE_URL`, or the embedded server started (and its database created) here. */
export async function openDatabase(config: Config, logger: Logger) {
  if (config.databaseUrl) return { url: config.databaseUrl, embedded: undefined };
  const embedded = await startEmbeddedPostgres({
    dir: config.dataDir,
    port: config.embeddedPostgresPort,
    logger,
  });
  try {
    await ensureDatabase(embedded, embeddedDatabaseName);
  } catch (error) {
    await embedded.stop();
    throw error;
  }
  return { url: embedded.url(embeddedDatabaseName), embedded };
}

/**
 * For command-line tools: opens the configured database, applies pending migrations, runs `work` with a
 * one-connection handle, and releases everything (the embedded server included) whatever happens.
 */
export async function withDatabase<T>(
  config: Config,
  logger: Logger,
  work: (database: DatabaseHandle) => Promise<T>,
  guard?: InterruptGuard,
): Promise<T> {
  const opening = openDatabase(config, logger);
  const { url, embedded } = await (guard
    ? guard.hold(opening, async (opened) => opened.embedded?.stop())
    : opening);
  try {
    await runMigrations(url, { connectTimeoutMs: config.database.connectTimeoutMs });
    const database = connectDatabase(url, { max: 1 });
    try {
      return await work(database);
    } finally {
      await database.close();
    }
  } finally {
    await embedded?.stop();
  }
}
