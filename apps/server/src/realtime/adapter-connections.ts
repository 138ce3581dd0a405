import pg from "pg";
import { createBatcher } from "../db/batcher.js";
import type { Logger } from "../logger.js";

export interface AdapterConnections {
  /** What `@socket.io/postgres-adapter` is given as its pool. */
  pool: pg.Pool;
  /** Resolves once every packet published so far is committed (at start: this instance's announcement). */
  published(): Promise<void>;
  /**
   * Since when (by `now`) the listening connection has been listening without a break, or undefined while it
   * is not: what this instance can have heard of the others.
   */
  listeningSince(): number | undefined;
  /** Resolves once the listening connection first listens. */
  listening(): Promise<void>;
  /** Ends the listening connection and the query pool; the adapter must be closed first. */
  close(): Promise<void>;
}

/**
 * The connections of the Socket.IO Postgres adapter. It asks its "pool" for one client to LISTEN on and never
 * gives it back while it lives; a pooled client lost with the database would stay checked out and hold the
 * pool's `end()` forever. So the listening client here is a plain connection outside any pool (released means
 * ended), queries (NOTIFY, attachments) go through a pool of one, and once closing starts no new listener is
 * opened, so a reconnection in flight cannot keep the process alive.
 */
export function adapterConnections(
  url: string,
  options: { connectTimeoutMs: number; now?: () => number },
  logger: Logger,
): AdapterConnections {
  const now = options.now ?? Date.now;
  const lost = (error: Error) => logger.warn({ err: error }, "Socket.IO adapter connection lost");
  const queries = new pg.Pool({
    connectionString: url,
    max: 1,
    connectionTimeoutMillis: options.connectTimeoutMs,
    application_name: "jobsphere-socket-adapter",
    // Every emit waits for its NOTIFY to commit before reaching even this process's sockets (in batches, on
    // this connection: `notifyBatcher`). A notification is never kept across a crash anyway, so its commit
    // need not wait for the WAL to reach disk: that wait was most of each emit's time on a busy disk.
    options: "-c synchronous_commit=off",
  });
  queries.on("error", lost);
  const listening = new Set<pg.Client>();
  let listeningSince: number | undefined;
  let startListening = () => {};
  const firstListen = new Promise<void>((resolve) => {
    startListening = resolve;
  });
  let closing = false;
  // Never settles: what a reconnection attempt made while closing gets, so it schedules nothing more.
  const never = () => new Promise<never>(() => {});

  const connect = async () => {
    if (closing) return never();
    const client = new pg.Client({
      connectionString: url,
      connectionTimeoutMillis: options.connectTimeoutMs,
      application_name: "jobsphere-socket-listen",
    });
    client.on("error", lost);
    try {
      await client.connect();
    } catch (error) {
      await client.end().catch(() => {});
      throw error;
    }
    if (closing) {
      await client.end().catch(() => {});
      return never();
    }
    listening.add(client);
    client.on("end", () => {
      listening.delete(client);
      // What was published while no connection listened is lost to this instance.
      listeningSince = undefined;
    });
    // The adapter's first LISTEN on this connection starts what this instance hears.
    const query = client.query.bind(client) as (text: string) => Promise<unknown>;
    const listenFirst = (text: string) => {
      const result = query(text);
      if (text.startsWith("LISTEN "))
        result.then(
          () => {
            if (!listening.has(client)) return;
            listeningSince ??= now();
            startListening();
          },
          () => {},
        );
      return result;
    };
    return Object.assign(client, {
      query: listenFirst,
      release: () => {
        client.end().catch(() => {});
      },
    });
  };

  const notify = notifyBatcher((channels, payloads) =>
    queries.query(
      "select pg_notify(n.channel, n.payload) from unnest($1::text[], $2::text[]) as n(channel, payload)",
      [channels, payloads],
    ),
  );
  let ended = false;
  const query = (text: string, values?: unknown[]) => {
    if (text !== notifyStatement || values?.length !== 2) return queries.query(text, values);
    // What is emitted while the server winds down (the last jobs' notices) reaches this process's sockets only:
    // the others have heard this instance close. Publishing it would only log a failure per packet.
    if (ended) return Promise.resolve({ rows: [], rowCount: 0 });
    return notify(String(values[0]), String(values[1]));
  };

  return {
    // The adapter uses `connect()` and `query()` only.
    pool: { connect, query } as unknown as pg.Pool,
    published: () => notify.drain(),
    listeningSince: () => listeningSince,
    listening: () => firstListen,
    async close() {
      closing = true;
      await Promise.all([...listening].map((client) => client.end().catch(() => {})));
      await notify.drain();
      ended = true;
      await queries.end();
    },
  };
}

/** The statement `@socket.io/postgres-adapter` publishes every packet with. */
const notifyStatement = "SELECT pg_notify($1, $2)";

/**
 * Publishes NOTIFYs in batches (`createBatcher`): while one batch is in flight, the packets emitted meanwhile
 * wait, then go together in one statement (one transaction, one round trip), in the order they were emitted,
 * which is the order PostgreSQL delivers them. So every emit waits for at most the batch in flight and its
 * own, however many are emitted at once, where one statement each made them queue one round trip behind
 * another. PostgreSQL folds identical notifications of one transaction into one, so a packet equal to one
 * already in the batch starts the next batch instead: two identical emits still arrive twice.
 */
export function notifyBatcher(send: (channels: string[], payloads: string[]) => Promise<unknown>) {
  interface Packet {
    channel: string;
    payload: string;
  }
  const batcher = createBatcher<Packet, void>(
    async (packets) => {
      await send(
        packets.map((packet) => packet.channel),
        packets.map((packet) => packet.payload),
      );
      return packets.map(() => ({ status: "fulfilled", value: undefined }));
    },
    {
      accepts: (batch, packet) =>
        !batch.some((other) => other.channel === packet.channel && other.payload === packet.payload),
    },
  );
  return Object.assign((channel: string, payload: string) => batcher({ channel, payload }), {
    drain: batcher.drain,
  });
}
