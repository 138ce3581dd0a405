import { randomBytes } from "node:crypto";
import pg from "pg";
import type { Logger } from "../logger.js";

export interface DatabaseChannel {
  /** Sends `payload` to every process listening on the channel, this one included. */
  publish(payload: string): Promise<void>;
  /** Called with each payload published on the channel by any process sharing the database. */
  subscribe(handler: (payload: string) => void): void;
  /**
   * Resolves once every notification published on the channel before the call has been handed to the
   * handlers, with the number of the listening connection they came through (a new number after each
   * reconnection: what was heard before may have missed notifications sent while away). `undefined` when
   * that cannot be promised: not listening, or the connection was lost or too slow on the way.
   */
  sync(): Promise<number | undefined>;
  close(): Promise<void>;
}

export interface ChannelOptions {
  connectTimeoutMs: number;
  /** Wait before listening again after the listening connection was lost. */
  reconnectMs?: number;
}

/**
 * A PostgreSQL LISTEN/NOTIFY channel: how one server process tells the others sharing the database about an
 * event they must act on (sessions ended, whose sockets may be connected to any process). It listens on a
 * connection of its own, outside the pool, and listens again when that connection is lost (database
 * restart); a notification sent while it was away is lost, which the sockets' own periodic session check
 * covers.
 *
 * `sync()` is a barrier: the listening connection notifies a channel of its own with a random token and waits
 * for it to come back. PostgreSQL delivers notifications in commit order, so by then every notification
 * committed before the barrier was sent has been handled. Callers waiting at once share one barrier.
 */
export async function openChannel(
  url: string,
  channel: string,
  pool: pg.Pool,
  logger: Logger,
  options: ChannelOptions,
): Promise<DatabaseChannel> {
  if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new Error(`invalid channel name ${channel}`);
  const handlers = new Set<(payload: string) => void>();
  let client: pg.Client | undefined;
  let generation = 0;
  let closed = false;
  let retry: NodeJS.Timeout | undefined;
  // Unguessable, and a barrier counts only when sent by this very connection: a NOTIFY from anyone else
  // cannot pass for one.
  const barrierChannel = `${channel}_sync_${randomBytes(8).toString("hex")}`;
  const barrierTimeoutMs = options.connectTimeoutMs;
  type Waiter = (generation: number | undefined) => void;
  let waiting: Waiter[] = [];
  let barrier: { token: string; waiters: Waiter[]; generation: number; timer: NodeJS.Timeout } | undefined;

  const settleBarrier = (result: number | undefined) => {
    const done = barrier;
    if (!done) return;
    barrier = undefined;
    clearTimeout(done.timer);
    for (const waiter of done.waiters) waiter(result);
    if (waiting.length > 0) sendBarrier();
  };
  const sendBarrier = () => {
    const current = client;
    const waiters = waiting;
    waiting = [];
    if (!current) {
      for (const waiter of waiters) waiter(undefined);
      return;
    }
    const token = randomBytes(12).toString("hex");
    barrier = {
      token,
      waiters,
      generation,
      timer: setTimeout(() => settleBarrier(undefined), barrierTimeoutMs),
    };
    current.query("select pg_notify($1, $2)", [barrierChannel, token]).catch(() => {
      if (barrier?.token === token) settleBarrier(undefined);
    });
  };

  const listen = async () => {
    const next = new pg.Client({
      connectionString: url,
      connectionTimeoutMillis: options.connectTimeoutMs,
      application_name: `jobsphere-listen-${channel}`,
    });
    let backendPid: number | undefined;
    next.on("notification", (message) => {
      if (message.channel === barrierChannel) {
        const current = barrier;
        if (current && message.payload === current.token && message.processId === backendPid)
          settleBarrier(current.generation);
        return;
      }
      if (message.channel !== channel || message.payload === undefined) return;
      for (const handler of handlers) handler(message.payload);
    });
    const lost = () => {
      if (client !== next) return;
      client = undefined;
      settleBarrier(undefined);
      if (!closed) retry = setTimeout(() => void listenAgain(), options.reconnectMs ?? 1_000);
    };
    next.on("error", lost);
    next.on("end", lost);
    await next.connect();
    const { rows } = await next.query<{ pid: number }>("select pg_backend_pid() as pid");
    backendPid = rows[0]?.pid;
    // A barrier's NOTIFY commits a transaction of its own; nothing in it needs to survive a crash, so it
    // does not wait for the WAL to reach the disk (the order of delivery does not depend on it).
    await next.query("set synchronous_commit = off");
    await next.query(`listen ${channel}`);
    await next.query(`listen ${barrierChannel}`);
    generation += 1;
    client = next;
  };
  const listenAgain = async () => {
    try {
      await listen();
    } catch (error) {
      logger.warn({ err: error, channel }, "could not listen on the database channel; retrying");
      if (!closed) retry = setTimeout(() => void listenAgain(), options.reconnectMs ?? 1_000);
    }
  };

  await listen();
  return {
    async publish(payload) {
      await pool.query("select pg_notify($1, $2)", [channel, payload]);
    },
    subscribe(handler) {
      handlers.add(handler);
    },
    sync() {
      if (!client) return Promise.resolve(undefined);
      return new Promise<number | undefined>((resolve) => {
        waiting.push(resolve);
        if (!barrier) sendBarrier();
      });
    },
    async close() {
      closed = true;
      clearTimeout(retry);
      const current = client;
      client = undefined;
      settleBarrier(undefined);
      await current?.end().catch(() => {});
    },
  };
}
