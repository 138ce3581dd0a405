import { once } from "node:events";
import { createServer, type RequestListener, type Server } from "node:http";
import type { Agent } from "node:https";
import type { AddressInfo } from "node:net";
import { networkInterfaces } from "node:os";
import { join } from "node:path";
import { setTimeout as setTimeoutPromise } from "node:timers/promises";
import pg from "pg";
import { z } from "zod";
import { createApp } from "./app.js";
import type { Clock } from "./clock.js";
import { systemClock } from "./clock.js";
import type { Config } from "./config.js";
import { connectDatabase, type DatabaseHandle } from "./db/client.js";
import { watchEmbedded } from "./db/embedded-watch.js";
import { runMigrations } from "./db/migrate.js";
import { openChannel } from "./db/notify.js";
import { openDatabase } from "./db/open.js";
import { seedDemoData } from "./demo/seed.js";
import type { ApiRouter } from "./http/api.js";
import { answerClientErrors } from "./http/client-errors.js";
import { gracefulClose } from "./http/graceful-close.js";
import type { HealthState } from "./http/health.js";
import { createIdempotencyStore } from "./http/idempotency.js";
import { createQueryBudget } from "./http/query-budget.js";
import { purgeExpiredRateLimits } from "./http/rate-limit.js";
import { serverTimeouts } from "./http/timeouts.js";
import {
  type JobQueue,
  scheduleHourly,
  startJobQueue,
  stopJobQueue,
  withJobSetupLock,
} from "./jobs/queue.js";
import type { Logger } from "./logger.js";
import { createAdminModule } from "./modules/admin/index.js";
import { createAuditModule } from "./modules/audit/index.js";
import { createAdmin, createAuthModule, createTokenIssuer, loadSigningKey } from "./modules/auth/index.js";
import { type BookingsService, createBookingsModule } from "./modules/bookings/index.js";
import { createCatalogModule } from "./modules/catalog/index.js";
import { createChatModule } from "./modules/chat/index.js";
import { createContractorsModule } from "./modules/contractors/index.js";
import {
  createFilesModule,
  createLocalStorage,
  createS3Storage,
  type FilesService,
} from "./modules/files/index.js";
import { createJobsModule } from "./modules/jobs/index.js";
import { createLedgerModule } from "./modules/ledger/index.js";
import type { Module } from "./modules/module.js";
import {
  createMailer,
  createNotificationsModule,
  createPushProvider,
  type NotificationsService,
} from "./modules/notifications/index.js";
import {
  createPaymentsModule,
  type PaymentsService,
  type StripeModel,
  simulatedModel,
} from "./modules/payments/index.js";
import { createReviewsModule, type ReviewsService } from "./modules/reviews/index.js";
import { type AccountDeletionHook, createUsersModule } from "./modules/users/index.js";
import { adapterConnections } from "./realtime/adapter-connections.js";
import {
  closeRealtime,
  closeRealtimeAdapter,
  createRealtime,
  disconnectEndedSessions,
  type EndedSessions,
  type RealtimeServer,
} from "./realtime/socket.js";
import { checkWritableFolder } from "./startup-checks.js";

/**
 * What the sessions channel carries, checked: anyone with database access can NOTIFY it. Sessions ended (sent
 * by the instance that ended them), or an account row changed (sent by a trigger on `users`, migration 0016,
 * at the commit of any change to it).
 */
const sessionsChannelPayload = z.union([
  z.strictObject({ kind: z.literal("account_changed"), userId: z.uuid() }),
  z.object({ userId: z.uuid(), sessionIds: z.array(z.uuid()).optional() }),
]);

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
  /** The bookings service, for tests standing in for modules still to come (payments marks bookings funded). */
  bookings: BookingsService;
  /** The notifications service, for tests standing in for modules still to come (chat messages, payments). */
  notifications: NotificationsService;
  /** The reviews service, for tests standing in for the consumers of its events (notifications). */
  reviews: ReviewsService;
  /** For tests: the payments service (reconciliation) and, in simulated mode, its model of Stripe. */
  payments: PaymentsService;
  simulatedStripe: StripeModel | undefined;
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
  /** Tests only: routes of a module the test defines, built on the running server's database and queue. */
  testRoutes?: (deps: TestRouteDeps) => Promise<(api: ApiRouter) => void>;
  /** Tests only: the agent FCM's requests go through (firebase-admin has no endpoint setting), for its double. */
  fcmHttpAgent?: Agent;
}

export interface TestRouteDeps {
  pool: pg.Pool;
  jobs: JobQueue;
  clock: Clock;
  /** Registers an account-deletion hook, as a module that holds money or bookings does. */
  onAccountDeletion: (hook: AccountDeletionHook) => void;
}

/**
 * Config → database → migrations → modules → jobs → app → listening HTTP + Socket.IO server. Every module is
 * created by its factory and wired alike: its routes, its mounts, its background jobs and its socket handlers.
 */
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
    await runMigrations(databaseUrl, { connectTimeoutMs: config.database.connectTimeoutMs });
    abortPoint();
    const database = connectDatabase(databaseUrl, { ...config.database, max: config.database.poolSize });
    cleanup.push(() => database.close());
    const { db, pool } = database;

    const idempotency = createIdempotencyStore(pool, { now: () => clock.now() });
    const tokens = createTokenIssuer(await loadSigningKey(config.auth.jwtPrivateKey, config.dataDir), {
      issuer: config.publicUrl ?? "jobsphere",
      ttlSeconds: config.auth.accessTokenTtlSeconds,
    });
    // Absolute URLs (files, links in emails) need the base clients use; without PUBLIC_URL it is known at listen.
    let baseUrl = config.publicUrl;
    const storage = createStorage(config, tokens.urlSigningKey, () => baseUrl ?? "");

    // The job queue exists before the modules (they enqueue in their transactions); workers start below.
    // pg-boss creates its schema on an empty database, which deadlocks when several instances start at once.
    const jobs = await withJobSetupLock(databaseUrl, () => startJobQueue(databaseUrl, logger));
    cleanup.push(() => stopJobQueue(jobs, config.shutdownTimeoutMs));

    const files = createFilesModule({
      db,
      pool,
      storage: storage.driver,
      localStorage: storage.local,
      clock,
      logger,
      tmpDir: join(config.dataDir, "tmp", "uploads"),
      signedUrlTtlSeconds: config.storage.signedUrlTtlSeconds,
      uploads: config.uploads,
    });
    const users = createUsersModule({ db, pool, clock, files: files.service });
    // Ended sessions may be cached (and have sockets) on any instance: each one is told through PostgreSQL
    // NOTIFY before the change is answered; the subscriber is added once the sockets exist.
    const sessionsChannel = await openChannel(databaseUrl, "jobsphere_sessions_ended", pool, logger, {
      connectTimeoutMs: config.database.connectTimeoutMs,
    });
    cleanup.push(() => sessionsChannel.close());
    const auth = createAuthModule({
      db,
      pool,
      jobs,
      clock,
      tokens,
      logger,
      publicUrl: files.service.publicUrl,
      options: config.auth,
      users: users.service,
      sessionCache: { ttlMs: config.auth.sessionCacheTtlSeconds * 1000, sync: sessionsChannel.sync },
    });
    const push = createPushProvider(config.push, logger, { httpAgent: options.fcmHttpAgent });
    cleanup.push(async () => push.close?.());
    const notifications = createNotificationsModule({
      db,
      pool,
      jobs,
      clock,
      logger,
      push,
      retry: { limit: config.push.retryLimit, delaySeconds: config.push.retryDelaySeconds },
      chatDelayMs: config.push.chatDelayMs,
      mailer: createMailer({ ...config.mail, dataDir: config.dataDir, logger, env: config.env }),
    });
    users.service.onAccountDeletion({ erase: notifications.service.eraseAccount });
    // Chat notifications still waiting to be stored are stored before the database closes.
    cleanup.push(() => notifications.service.flushMessages());
    const catalog = createCatalogModule({ db });
    // Contact details open to a customer with a booking; the bookings module, built next, holds that rule.
    let contactVisible: (viewerId: string, contractorId: string) => Promise<boolean> = async () => false;
    const contractors = createContractorsModule({
      db,
      pool,
      clock,
      files: files.service,
      publicQueries: createQueryBudget(config.database.publicQueries),
      contactVisible: (viewerId, contractorId) => contactVisible(viewerId, contractorId),
    });
    users.service.onAccountDeletion({ erase: contractors.service.eraseAccount });
    const audit = createAuditModule({ db, pool });
    const reviews = createReviewsModule({
      db,
      pool,
      clock,
      jobs,
      settings: config.reviews,
      audit: audit.service,
    });
    const bookings = createBookingsModule({
      db,
      pool,
      jobs,
      clock,
      contractors: contractors.service,
      settings: config.bookings,
      customerRatings: reviews.service.customerRatingsOf,
    });
    contactVisible = bookings.service.hasBookingWith;
    users.service.onAccountDeletion({ blocker: bookings.service.deletionBlocker });
    const jobsModule = createJobsModule({
      db,
      pool,
      clock,
      jobs,
      files: files.service,
      logger,
      bookings: bookings.service,
      expirySeconds: config.jobs.expirySeconds,
      customerRatings: reviews.service.customerRatingsOf,
    });
    users.service.onAccountDeletion({ erase: jobsModule.service.eraseAccount });
    // The double-entry ledger: payments posts every money movement through `ledger.service.post`.
    const ledger = createLedgerModule({ pool, clock });
    const payments = createPaymentsModule({
      db,
      pool,
      simulatedPool: () => {
        const own = new pg.Pool({
          connectionString: databaseUrl,
          max: 2,
          application_name: "jobsphere-simulated-stripe",
        });
        own.on("error", () => {});
        cleanup.push(() => own.end());
        return own;
      },
      jobs,
      clock,
      bookings: bookings.service,
      ledger: ledger.service,
      audit: audit.service,
      baseUrl: () => baseUrl ?? "",
      settings: config.payments,
    });
    const chat = createChatModule({
      db,
      pool,
      clock,
      files: files.service,
      logger,
      settings: { messageLimit: config.chat.messageLimit },
      typingThrottleMs: config.chat.typingThrottleMs,
    });
    users.service.onAccountDeletion({ erase: chat.service.eraseAccount });
    // A quote opens the pair's conversation inside its transaction, a new booking after its commit.
    jobsModule.service.onQuote((quote) =>
      chat.service.ensureConversation(quote.customerId, quote.contractorId).then(() => {}),
    );
    bookings.service.onChange(async (change, booking) => {
      if (change.from === null)
        await chat.service.ensureConversation(booking.customer.id, booking.contractor.id);
    });
    const admin = createAdminModule({
      db,
      pool,
      clock,
      audit: audit.service,
      publicUrl: files.service.publicUrl,
      onSuspended: (userId) => auth.service.sessionsEnded({ userId }),
      contractors: contractors.service,
      jobs: jobsModule.service,
      ledger: ledger.service,
      metricsMaxDays: config.admin.metricsMaxDays,
    });
    // Events that notify: committed booking transitions (from the booking.changed worker), quote events and
    // verification decisions (inside their transactions), reviews, chat messages and money events.
    bookings.service.onChange(notifications.service.bookingChanged);
    jobsModule.service.onQuote(notifications.service.quoteEvent);
    contractors.service.verification.onDecided(notifications.service.verificationDecided);
    reviews.service.onReview(notifications.service.reviewEvent);
    // Not awaited: the notice waits for its conversation's quiet second, and its failure is the notifications
    // module's to log (the message itself is stored and delivered by then).
    chat.service.onMessage((message, recipientId) => {
      void notifications.service.notifyMessage({
        messageId: message.id,
        conversationId: message.conversationId,
        senderId: message.senderId,
        recipientIds: [recipientId],
        text: message.text,
      });
    });
    payments.service.onMoneyEvent(async (event) => {
      switch (event.kind) {
        case "payment_received":
        case "funds_released":
          return notifications.service.notifyMoneyEvent({
            ...event,
            type: event.kind === "payment_received" ? "payment.received" : "funds.released",
          });
        case "withdrawal_paid":
        case "withdrawal_failed":
          return notifications.service.notifyMoneyEvent({
            ...event,
            type: event.kind === "withdrawal_paid" ? "withdrawal.paid" : "withdrawal.failed",
          });
        case "refund":
          // Told by the booking's own transition (cancelled, refunded, partially refunded) to both parties.
          return;
      }
    });
    const modules: Module<unknown>[] = [
      files,
      users,
      auth,
      notifications,
      catalog,
      contractors,
      bookings,
      audit,
      admin,
      jobsModule,
      ledger,
      chat,
      reviews,
      payments,
    ];

    // Queue creation on an empty database deadlocks when several instances start at once: one at a time.
    await withJobSetupLock(databaseUrl, async () => {
      for (const module of modules) await module.jobs?.(jobs);
      // The HTTP core's own housekeeping: expired idempotency keys and rate-limit counters.
      await scheduleHourly(jobs, "maintenance.purge", async () => {
        await idempotency.purgeExpired();
        await purgeExpiredRateLimits(pool);
      });
    });
    abortPoint();

    // The demo admin's password is public (README): only an explicit DEMO_DATA=true seeds a database the
    // operator brought; `auto` seeds only the embedded one this process manages.
    if (config.demoData === true || (config.demoData === "embedded" && embedded))
      await seedDemoData(pool, logger, clock.now(), {
        bookings: bookings.service,
        jobs: jobsModule.service,
        files: files.service,
        reviews: reviews.service,
        payments: payments.demo,
      });

    if (config.bootstrapAdmin) {
      const { created } = await createAdmin(
        db,
        { ...config.bootstrapAdmin, name: "Administrator" },
        clock.now(),
      );
      if (created)
        logger.info({ email: config.bootstrapAdmin.email }, "admin account created from ADMIN_EMAIL");
    }

    if (embedded) watchEmbedded(embedded, health, config.embeddedPostgresRestarts, logger, options.onFatal);
    abortPoint();
    // The HTTP server exists before the app so Socket.IO can be handed to the modules that push events.
    // Socket.IO wraps the request listeners present when it attaches and passes them only what is not its own;
    // a listener added later would also answer Socket.IO's long-polling requests (404), so the app is bound here.
    let handleRequest: RequestListener | undefined;
    const http = createServer(serverTimeouts(config.http), (req, res) => handleRequest?.(req, res));
    answerClientErrors(http, logger);
    const adapter = adapterConnections(
      databaseUrl,
      { ...config.database, now: () => clock.now().getTime() },
      logger,
    );
    cleanup.push(() => adapter.close());
    const io = createRealtime(http, {
      authenticator: auth.service.authenticator,
      checkSession: (user) => auth.service.checkSession(user),
      sessionCheckMs: config.socketSessionCheckMs,
      clock,
      corsOrigins: config.corsOrigins,
      logger,
      adapterPool: adapter.pool,
      adapterListeningSince: adapter.listeningSince,
      maxPayloadBytes: config.socketMaxPayloadBytes,
    });
    cleanup.push(() => closeRealtimeAdapter(io));
    const disconnect = (ended: EndedSessions) =>
      disconnectEndedSessions(io, ended).catch((error: unknown) =>
        logger.error({ err: error }, "could not disconnect the sockets of ended sessions"),
      );
    // This instance acts at once (its own sockets close even if the notification is lost); the others when
    // the notification arrives. A notification that cannot be understood empties the session cache: anyone
    // with database access can NOTIFY the channel, and a doubt costs reads, never access.
    sessionsChannel.subscribe((payload) => {
      const message = sessionsChannelPayload.safeParse(parseJson(payload));
      if (message.success && "kind" in message.data) {
        auth.service.accountChanged(message.data.userId);
        return;
      }
      auth.service.sessionsEndedElsewhere(message.success ? message.data : undefined);
      if (message.success) void disconnect(message.data);
      else logger.warn({ payload }, "ignored a malformed sessions-ended notification");
    });
    auth.service.onSessionsEnded((ended) => {
      void disconnect(ended);
      return sessionsChannel
        .publish(JSON.stringify(ended))
        .catch((error: unknown) =>
          logger.error({ err: error }, "could not tell other instances about ended sessions"),
        );
    });
    for (const module of modules) module.sockets?.(io);

    const app = createApp({
      config,
      logger,
      db,
      pool,
      authenticator: auth.service.authenticator,
      idempotency,
      modules: [
        ...modules.flatMap((module) => (module.routes ? [module.routes] : [])),
        ...(options.testRoutes
          ? [
              await options.testRoutes({
                pool,
                jobs,
                clock,
                onAccountDeletion: users.service.onAccountDeletion,
              }),
            ]
          : []),
      ],
      mounts: modules.flatMap((module) => module.mounts ?? []),
      health,
    });

    const shutdown = gracefulClose(http, {
      health,
      logger,
      drainMs: config.shutdownDrainMs,
      deadlineMs: config.shutdownTimeoutMs,
      onListenerClosed: () => closeRealtime(io),
    });
    handleRequest = app.express;
    // Before serving anyone, this instance listens to the others and they have heard of it, so broadcasts
    // reach its sockets both ways from the first one. A database that stops answering just now holds the
    // start no longer than a connection attempt; the adapter keeps trying and reports it.
    const heard = Promise.all([adapter.published(), adapter.listening()]);
    const gaveUp = await Promise.race([
      heard.then(() => false),
      setTimeoutPromise(2 * config.database.connectTimeoutMs, true, { ref: false }),
    ]);
    if (gaveUp) logger.warn("serving before the Socket.IO adapter listens to the other instances");
    http.listen(config.port, config.host);
    await once(http, "listening");
    const { port } = http.address() as AddressInfo;
    const shownHost = config.host === "0.0.0.0" || config.host === "::" ? "localhost" : config.host;
    const url = `http://${shownHost}:${port}`;
    baseUrl ??= url;
    if (!config.publicUrl && shownHost !== config.host) logPublicUrlHint(logger, url, port);

    let closing: Promise<void> | undefined;
    const close = () => {
      closing ??= shutdown().then(unwind);
      return closing;
    };

    return {
      url,
      port,
      http,
      io,
      database,
      databaseUrl,
      jobs,
      files: files.service,
      bookings: bookings.service,
      notifications: notifications.service,
      reviews: reviews.service,
      payments: payments.service,
      simulatedStripe: simulatedModel(payments.gateway),
      health,
      close,
    };
  } catch (error) {
    await unwind();
    throw error;
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The configured storage driver; for `local`, also the driver itself so the app can serve its objects. */
function createStorage(config: Config, signingKey: Buffer, baseUrl: () => string) {
  if (config.storage.driver === "s3") {
    const { s3 } = config.storage;
    if (!s3.bucket) throw new Error("S3_BUCKET is required when STORAGE_DRIVER=s3");
    const driver = createS3Storage({ ...s3, bucket: s3.bucket });
    return { driver, local: undefined };
  }
  const local = createLocalStorage({ dir: config.storage.uploadDir, baseUrl, signingKey });
  return { driver: local, local };
}

/**
 * Without PUBLIC_URL, file URLs are built on `localhost`, which an Android emulator (where the host is
 * 10.0.2.2) or a phone on the LAN cannot load although the server listens on every interface: say what to set.
 */
function logPublicUrlHint(logger: Logger, url: string, port: number): void {
  const lan = Object.values(networkInterfaces())
    .flat()
    .find((entry) => entry?.family === "IPv4" && !entry.internal)?.address;
  const phone = `http://${lan ?? "<this machine's LAN address>"}:${port}`;
  logger.warn(
    { publicUrl: url, emulator: `http://10.0.2.2:${port}`, lan: phone },
    `PUBLIC_URL is unset, so file URLs start with ${url}, which an Android emulator or a phone cannot load: ` +
      `set PUBLIC_URL=http://10.0.2.2:${port} for the Android emulator, or PUBLIC_URL=${phone} for a phone`,
  );
}
