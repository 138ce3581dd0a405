import type { Server as HttpServer } from "node:http";
import { createAdapter } from "@socket.io/postgres-adapter";
import type pg from "pg";
import { type Namespace, Server, type Socket } from "socket.io";
import type { Clock } from "../clock.js";
import type { Authenticator, AuthUser } from "../http/auth.js";
import { AppError, coreErrors } from "../http/errors.js";
import type { Logger } from "../logger.js";
import { coalesceWrites } from "./write-coalescing.js";

export interface SocketData {
  user: AuthUser;
  /** When the session was last found valid (ms since epoch, on the server's clock). */
  sessionCheckedAt: number;
}

export type RealtimeServer = Server<
  Record<string, never>,
  Record<string, never>,
  Record<string, never>,
  SocketData
>;
export type RealtimeSocket = Socket<
  Record<string, never>,
  Record<string, never>,
  Record<string, never>,
  SocketData
>;

export const userRoom = (userId: string) => `user:${userId}`;

/**
 * The room of the sockets showing one conversation (`conversation:open`, after the participant check): while a
 * user has a socket in it, messages there reach them live and are not pushed to their devices.
 */
export const conversationRoom = (conversationId: string) => `conversation:${conversationId}`;

export interface RealtimeOptions {
  authenticator: Authenticator;
  /** Throws (an AppError) when the user's session no longer holds: ended, expired, or the user suspended. */
  checkSession: (user: AuthUser) => Promise<void>;
  /** A session found valid is trusted this long before an incoming event checks it again. */
  sessionCheckMs: number;
  clock: Clock;
  corsOrigins: string[];
  logger: Logger;
  /**
   * The pool the Postgres adapter uses to pass packets between server processes (LISTEN/NOTIFY, and the
   * `socket_io_attachments` table for large ones), so `io.to(room).emit()` on one process reaches the sockets
   * of every process. Its own small pool: the adapter holds one connection to listen.
   */
  adapterPool: pg.Pool;
  /**
   * Since when (on `clock`) the adapter has been listening to the other instances without a break; undefined
   * while it is not (`AdapterConnections.listeningSince`).
   */
  adapterListeningSince: () => number | undefined;
  /** The largest message a client may send (Socket.IO's `maxHttpBufferSize`); a larger one closes the connection. */
  maxPayloadBytes?: number;
}

/** Sessions that ended; no `sessionIds`: all of the user's. */
export interface EndedSessions {
  userId: string;
  sessionIds?: readonly string[];
}

/** The error a refused handshake carries to the client (`connect_error`): message plus `data: { code, status }`. */
function handshakeError(error: unknown): Error & { data: { code: string; status: number } } {
  const appError =
    error instanceof AppError
      ? error
      : new AppError(coreErrors.internal, "The connection could not be authenticated");
  return Object.assign(new Error(appError.message), {
    data: { code: appError.code, status: appError.status },
  });
}

/**
 * How often each instance tells the others it is there (the adapter's heartbeat, sent after this long without
 * publishing anything else); one silent for twice this long is taken for gone.
 */
export const adapterHeartbeatMs = 5_000;

/**
 * How long an instance must have listened before an empty list of other instances can be believed: every live
 * instance publishes at least once per heartbeat, and a notification takes well under a second to arrive.
 */
export const adapterWarmUpMs = adapterHeartbeatMs + 1_000;

/**
 * The Postgres adapter publishes every broadcast (a NOTIFY, which this process then hears back and parses) and
 * delivers it to this process's sockets only once the NOTIFY has committed, even when no other process is
 * there to hear it: with one instance, most of the cost of every emit. The adapter already keeps track of the
 * other instances (each announces itself when it starts, and at least once per heartbeat; one silent for two
 * is taken for gone) and trusts that list for everything it asks of them (`fetchSockets` waits for exactly
 * those). A broadcast made while the list is empty is delivered here at once, unpublished, but only once this
 * instance has listened for a whole heartbeat: an instance that just started may have missed the others'
 * answers to its announcement (they can arrive before its own LISTEN is in place), so until then it publishes
 * everything. Once another instance has announced itself, broadcasts are published again. An instance's
 * announcement is committed before it serves its first socket (`AdapterConnections.published`), so at worst
 * an emit made in the few milliseconds the others take to hear it misses a client that just connected there,
 * which catches up as every reconnecting client does (`?after=` for messages, the inbox for notifications).
 */
function broadcastingToOthersOnly(
  make: (nsp: Namespace) => Namespace["adapter"],
  heardEveryone: () => boolean,
): (nsp: Namespace) => Namespace["adapter"] {
  // Socket.IO calls it with `new`, which an arrow function refuses; a function returning an object gives that.
  // biome-ignore lint/complexity/useArrowFunction: constructed with `new`
  return function (nsp: Namespace) {
    const adapter = make(nsp);
    // Private in the adapter's types, so read at run time: with a version that lacks it, every broadcast is
    // published as before.
    const others: unknown = Reflect.get(adapter, "nodesMap");
    if (!(others instanceof Map)) return adapter;
    const broadcast = adapter.broadcast.bind(adapter);
    adapter.broadcast = (packet, opts) =>
      broadcast(
        packet,
        others.size === 0 && heardEveryone() ? { ...opts, flags: { ...opts.flags, local: true } } : opts,
      );
    return adapter;
  };
}

/**
 * Socket.IO on the API's HTTP server. Every connection is authenticated in the handshake with the access
 * token (`auth: { token }`) and joins its user's room, so every device of a user receives what is sent to them.
 */
export function createRealtime(httpServer: HttpServer, options: RealtimeOptions): RealtimeServer {
  const io: RealtimeServer = new Server(httpServer, {
    path: "/socket.io",
    cors: { origin: options.corsOrigins, credentials: false },
    serveClient: false,
    ...(options.maxPayloadBytes ? { maxHttpBufferSize: options.maxPayloadBytes } : {}),
  });
  const log = options.logger.child({ component: "realtime" });
  coalesceWrites(io.engine);
  io.adapter(
    broadcastingToOthersOnly(
      createAdapter(options.adapterPool, {
        heartbeatInterval: adapterHeartbeatMs,
        heartbeatTimeout: 2 * adapterHeartbeatMs,
        // While the database is away, packets reach this process's sockets only; say so once per failure.
        errorHandler: (error) =>
          log.warn({ err: error }, "the Socket.IO adapter could not reach the database"),
      }),
      () => {
        const since = options.adapterListeningSince();
        return since !== undefined && options.clock.now().getTime() - since >= adapterWarmUpMs;
      },
    ),
  );

  io.use(async (socket, next) => {
    const token: unknown = socket.handshake.auth?.token;
    try {
      if (typeof token !== "string" || token.length === 0) {
        throw new AppError(
          coreErrors.unauthenticated,
          "Send the access token as auth.token in the handshake",
        );
      }
      socket.data.user = await options.authenticator.authenticate(token);
      socket.data.sessionCheckedAt = options.clock.now().getTime();
      next();
    } catch (error) {
      if (!(error instanceof AppError)) log.error({ err: error }, "socket authentication failed");
      next(handshakeError(error));
    }
  });

  io.on("connection", (socket) => {
    void socket.join(userRoom(socket.data.user.id));
    // The sessions-ended signal reaches this process's sockets at once; this catches what it cannot (a session
    // ended by another process, or a signal lost in a crash) at the socket's next event, at the cost of one
    // indexed query per socket per `sessionCheckMs`. No event is let through on a check older than that. A
    // busy socket's check is renewed beside its events once it is half that old, so its events do not wait
    // for the query (one per socket at a time); only a socket quiet for longer waits for it.
    let checking: Promise<boolean> | undefined;
    const recheck = (): Promise<boolean> => {
      checking ??= (async () => {
        const startedAt = options.clock.now().getTime();
        try {
          await options.checkSession(socket.data.user);
          socket.data.sessionCheckedAt = startedAt;
          return true;
        } catch (error) {
          if (!(error instanceof AppError)) {
            log.error({ err: error }, "socket session check failed");
            return false;
          }
          socket.disconnect(true);
          return false;
        } finally {
          checking = undefined;
        }
      })();
      return checking;
    };
    socket.use((_packet, next) => {
      const age = options.clock.now().getTime() - socket.data.sessionCheckedAt;
      if (age < options.sessionCheckMs) {
        if (age >= options.sessionCheckMs / 2) void recheck();
        return next();
      }
      void recheck().then((valid) => {
        if (valid) next();
        else if (socket.connected) next(new Error("The session could not be checked; try again"));
      });
    });
  });
  return io;
}

/**
 * Disconnects the sockets of ended sessions (in every process sharing the adapter), leaving the user's other
 * sessions connected.
 */
export async function disconnectEndedSessions(io: RealtimeServer, ended: EndedSessions): Promise<void> {
  const sockets = await io.in(userRoom(ended.userId)).fetchSockets();
  const ids = ended.sessionIds ? new Set(ended.sessionIds) : undefined;
  for (const socket of sockets) {
    if (!ids || ids.has(socket.data.user.sessionId)) socket.disconnect(true);
  }
}

/**
 * Closes this process's connections at the transport level and stops accepting new ones, leaving the HTTP
 * server to its owner. Clients see "transport close" and reconnect with backoff (to another instance, or to
 * this one once restarted); `disconnectSockets(true)` would tell them the server ended the session on purpose,
 * the one reason on which socket.io-client never reconnects.
 */
export async function closeRealtime(io: RealtimeServer): Promise<void> {
  io.engine.close();
}

/** Stops the adapter's heartbeats and gives back its listening connection, so its pool can end. */
export async function closeRealtimeAdapter(io: RealtimeServer): Promise<void> {
  await io.of("/").adapter.close();
}
