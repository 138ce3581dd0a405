import { fillPlaceholders, sql } from "drizzle-orm";
import { PgDialect } from "drizzle-orm/pg-core";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../test/database.js";
import { type ChargeAnswer, createLimiter, type Limiter } from "./rate-limit.js";

describe("a limiter's charges inside a larger statement (inStatement)", () => {
  let database: TestDatabase;
  let pool: pg.Pool;

  /**
   * A statement whose work is to keep a row per admitted charge in `charge_log` (the work a charge lets
   * through) or, with `fail`, to fail after charging; answers as the limiter judges each key.
   */
  async function chargeAndLog(
    limiter: Limiter,
    keys: string[],
    options: { fail?: boolean; on?: pg.Pool } = {},
  ) {
    const statement = new PgDialect().sqlToQuery(sql`
      with ${limiter.inStatement.ctes}, logged as (
        insert into charge_log (key)
        select i.key from charge_input i join charge_answers a on a.ord = i.ord and a.admitted
        returning key
      )
      select a.ord, a.admitted, a.expire, (select count(*) from logged) as logged,
        case when ${options.fail ?? false}::boolean then 1 / 0 end as failure
      from charge_answers a order by a.ord`);
    const { rows } = await (options.on ?? pool).query<ChargeAnswer>(
      statement.sql,
      fillPlaceholders(statement.params, limiter.inStatement.values(keys)),
    );
    return limiter.inStatement.settle(keys, rows);
  }

  const logged = async (key: string) =>
    Number((await pool.query("select count(*) from charge_log where key = $1", [key])).rows[0].count);

  beforeAll(async () => {
    database = await createTestDatabase();
    // One connection, so every statement below runs on the connection the charges ran on.
    pool = new pg.Pool({ connectionString: database.url, max: 1 });
    await pool.query("create table charge_log (key text not null)");
  });
  afterAll(async () => {
    await pool.end();
    await database.drop();
  });

  it("judges charges in arrival order and gives back the refused ones", async () => {
    const limiter = createLimiter(pool, { name: "test-order", points: 3, windowSeconds: 60 });
    const answers = await chargeAndLog(limiter, ["ann", "bob", "ann", "ann", "ann", "bob"]);
    expect(answers.map((answer) => answer?.code ?? "ok")).toEqual([
      "ok",
      "ok",
      "ok",
      "ok",
      "rate_limited",
      "ok",
    ]);
    expect(answers[4]?.options.headers).toMatchObject({ "RateLimit-Limit": "3", "RateLimit-Remaining": "0" });
    const { rows } = await pool.query(
      "select key, points from rate_limits where key like 'test-order:%' order by key",
    );
    // The refused charge was given back: the counter holds what was let through, and only that was done.
    expect(rows).toEqual([
      { key: "test-order:ann", points: 3 },
      { key: "test-order:bob", points: 2 },
    ]);
    expect([await logged("ann"), await logged("bob")]).toEqual([3, 2]);
    // A window already full refuses every charge of the next statement.
    const more = await chargeAndLog(limiter, ["ann", "ann"]);
    expect(more.map((answer) => answer?.code)).toEqual(["rate_limited", "rate_limited"]);
    expect(await logged("ann")).toBe(3);
  });

  it("charges nothing when the statement's work fails: the charges commit with it or not at all", async () => {
    const limiter = createLimiter(pool, { name: "test-rollback", points: 2, windowSeconds: 60 });
    await expect(chargeAndLog(limiter, ["gus", "gus"], { fail: true })).rejects.toThrow(/division by zero/);
    expect((await pool.query("select points from rate_limits where key = 'test-rollback:gus'")).rows).toEqual(
      [],
    );
    const answers = await chargeAndLog(limiter, ["gus", "gus", "gus"]);
    expect(answers.map((answer) => answer?.code ?? "ok")).toEqual(["ok", "ok", "rate_limited"]);
  });

  it("starts a new window once the last one has ended", async () => {
    const limiter = createLimiter(pool, { name: "test-window", points: 1, windowSeconds: 60 });
    expect(await chargeAndLog(limiter, ["hal"])).toEqual([undefined]);
    expect((await chargeAndLog(limiter, ["hal"]))[0]?.code).toBe("rate_limited");
    await pool.query("update rate_limits set expire = $1 where key = 'test-window:hal'", [Date.now() - 1]);
    expect(
      await chargeAndLog(limiter, ["hal", "hal"]).then((answers) => answers.map((a) => a?.code ?? "ok")),
    ).toEqual(["ok", "rate_limited"]);
  });

  it("lets exactly the limit through across parallel batches on several connections", async () => {
    const shared = new pg.Pool({ connectionString: database.url, max: 4 });
    try {
      const limiter = createLimiter(shared, { name: "test-burst", points: 25, windowSeconds: 60 });
      const batches = await Promise.all(
        Array.from({ length: 20 }, () => chargeAndLog(limiter, ["eve", "eve", "eve", "ivy"], { on: shared })),
      );
      const allowed = batches.flatMap((answers) => answers.slice(0, 3)).filter((answer) => !answer).length;
      expect(allowed).toBe(25);
      expect(batches.every((answers) => answers[3] === undefined)).toBe(true);
      const { rows } = await shared.query(
        "select key, points from rate_limits where key like 'test-burst:%' order by key",
      );
      expect(rows).toEqual([
        { key: "test-burst:eve", points: 25 },
        { key: "test-burst:ivy", points: 20 },
      ]);
      expect([await logged("eve"), await logged("ivy")]).toEqual([25, 20]);
    } finally {
      await shared.end();
    }
  });
});
