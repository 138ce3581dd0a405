// `npm run admin:create -- --email admin@example.com --password '…' [--name 'Ada Admin']`
// Creates an admin account in the configured database (admins are never self-registered).
import { parseArgs } from "node:util";
import { ConfigError, loadConfig, readEnvironment } from "../config.js";
import { connectDatabase } from "../db/client.js";
import { runMigrations } from "../db/migrate.js";
import { createLogger } from "../logger.js";
import { createAdmin, passwordSchema } from "../modules/auth/index.js";
import { openDatabase } from "../server.js";

const usage = "usage: npm run admin:create -- --email <email> --password <password> [--name <name>]";

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { email: { type: "string" }, password: { type: "string" }, name: { type: "string" } },
  });
  if (!values.email || !values.password) {
    process.stderr.write(`${usage}\n`);
    return 2;
  }
  const password = passwordSchema.safeParse(values.password);
  if (!password.success) {
    process.stderr.write(`The password ${password.error.issues[0]?.message ?? "is not acceptable"}\n`);
    return 2;
  }
  const config = loadConfig(readEnvironment());
  const logger = createLogger({ ...config, logLevel: "warn" });
  const { url, embedded } = await openDatabase(config, logger);
  try {
    await runMigrations(url);
    const database = connectDatabase(url, { max: 1 });
    try {
      const { created, user } = await createAdmin(
        database.db,
        { email: values.email, password: password.data, name: values.name ?? "Administrator" },
        new Date(),
      );
      if (!created) {
        process.stderr.write(
          `An account with the email ${user.email} already exists (role ${user.role}); nothing changed\n`,
        );
        return 1;
      }
      process.stdout.write(`Admin account created: ${user.email} (id ${user.id})\n`);
      return 0;
    } finally {
      await database.close();
    }
  } finally {
    await embedded?.stop();
  }
}

try {
  process.exitCode = await main();
} catch (error) {
  process.stderr.write(`${error instanceof ConfigError ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
