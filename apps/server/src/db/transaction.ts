import { AsyncLocalStorage } from "node:async_hooks";
import { drizzle } from "drizzle-orm/node-postgres";
import type pg from "pg";
import type { Database } from "./client.js";
import * as schema from "./schema.js";

/** What runs inside one transaction: typed queries, and raw SQL on the same connection (for pg-boss). */
export interface Tx {
  db: Database;
  /** Runs raw SQL inside the transaction; handed to pg-boss so jobs are enqueued atomically with the change. */
  executeSql(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
}

/** One level of an open transaction: the outermost one, or a savepoint inside it. */
interface Frame {
  pool: pg.Pool;
  client: pg.PoolClient;
  tx: Tx;
  depth: number;
  /** Shared by every level: false once the outermost transaction has ended. */
  root: { open: boolean };
  /** The last nested transaction started directly inside this level; the next one waits for it. */
  children: Promise<void>;
  /** What runs once the outermost transaction commits, registered at this level (`afterCommit`). */
  committed: (() => void)[];
}

const ambient = new AsyncLocalStorage<Frame>();

/**
 * One query builder per pooled connection, made the first time the connection runs a transaction. Making one
 * walks the whole schema (its relations config), which cost more CPU than the statements of a short
 * transaction; a pooled connection lives on, so it is made once.
 */
const builders = new WeakMap<pg.PoolClient, Database>();

function builderFor(client: pg.PoolClient): Database {
  let built = builders.get(client);
  if (!built) {
    built = drizzle(client, { schema, casing: "snake_case" }) as unknown as Database;
    builders.set(client, built);
  }
  return built;
}

/**
 * Runs `work` in one transaction on one pooled connection: committed if it resolves, rolled back if it
 * throws. The single way to change several rows together.
 *
 * Called while another transaction on the same pool is open in the same async context (an idempotent
 * request, a service calling another service), it joins that transaction as a savepoint instead of opening
 * its own: its rows then commit with the caller's, and it still rolls back alone when it throws, so a caller
 * that catches the error can go on.
 */
export async function transaction<T>(pool: pg.Pool, work: (tx: Tx) => Promise<T>): Promise<T> {
  const outer = ambient.getStore();
  // A timer or promise started inside a transaction may outlive it; it then gets a transaction of its own.
  if (outer && outer.pool === pool && outer.root.open) return savepoint(outer, work);

  const client = await pool.connect();
  let broken = false;
  // The connection may drop while the work awaits something else (database restart, terminated backend);
  // without a listener that error would crash the process. The next query fails and the work rolls back.
  const dropped = () => {
    broken = true;
  };
  client.on("error", dropped);
  const frame: Frame = {
    pool,
    client,
    tx: {
      db: builderFor(client),
      executeSql: (text, values = []) => client.query(text, values),
    },
    depth: 0,
    root: { open: true },
    children: Promise.resolve(),
    committed: [],
  };
  try {
    await client.query("begin");
    const result = await ambient.run(frame, () => work(frame.tx));
    await client.query("commit");
    // Outside the transaction's context, so what they start opens transactions of its own.
    for (const run of frame.committed) ambient.exit(run);
    return result;
  } catch (error) {
    await client.query("rollback").catch(() => {
      broken = true;
    });
    throw error;
  } finally {
    frame.root.open = false;
    client.off("error", dropped);
    client.release(broken);
  }
}

/**
 * The transaction open on `pool` in this async context, if any. A single statement (atomic alone) run on it
 * commits with the caller's work, as `transaction()` would, without the round trips of its own `begin` and
 * `commit` when there is none.
 */
export function ambientTransaction(pool: pg.Pool): Tx | undefined {
  const frame = ambient.getStore();
  return frame && frame.pool === pool && frame.root.open ? frame.tx : undefined;
}

async function savepoint<T>(parent: Frame, work: (tx: Tx) => Promise<T>): Promise<T> {
  // Savepoints on one connection must nest, never interleave: siblings started together take turns.
  const previous = parent.children;
  let finished = () => {};
  parent.children = new Promise<void>((resolve) => {
    finished = resolve;
  });
  await previous;
  const frame: Frame = { ...parent, depth: parent.depth + 1, children: Promise.resolve(), committed: [] };
  const name = `nested_${frame.depth}`;
  try {
    await parent.client.query(`savepoint ${name}`);
    try {
      const result = await ambient.run(frame, () => work(parent.tx));
      await parent.client.query(`release savepoint ${name}`);
      // Kept only if this level's work stays: a savepoint rolled back takes its hooks with it.
      parent.committed.push(...frame.committed);
      return result;
    } catch (error) {
      // If even this fails the connection is gone, and the outermost transaction fails on its own.
      await parent.client.query(`rollback to savepoint ${name}`).catch(() => {});
      throw error;
    }
  } finally {
    finished();
  }
}

/** True while a transaction on `pool` is open in this async context (what `transaction` would join). */
export function inTransaction(pool: pg.Pool): boolean {
  const frame = ambient.getStore();
  return frame !== undefined && frame.pool === pool && frame.root.open;
}

/**
 * Runs `effect` once the transaction open on `pool` in this async context has committed, and not at all if it
 * rolls back (or the savepoint it was registered in does); with no transaction open, at once. For what must
 * not be seen before the rows it announces exist: socket events, listeners. `effect` must not throw (it runs
 * after the answer is decided: catch and log inside it).
 */
export function afterCommit(pool: pg.Pool, effect: () => void): void {
  const frame = ambient.getStore();
  if (frame && frame.pool === pool && frame.root.open) frame.committed.push(effect);
  else effect();
}
