// `npm run db:migrate`: applies pending migrations to the configured database (the embedded one when
// DATABASE_URL is unset) and exits.

import { guardInterrupts } from "../cli/interrupt.js";

const guard = guardInterrupts();

const { default: pg } = await import("pg");
const { ConfigError, loadConfig, readEnvironment } = await import("../config.js");
const { createLogger } = await import("../logger.js");
const { DatabaseUnreachableError, pendingMigrations, runMigrations } = await import("./migrate.js");
const { openDatabase } = await import("./open.js");

try {
  const config = loadConfig(readEnvironment());
  const logger = createLogger(config);
  const { url, embedded } = await guard.hold(openDatabase(config, logger), async (opened) =>
    opened.embedded?.stop(),
  );
  try {
    const client = new pg.Client({
      connectionString: url,
      connectionTimeoutMillis: config.database.connectTimeoutMs,
    });
    client.on("error", () => {});
    await client.connect().catch((error: unknown) => {
      throw new DatabaseUnreachableError(url, error);
    });
    const pending = await pendingMigrations(client).finally(() => client.end());
    await runMigrations(url, { connectTimeoutMs: config.database.connectTimeoutMs });
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
