// `npm run admin:create -- --email admin@example.com --password-stdin [--name 'Ada Admin'] < password-file`
// Creates an admin account in the configured database (admins are never self-registered). `--password '…'`
// also works, but a password on the command line shows in `ps` and in npm's banner.
import { guardInterrupts } from "./interrupt.js";

const guard = guardInterrupts();

const { text } = await import("node:stream/consumers");
const { parseArgs } = await import("node:util");
const { z } = await import("zod");
const { ConfigError, loadConfig, readEnvironment } = await import("../config.js");
const { withDatabase } = await import("../db/open.js");
const { createLogger } = await import("../logger.js");
const { createAdmin, passwordSchema } = await import("../modules/auth/index.js");

const usage =
  "usage: npm run admin:create -- --email <email> (--password-stdin | --password <password>) [--name <name>]";

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      email: { type: "string" },
      password: { type: "string" },
      "password-stdin": { type: "boolean", default: false },
      name: { type: "string" },
    },
  });
  const { email } = values;
  // One line from stdin, as `docker login --password-stdin` reads it: the trailing newline is not part of it.
  const given = values["password-stdin"]
    ? (await text(process.stdin)).replace(/\r?\n$/, "")
    : values.password;
  if (!email || !given) {
    process.stderr.write(`${usage}\n`);
    return 2;
  }
  if (!z.email().safeParse(email).success) {
    process.stderr.write(`The email ${JSON.stringify(email)} is not a valid email address\n`);
    return 2;
  }
  const password = passwordSchema.safeParse(given);
  if (!password.success) {
    process.stderr.write(`The password ${password.error.issues[0]?.message ?? "is not acceptable"}\n`);
    return 2;
  }
  const config = loadConfig(readEnvironment());
  const logger = createLogger({ ...config, logLevel: "warn" });
  return withDatabase(
    config,
    logger,
    async (database) => {
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
    },
    guard,
  );
}

try {
  process.exitCode = await main();
} catch (error) {
  process.stderr.write(`${error instanceof ConfigError ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
