// `npm run db:migrate`: applies pending migrations to the configured database (the embedded one when
// DATABASE_URL is unset) and exits.

import pg from "pg";
import { ConfigError, loadConfig, readEnvironment } from "../config.js";
import { createLogger } from "../logger.js";
import { pendingMigrations, runMigrations } from "./migrate.js";
import { openDatabase } from "./open.js";

try {
  const config = loadConfig(readEnvironment());
  const logger = createLogger(config);
  const { url, embedded } = await openDatabase(config, logger);
  try {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const pending = await pendingMigrations(client).finally(() => client.end());
    await runMigrations(url);
    logger.info(
      { applied: pending },
      pending.length ? `applied ${pending.length} migration(s)` : "already up to date",
    );
  } finally {
    await embedded?.stop();
  }
} catch (error) {
  process.stderr.write(`${error instanceof ConfigError ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
