import { ConfigError, loadConfig, readEnvironment } from "./config.js";
import { createLogger } from "./logger.js";
import { startServer } from "./server.js";

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig(readEnvironment());
} catch (error) {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
  throw error;
}

const logger = createLogger(config);

try {
  const server = await startServer(config, logger);
  const base = config.publicUrl ?? server.url;
  logger.info(
    { api: `${base}/api/v1`, docs: `${base}/docs`, admin: `${base}/admin` },
    `JobSphere is up: API ${base}/api/v1 · API docs ${base}/docs · admin dashboard ${base}/admin`,
  );

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down");
    server.close().then(
      () => {
        logger.info("stopped");
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
} catch (error) {
  logger.fatal({ err: error }, "JobSphere could not start");
  process.exitCode = 1;
}
