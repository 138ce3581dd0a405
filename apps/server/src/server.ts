import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import type pg from "pg";
import { createApp } from "./app.js";
import type { Clock } from "./clock.js";
import { systemClock } from "./clock.js";
import type { Config } from "./config.js";
import { connectDatabase, type DatabaseHandle } from "./db/client.js";
import { runMigrations } from "./db/migrate.js";
import { openDatabase } from "./db/open.js";
import { seedDemoData } from "./demo/seed.js";
import type { ApiRouter } from "./http/api.js";
import { createIdempotencyStore } from "./http/idempotency.js";
import { purgeExpiredRateLimits } from "./http/rate-limit.js";
import { serverTimeouts } from "./http/timeouts.js";
import { type JobQueue, startJobQueue, stopJobQueue } from "./jobs/queue.js";
import type { Logger } from "./logger.js";
import { createAdminModule } from "./modules/admin/index.js";
import {
  authRoutes,
  createAdmin,
  createAuthService,
  createTokenIssuer,
  loadSigningKey,
  passwordResetQueue,
} from "./modules/auth/index.js";
import { createCatalogModule } from "./modules/catalog/index.js";
import { createContractorsModule } from "./modules/contractors/index.js";
import {
  createFilesService,
  createLocalStorage,
  type FilesService,
  filesRoutes,
  localStoragePath,
  localStorageRouter,
} from "./modules/files/index.js";
import { createS3Storage } from "./modules/files/s3-storage.js";
import { createMailer, purgeStaleEmails, startEmailWorker } from "./modules/notifications/index.js";
import { usersRoutes } from "./modules/users/index.js";
import {
  closeRealtime,
  createRealtime,
  disconnectEndedSessions,
  type RealtimeServer,
} from "./realtime/socket.js";

export interface RunningServer {
  /** Base URL the server listens on (http://host:port). */
  url: string;
  port: number;
  http: Server;
  io: RealtimeServer;
  database: DatabaseHandle;
  databaseUrl: string;
  jobs: JobQueue;
  files: FilesService;
  /** Stops accepting, lets in-flight requests finish (up to the shutdown deadline), then releases everything. */
  close(): Promise<void>;
}

export interface StartOptions {
  clock?: Clock;
  /** Tests only: routes of a module the test defines, built on the running server's database and queue. */
  testRoutes?: (deps: TestRouteDeps) => Promise<(api: ApiRouter) => void>;
}

export interface TestRouteDeps {
  pool: pg.Pool;
  jobs: JobQueue;
  clock: Clock;
}

const maintenanceQueue = "maintenance.purge";

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
    const database = connectDatabase(databaseUrl, config.database);
    cleanup.push(() => database.close());
    const jobs = await startJobQueue(databaseUrl, logger);
    cleanup.push(() => stopJobQueue(jobs, config.shutdownTimeoutMs));

    const idempotency = createIdempotencyStore(database.pool, { now: () => clock.now() });
    const tokens = createTokenIssuer(await loadSigningKey(config.auth.jwtPrivateKey, config.dataDir), {
      issuer: config.publicUrl ?? "jobsphere",
      ttlSeconds: config.auth.accessTokenTtlSeconds,
    });
    // Absolute URLs (files, links in emails) need the base clients use; without PUBLIC_URL it is known at listen.
    let baseUrl = config.publicUrl;
    const storage = await createStorage(config, tokens.urlSigningKey, () => baseUrl ?? "");
    const files = createFilesService({
      db: database.db,
      storage: storage.driver,
      clock,
      logger,
      tmpDir: join(config.dataDir, "tmp", "uploads"),
      signedUrlTtlSeconds: config.storage.signedUrlTtlSeconds,
      pool: database.pool,
      uploads: config.uploads,
    });

    const auth = createAuthService({
      db: database.db,
      pool: database.pool,
      jobs,
      clock,
      tokens,
      logger,
      publicUrl: files.publicUrl,
      options: config.auth,
    });
    const { authenticator } = auth;

    const mailer = createMailer({ ...config.mail, dataDir: config.dataDir, logger, env: config.env });
    await startEmailWorker(jobs, mailer, database.db);
    await jobs.createQueue(passwordResetQueue);
    await jobs.work<{ email: string }>(passwordResetQueue, { pollingIntervalSeconds: 0.5 }, async ([job]) => {
      if (job) await auth.sendPasswordResetCode(job.data.email);
    });
    await jobs.createQueue(maintenanceQueue);
    await jobs.schedule(maintenanceQueue, "17 * * * *");
    await jobs.work(maintenanceQueue, async () => {
      await idempotency.purgeExpired();
      await purgeExpiredRateLimits(database.pool);
      await auth.purgeExpired();
      await purgeStaleEmails(database.db, clock.now());
      await files.purgeUnattached(24 * 60 * 60 * 1000);
    });

    // The demo admin's password is public (README): only an explicit DEMO_DATA=true seeds a database the
    // operator brought; `auto` seeds only the embedded one this process manages.
    if (config.demoData === true || (config.demoData === "embedded" && embedded))
      await seedDemoData(database.pool, logger, clock.now());

    if (config.bootstrapAdmin) {
      const { created } = await createAdmin(
        database.db,
        { ...config.bootstrapAdmin, name: "Administrator" },
        clock.now(),
      );
      if (created)
        logger.info({ email: config.bootstrapAdmin.email }, "admin account created from ADMIN_EMAIL");
    }

    // The HTTP server exists before the app so Socket.IO can be handed to the modules that push events.
    const http = createServer(serverTimeouts(config.http));
    const io = createRealtime(http, {
      authenticator,
      checkSession: (user) => auth.checkSession(user),
      sessionCheckMs: config.socketSessionCheckMs,
      clock,
      corsOrigins: config.corsOrigins,
      logger,
    });
    auth.onSessionsEnded((ended) => {
      disconnectEndedSessions(io, ended).catch((error: unknown) =>
        logger.error({ err: error }, "could not disconnect the sockets of ended sessions"),
      );
    });
    const catalog = createCatalogModule({ db: database.db });
    const contractors = createContractorsModule({ db: database.db, pool: database.pool, clock, files });
    const admin = createAdminModule({
      db: database.db,
      pool: database.pool,
      clock,
      publicUrl: files.publicUrl,
      onSuspended: (userId) => auth.sessionsEnded({ userId }),
      contractors: contractors.service,
    });

    const app = createApp({
      config,
      logger,
      db: database.db,
      pool: database.pool,
      authenticator,
      idempotency,
      modules: [
        authRoutes(auth, tokens),
        usersRoutes({ db: database.db, pool: database.pool, clock, files }),
        filesRoutes(files),
        ...[catalog, contractors, admin].flatMap((module) => (module.routes ? [module.routes] : [])),
        ...(options.testRoutes ? [await options.testRoutes({ pool: database.pool, jobs, clock })] : []),
      ],
      mounts: storage.local ? [[localStoragePath, localStorageRouter(storage.local, clock)]] : [],
    });

    http.on("request", app.express);
    http.listen(config.port, config.host);
    await once(http, "listening");
    const { port } = http.address() as AddressInfo;
    const shownHost = config.host === "0.0.0.0" || config.host === "::" ? "localhost" : config.host;
    const url = `http://${shownHost}:${port}`;
    baseUrl ??= url;

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

    return { url, port, http, io, database, databaseUrl, jobs, files, close };
  } catch (error) {
    await unwind();
    throw error;
  }
}

/** The configured storage driver; for `local`, also the driver itself so the app can serve its objects. */
async function createStorage(config: Config, signingKey: Buffer, baseUrl: () => string) {
  if (config.storage.driver === "s3") {
    const { s3 } = config.storage;
    if (!s3.bucket) throw new Error("S3_BUCKET is required when STORAGE_DRIVER=s3");
    const driver = createS3Storage({ ...s3, bucket: s3.bucket });
    return { driver, local: undefined };
  }
  const local = createLocalStorage({ dir: config.storage.uploadDir, baseUrl, signingKey });
  return { driver: local, local };
}
