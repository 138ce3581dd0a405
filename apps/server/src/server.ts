import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import pg from "pg";
import { createApp } from "./app.js";
import type { Clock } from "./clock.js";
import { systemClock } from "./clock.js";
import type { Config } from "./config.js";
import { connectDatabase, type DatabaseHandle } from "./db/client.js";
import { type EmbeddedDatabase, startEmbeddedPostgres } from "./db/embedded.js";
import { runMigrations } from "./db/migrate.js";
import type { Authenticator } from "./http/auth.js";
import { AppError, coreErrors } from "./http/errors.js";
import { createIdempotencyStore } from "./http/idempotency.js";
import { type JobQueue, startJobQueue, stopJobQueue } from "./jobs/queue.js";
import type { Logger } from "./logger.js";
import { closeRealtime, createRealtime, type RealtimeServer } from "./realtime/socket.js";

export interface RunningServer {
  /** Base URL the server listens on (http://host:port). */
  url: string;
  port: number;
  http: Server;
  io: RealtimeServer;
  database: DatabaseHandle;
  databaseUrl: string;
  jobs: JobQueue;
  /** Stops accepting, lets in-flight requests finish (up to the shutdown deadline), then releases everything. */
  close(): Promise<void>;
}

export interface StartOptions {
  clock?: Clock;
}

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

/** Config → database → migrations → jobs → app → listening HTTP + Socket.IO server. */
export async function startServer(
  config: Config,
  logger: Logger,
  options: StartOptions = {},
): Promise<RunningServer> {
  const clock = options.clock ?? systemClock;
  const { url: databaseUrl, embedded } = await openDatabase(config, logger);
  const cleanup: (() => Promise<void>)[] = [];
  if (embedded) cleanup.push(() => embedded.stop());
  const unwind = async () => {
    for (const step of cleanup.reverse()) await step().catch(() => {});
  };

  try {
    await runMigrations(databaseUrl);
    const database = connectDatabase(databaseUrl);
    cleanup.push(() => database.close());
    const jobs = await startJobQueue(databaseUrl, logger);
    cleanup.push(() => stopJobQueue(jobs, config.shutdownTimeoutMs));

    const authenticator: Authenticator = {
      authenticate: async () => {
        throw new AppError(coreErrors.unauthenticated, "Accounts are not available in this build");
      },
    };
    const idempotency = createIdempotencyStore(database.db, { now: () => clock.now() });
    const app = createApp({
      config,
      logger,
      db: database.db,
      pool: database.pool,
      authenticator,
      idempotency,
      modules: [],
    });

    const http = createServer(app.express);
    const io = createRealtime(http, { authenticator, corsOrigins: config.corsOrigins, logger });
    http.listen(config.port, config.host);
    await once(http, "listening");
    const { port } = http.address() as AddressInfo;
    const shownHost = config.host === "0.0.0.0" || config.host === "::" ? "localhost" : config.host;
    const url = `http://${shownHost}:${port}`;

    let closing: Promise<void> | undefined;
    const close = () => {
      closing ??= (async () => {
        const drained = new Promise<void>((resolveDrained) => http.close(() => resolveDrained()));
        await closeRealtime(io);
        const deadline = setTimeout(() => {
          logger.warn("shutdown deadline reached; closing the remaining connections");
          http.closeAllConnections();
        }, config.shutdownTimeoutMs);
        await drained;
        clearTimeout(deadline);
        await unwind();
      })();
      return closing;
    };

    return { url, port, http, io, database, databaseUrl, jobs, close };
  } catch (error) {
    await unwind();
    throw error;
  }
}
