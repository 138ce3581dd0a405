// `npm run ledger:check`: verifies every invariant of the books in the configured database (DATABASE_URL, or
// the embedded one under DATA_DIR) and exits 0 when they all hold, 1 naming each violation, 2 when it could
// not check. Read-only: it never changes a row.
import { guardInterrupts } from "./interrupt.js";

const guard = guardInterrupts();

const { ConfigError, loadConfig, readEnvironment } = await import("../config.js");
const { withDatabase } = await import("../db/open.js");
const { createLogger } = await import("../logger.js");
const { ledgerChecks, runLedgerChecks } = await import("../modules/ledger/index.js");
const { paymentChecks } = await import("../modules/payments/index.js");

/**
 * The checks run, in order: the ledger's own, then those of modules whose records the ledger must agree with
 * (payments appends its reconciliation with the gateway's objects here).
 */
const baseChecks = [...ledgerChecks];

async function main(): Promise<number> {
  const config = loadConfig(readEnvironment());
  const logger = createLogger({ ...config, logLevel: "warn" });
  return withDatabase(
    config,
    logger,
    async (database) => {
      const checks = [...baseChecks, ...paymentChecks({ pool: database.pool, settings: config.payments })];
      const results = await runLedgerChecks(database.pool, checks);
      const failed = results.filter((result) => result.violations.length > 0);
      for (const result of results) {
        const mark = result.violations.length === 0 ? "ok  " : "FAIL";
        process.stdout.write(`${mark} ${result.name}\n`);
        for (const violation of result.violations) process.stdout.write(`     - ${violation}\n`);
      }
      const { rows } = await database.pool.query<{ transactions: number; entries: number }>(
        "select (select count(*) from ledger_transactions)::int as transactions, (select count(*) from ledger_entries)::int as entries",
      );
      const size = `${rows[0]?.transactions ?? 0} transactions, ${rows[0]?.entries ?? 0} entries`;
      if (failed.length === 0) {
        process.stdout.write(`ledger:check: all ${results.length} checks hold (${size})\n`);
        return 0;
      }
      const count = failed.reduce((sum, result) => sum + result.violations.length, 0);
      process.stderr.write(
        `ledger:check: ${count} violation${count === 1 ? "" : "s"} in ${failed.length} of ${results.length} checks (${size})\n`,
      );
      return 1;
    },
    guard,
  );
}

try {
  process.exitCode = await main();
} catch (error) {
  process.stderr.write(
    `ledger:check could not check: ${error instanceof ConfigError ? error.message : String(error)}\n`,
  );
  process.exitCode = 2;
}
