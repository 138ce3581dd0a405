// `npm run admin:create -- --email admin@example.com --password '…' [--name 'Ada Admin']`
// Creates an admin account in the configured database (admins are never self-registered).
import { parseArgs } from "node:util";
import { ConfigError, loadConfig, readEnvironment } from "../config.js";
import { withDatabase } from "../db/open.js";
import { createLogger } from "../logger.js";
import { createAdmin, passwordSchema } from "../modules/auth/index.js";

const usage = "usage: npm run admin:create -- --email <email> --password <password> [--name <name>]";

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { email: { type: "string" }, password: { type: "string" }, name: { type: "string" } },
  });
  const { email } = values;
  if (!email || !values.password) {
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
  return withDatabase(config, logger, async (database) => {
    const { created, user } = await createAdmin(
      database.db,
      { email, password: password.data, name: values.name ?? "Administrator" },
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
  });
}

try {
  process.exitCode = await main();
} catch (error) {
  process.stderr.write(`${error instanceof ConfigError ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
