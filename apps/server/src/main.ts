// Signals are handled from the first line: a SIGTERM or Ctrl-C during start-up must still stop the embedded
// PostgreSQL this process starts, not orphan it.
const stopRequested = new AbortController();
const onSignal = (signal: NodeJS.Signals) => stopRequested.abort(signal);
process.on("SIGINT", onSignal);
process.on("SIGTERM", onSignal);

const { ConfigError, loadConfig, readEnvironment } = await import("./config.js");
const { createLogger } = await import("./logger.js");
const { startServer } = await import("./server.js");

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
  const server = await startServer(config, logger, {
    signal: stopRequested.signal,
    onFatal: (error) => {
      logger.fatal({ err: error }, "JobSphere cannot go on; stopping");
      server.close().finally(() => process.exit(1));
    },
  });
  const base = config.publicUrl ?? server.url;
  logger.info(
    { api: `${base}/api/v1`, docs: `${base}/docs`, admin: `${base}/admin` },
    `JobSphere is up: API ${base}/api/v1 · API docs ${base}/docs · admin dashboard ${base}/admin`,
  );

  const stop = () => {
    logger.info({ signal: stopRequested.signal.reason }, "shutting down");
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
  if (stopRequested.signal.aborted) stop();
  else stopRequested.signal.addEventListener("abort", stop, { once: true });
} catch (error) {
  if (stopRequested.signal.aborted) {
    logger.info({ signal: stopRequested.signal.reason }, "stopped during start-up");
    process.exit(0);
  }
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
  } else {
    logger.fatal({ err: error }, "JobSphere could not start");
  }
  process.exitCode = 1;
}
