import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../test/database.js";
import { createLimiter } from "./rate-limit.js";

describe("a limiter's charges in one statement (consumeEach)", () => {
  let database: TestDatabase;
  let pool: pg.Pool;

  beforeAll(async () => {
    database = await createTestDatabase();
    // One connection, so every statement below runs on the connection the charges ran on.
    pool = new pg.Pool({ connectionString: database.url, max: 1 });
  });
  afterAll(async () => {
    await pool.end();
    await database.drop();
  });

  it("judges charges in arrival order and gives back the refused ones", async () => {
    const limiter = createLimiter(pool, { name: "test-order", points: 3, windowSeconds: 60 });
    const answers = await limiter.consumeEach(["ann", "bob", "ann", "ann", "ann", "bob"]);
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
    // The refused charge was given back: the counter holds what was let through.
    expect(rows).toEqual([
      { key: "test-order:ann", points: 3 },
      { key: "test-order:bob", points: 2 },
    ]);
  });

  it("skips the flush for its own commit only: the connection's later transactions stay durable", async () => {
    const limiter = createLimiter(pool, { name: "test-commit", points: 100, windowSeconds: 60 });
    await limiter.consumeEach(["carol", "dan"]);
    // A message insert that follows on the same pooled connection must still be flushed before it is answered.
    expect((await pool.query("show synchronous_commit")).rows).toEqual([{ synchronous_commit: "on" }]);
    const client = await pool.connect();
    try {
      await client.query("begin");
      expect((await client.query("show synchronous_commit")).rows).toEqual([{ synchronous_commit: "on" }]);
      await client.query("commit");
    } finally {
      client.release();
    }
  });

  it("lets exactly the limit through across parallel batches on several connections", async () => {
    const shared = new pg.Pool({ connectionString: database.url, max: 4 });
    try {
      const limiter = createLimiter(shared, { name: "test-burst", points: 25, windowSeconds: 60 });
      const batches = await Promise.all(
        Array.from({ length: 20 }, () => limiter.consumeEach(["eve", "eve", "eve"])),
      );
      const allowed = batches.flat().filter((answer) => answer === undefined).length;
      expect(allowed).toBe(25);
      const { rows } = await shared.query("select points from rate_limits where key = 'test-burst:eve'");
      expect(rows).toEqual([{ points: 25 }]);
    } finally {
      await shared.end();
    }
  });
});
