import pg from "pg";
import type { Logger } from "../logger.js";

export interface DatabaseChannel {
  /** Sends `payload` to every process listening on the channel, this one included. */
  publish(payload: string): Promise<void>;
  /** Called with each payload published on the channel by any process sharing the database. */
  subscribe(handler: (payload: string) => void): void;
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
  let closed = false;
  let retry: NodeJS.Timeout | undefined;

  const listen = async () => {
    const next = new pg.Client({
      connectionString: url,
      connectionTimeoutMillis: options.connectTimeoutMs,
      application_name: `jobsphere-listen-${channel}`,
    });
    next.on("notification", (message) => {
      if (message.channel !== channel || message.payload === undefined) return;
      for (const handler of handlers) handler(message.payload);
    });
    const lost = () => {
      if (client !== next) return;
      client = undefined;
      if (!closed) retry = setTimeout(() => void listenAgain(), options.reconnectMs ?? 1_000);
    };
    next.on("error", lost);
    next.on("end", lost);
    await next.connect();
    await next.query(`listen ${channel}`);
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
    async close() {
      closed = true;
      clearTimeout(retry);
      const current = client;
      client = undefined;
      await current?.end().catch(() => {});
    },
  };
}
