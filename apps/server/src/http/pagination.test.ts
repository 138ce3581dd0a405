import { eq } from "drizzle-orm";
import { drizzle, type NodePgDatabase } from "drizzle-orm/node-postgres";
import { pgTable, text, uuid } from "drizzle-orm/pg-core";
import fc from "fast-check";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { forgeCursor } from "../../test/cursors.js";
import { createTestDatabase, type TestDatabase } from "../../test/database.js";
import { newId } from "../db/columns.js";
import { AppError } from "./errors.js";
import { pageNewestById } from "./pagination.js";

const things = pgTable("paged_things", { id: uuid().primaryKey(), colour: text().notNull() });
const colours = ["red", "blue"] as const;

describe("pageNewestById: a list ordered by id, newest first", () => {
  let database: TestDatabase;
  let pool: pg.Pool;
  let db: NodePgDatabase;

  beforeAll(async () => {
    database = await createTestDatabase({ empty: true });
    pool = new pg.Pool({ connectionString: database.url, max: 2 });
    db = drizzle(pool);
    await pool.query("create table paged_things (id uuid primary key, colour text not null)");
  });
  afterAll(async () => {
    await pool.end();
    await database.drop();
  });

  const add = async (colour: string, count: number) => {
    if (count > 0)
      await db.insert(things).values(Array.from({ length: count }, () => ({ id: newId(), colour })));
  };
  const page = (colour: string, query: { limit: number; cursor?: string; colour?: string }) =>
    pageNewestById(
      db.select().from(things).$dynamic(),
      things.id,
      [eq(things.colour, colour)],
      { colour, ...query },
      (row) => row.id,
    );

  it("walks every row of its filter once, newest first, while newer rows keep arriving", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          before: fc.array(fc.constantFrom(...colours), { maxLength: 40 }),
          limits: fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 50 }),
          // Rows added between two pages: of the walked colour and of the other one.
          arriving: fc.array(fc.nat(3), { minLength: 50, maxLength: 50 }),
        }),
        async ({ before, limits, arriving }) => {
          await pool.query("delete from paged_things");
          for (const colour of before) await add(colour, 1);
          const existing = (
            await pool.query<{ id: string }>(
              "select id from paged_things where colour = 'red' order by id desc",
            )
          ).rows.map((row) => row.id);
          const walked: string[] = [];
          let cursor: string | undefined;
          for (let step = 0; ; step += 1) {
            // Each page but the last holds at least one row, so a walk longer than that repeats itself.
            if (step > existing.length) throw new Error(`the walk goes on past ${step} pages`);
            const limit = limits[step % limits.length] ?? 1;
            const result = await page("red", { limit, ...(cursor ? { cursor } : {}) });
            expect(result.items.length).toBeLessThanOrEqual(limit);
            walked.push(...result.items.map((row) => row.id));
            if (result.nextCursor === null) break;
            // A cursor is given only when another row follows, so a page is never empty past the first.
            expect(result.items).toHaveLength(limit);
            cursor = result.nextCursor;
            await add("red", arriving[step % arriving.length] ?? 0);
            await add("blue", 1);
          }
          expect(walked).toEqual(existing);
        },
      ),
      { numRuns: 40 },
    );
  });

  it("refuses a cursor it did not issue for these filters with a 400, before any query", async () => {
    await pool.query("delete from paged_things");
    await add("red", 3);
    await add("blue", 3);
    const first = await page("red", { limit: 2 });
    expect(first.nextCursor).not.toBeNull();
    const refused = async (query: { limit: number; cursor: string }, colour = "red") => {
      const error = await page(colour, query).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(AppError);
      return (error as AppError).code;
    };
    const cursor = first.nextCursor ?? "";
    // The same position under other filters: the blue list does not resume after a red row.
    expect(await refused({ limit: 2, cursor }, "blue")).toBe("pagination.invalid_cursor");
    // Forged with a valid digest, but its key is not an id: refused here, not failing in SQL.
    for (const key of ["../../etc", "00000000-0000-7000-8000-00000000000\u0000", "' or 1=1 --", ""])
      expect(await refused({ limit: 2, cursor: forgeCursor({ colour: "red" }, [key]) })).toBe(
        "pagination.invalid_cursor",
      );
    expect(await refused({ limit: 2, cursor: forgeCursor({ colour: "red" }, [newId(), newId()]) })).toBe(
      "pagination.invalid_cursor",
    );
    expect(await refused({ limit: 2, cursor: "%%%" })).toBe("pagination.invalid_cursor");
    expect(await refused({ limit: 2, cursor: "x".repeat(100_000) })).toBe("pagination.invalid_cursor");
    // A forged cursor with a well-formed id resumes where it says: nothing is there to protect.
    const resumed = await page("red", { limit: 5, cursor: forgeCursor({ colour: "red" }, [newId()]) });
    expect(resumed.items).toHaveLength(3);
  });
});
