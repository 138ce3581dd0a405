import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../test/database.js";
import { connectDatabase, type DatabaseHandle } from "./client.js";
import { transaction } from "./transaction.js";

describe("transaction()", () => {
  let database: TestDatabase;
  let handle: DatabaseHandle;

  const insert = (tx: { executeSql: (text: string, values?: unknown[]) => Promise<unknown> }, note: string) =>
    tx.executeSql("insert into notes (note) values ($1)", [note]);
  const notes = async () =>
    ((await handle.pool.query("select note from notes order by note")).rows as { note: string }[]).map(
      (row) => row.note,
    );

  beforeAll(async () => {
    database = await createTestDatabase();
    handle = connectDatabase(database.url);
    await handle.pool.query("create table notes (note text primary key)");
  });

  beforeEach(async () => {
    await handle.pool.query("delete from notes");
  });

  afterAll(async () => {
    await handle.close();
    await database.drop();
  });

  it("commits when the work resolves and rolls every row back when it throws", async () => {
    await transaction(handle.pool, async (tx) => {
      await insert(tx, "kept-1");
      await insert(tx, "kept-2");
    });
    await expect(
      transaction(handle.pool, async (tx) => {
        await insert(tx, "lost-1");
        await insert(tx, "lost-2");
        throw new Error("refused");
      }),
    ).rejects.toThrow("refused");
    expect(await notes()).toEqual(["kept-1", "kept-2"]);
  });

  it("joins an enclosing transaction, so an inner change is undone when the outer one fails later", async () => {
    await expect(
      transaction(handle.pool, async (tx) => {
        await insert(tx, "outer");
        await transaction(handle.pool, (inner) => insert(inner, "inner"));
        throw new Error("failed after the inner work had finished");
      }),
    ).rejects.toThrow("failed after");
    expect(await notes()).toEqual([]);
  });

  it("runs a joined transaction on the enclosing connection, so it sees the uncommitted rows", async () => {
    const seen = await transaction(handle.pool, async (tx) => {
      await insert(tx, "uncommitted");
      return transaction(
        handle.pool,
        async (inner) => (await inner.executeSql("select note from notes")).rows,
      );
    });
    expect(seen).toEqual([{ note: "uncommitted" }]);
  });

  it("rolls back only a joined transaction that throws, and the enclosing one carries on", async () => {
    await transaction(handle.pool, async (tx) => {
      await insert(tx, "outer");
      await expect(
        transaction(handle.pool, async (inner) => {
          await insert(inner, "inner");
          // A constraint violation aborts the whole transaction unless it is confined to a savepoint.
          await insert(inner, "outer");
        }),
      ).rejects.toThrow(/duplicate key/);
      await insert(tx, "after");
    });
    expect(await notes()).toEqual(["after", "outer"]);
  });

  it("makes joined transactions started together take turns, so one's rollback never undoes another", async () => {
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    await transaction(handle.pool, async () => {
      const failing = transaction(handle.pool, async (inner) => {
        await insert(inner, "failing");
        await gate;
        throw new Error("inner failure");
      });
      const succeeding = transaction(handle.pool, (inner) => insert(inner, "succeeding"));
      setTimeout(release, 20);
      await expect(failing).rejects.toThrow("inner failure");
      await succeeding;
    });
    expect(await notes()).toEqual(["succeeding"]);
  });

  it("gives work that outlives its transaction a transaction of its own", async () => {
    let later: Promise<unknown> = Promise.resolve();
    await transaction(handle.pool, async (tx) => {
      await insert(tx, "first");
      later = new Promise((resolve, reject) => {
        setTimeout(() => transaction(handle.pool, (own) => insert(own, "later")).then(resolve, reject), 30);
      });
    });
    await later;
    expect(await notes()).toEqual(["first", "later"]);
  });

  it("survives its connection being killed while the work awaits something else, and rolls back", async () => {
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let outcome: Promise<void> = Promise.resolve();
    const pid = new Promise<number>((resolve) => {
      outcome = transaction(handle.pool, async (tx) => {
        await insert(tx, "doomed");
        const { rows } = await tx.executeSql("select pg_backend_pid() as pid");
        resolve((rows[0] as { pid: number }).pid);
        await gate;
        await insert(tx, "doomed-too");
      });
    });
    await handle.pool.query("select pg_terminate_backend($1)", [await pid]);
    // Give the dropped connection's error time to arrive while the work is still waiting.
    await new Promise((resolve) => setTimeout(resolve, 100));
    release();
    await expect(outcome).rejects.toThrow();
    await transaction(handle.pool, (tx) => insert(tx, "alive"));
    expect(await notes()).toEqual(["alive"]);
  });
});
