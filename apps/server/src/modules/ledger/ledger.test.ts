import { randomUUID } from "node:crypto";
import fc from "fast-check";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestClock } from "../../../test/clock.js";
import { createTestDatabase, type TestDatabase } from "../../../test/database.js";
import { connectDatabase, type DatabaseHandle } from "../../db/client.js";
import { transaction } from "../../db/transaction.js";
import { AppError } from "../../http/errors.js";
import { accounts, createLedgerModule, type LedgerService, type PostInput } from "./index.js";

const contractor = randomUUID();
const payable = accounts.contractorPayable(contractor);

function funding(key: string, amount = 12_500): PostInput {
  return {
    key,
    kind: "funding",
    currency: "usd",
    postings: [
      { account: accounts.platformCash, amount },
      { account: accounts.customerFundsHeld, amount: -amount },
    ],
  };
}

async function rejection(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (!(error instanceof AppError)) throw new Error(`expected an AppError, got ${String(error)}`);
  return error;
}

describe("ledger", () => {
  let database: TestDatabase;
  let handle: DatabaseHandle;
  let ledger: LedgerService;

  const count = async (table: "ledger_transactions" | "ledger_entries") =>
    Number((await handle.pool.query(`select count(*) from ${table}`)).rows[0].count);

  beforeAll(async () => {
    database = await createTestDatabase();
    handle = connectDatabase(database.url);
    ledger = createLedgerModule({ pool: handle.pool, clock: new TestClock() }).service;
  });

  afterAll(async () => {
    await handle.close();
    await database.drop();
  });

  describe("post", () => {
    it("records a balanced transaction once, however often its key is posted", async () => {
      const before = await ledger.balance(accounts.customerFundsHeld, "usd");
      const first = await ledger.post(funding("funding:once"));
      expect(first.created).toBe(true);
      const rows = await count("ledger_entries");

      const again = await ledger.post(funding("funding:once"));
      expect(again).toEqual({ id: first.id, created: false });
      expect(await count("ledger_entries")).toBe(rows);
      expect(await ledger.balance(accounts.customerFundsHeld, "usd")).toBe(before - 12_500);
      // Another currency is another balance.
      expect(await ledger.balance(accounts.customerFundsHeld, "eur")).toBe(0);
    });

    it("records one transaction when the same key is posted by many callers at once", async () => {
      const results = await Promise.all(
        Array.from({ length: 20 }, () => ledger.post(funding("funding:burst", 700))),
      );
      expect(results.filter((result) => result.created)).toHaveLength(1);
      expect(new Set(results.map((result) => result.id)).size).toBe(1);
      const { rows } = await handle.pool.query(
        "select count(*)::int as n from ledger_transactions where key = 'funding:burst'",
      );
      expect(rows[0].n).toBe(1);
    });

    it("refuses a key reused for a different movement, and writes nothing", async () => {
      await ledger.post(funding("funding:reused", 1_000));
      const rows = await count("ledger_entries");
      const error = await rejection(ledger.post(funding("funding:reused", 1_001)));
      expect(error.code).toBe("ledger.key_reused");
      const otherKind = await rejection(ledger.post({ ...funding("funding:reused", 1_000), kind: "refund" }));
      expect(otherKind.code).toBe("ledger.key_reused");
      expect(await count("ledger_entries")).toBe(rows);
    });

    it("refuses what does not balance or is malformed before writing anything", async () => {
      const rows = await count("ledger_entries");
      const unbalanced = await rejection(
        ledger.post({
          key: "bad:unbalanced",
          kind: "release",
          currency: "usd",
          postings: [
            { account: accounts.customerFundsHeld, amount: 10_000 },
            { account: accounts.platformCommission, amount: -1_000 },
            { account: payable, amount: -8_999 },
          ],
        }),
      );
      expect(unbalanced.code).toBe("ledger.unbalanced");
      expect(unbalanced.message).toContain("sum to 1 usd");

      const malformed: [string, PostInput][] = [
        ["one posting", { ...funding("bad:one"), postings: [{ account: accounts.platformCash, amount: 0 }] }],
        [
          "a zero amount",
          {
            ...funding("bad:zero"),
            postings: [
              { account: accounts.platformCash, amount: 0 },
              { account: accounts.customerFundsHeld, amount: 0 },
            ],
          },
        ],
        [
          "a fraction",
          {
            ...funding("bad:fraction"),
            postings: [
              { account: accounts.platformCash, amount: 0.5 },
              { account: accounts.customerFundsHeld, amount: -0.5 },
            ],
          },
        ],
        [
          "the same account twice",
          {
            ...funding("bad:twice"),
            postings: [
              { account: accounts.platformCash, amount: 5 },
              { account: accounts.platformCash, amount: -5 },
            ],
          },
        ],
        [
          "an account name that is not one",
          {
            ...funding("bad:account"),
            postings: [
              { account: "Platform Cash", amount: 5 },
              { account: accounts.customerFundsHeld, amount: -5 },
            ],
          },
        ],
        ["a NUL in the key", funding("bad:\u0000")],
        ["an upper-case currency", { ...funding("bad:currency"), currency: "USD" }],
        ["a booking id that is not one", { ...funding("bad:booking"), bookingId: "42" }],
      ];
      for (const [what, input] of malformed) {
        const error = await rejection(ledger.post(input));
        expect(error.code, what).toBe("ledger.invalid_posting");
      }
      expect(await count("ledger_entries")).toBe(rows);
    });

    it("commits and rolls back with the caller's transaction", async () => {
      const failure = new Error("the gateway call failed after the posting");
      await expect(
        transaction(handle.pool, async () => {
          await ledger.post(funding("funding:rolled-back"));
          throw failure;
        }),
      ).rejects.toBe(failure);
      const { rows } = await handle.pool.query("select 1 from ledger_transactions where key = $1", [
        "funding:rolled-back",
      ]);
      expect(rows).toHaveLength(0);

      // Inside the transaction, reads see what it posted; outside, nothing shows until it commits.
      const account = accounts.contractorTransferred(randomUUID());
      await transaction(handle.pool, async () => {
        await ledger.post({
          key: "transfer:visible",
          kind: "transfer",
          currency: "usd",
          postings: [
            { account, amount: 400 },
            { account: accounts.platformCash, amount: -400 },
          ],
        });
        expect(await ledger.balance(account, "usd")).toBe(400);
        const outside = await handle.pool.query(
          "select coalesce(sum(amount), 0)::int as sum from ledger_entries where account = $1",
          [account],
        );
        expect(outside.rows[0].sum).toBe(0);
      });
      expect(await ledger.balance(account, "usd")).toBe(400);
    });
  });

  describe("inside a caller's transaction", () => {
    it("lets a caller that catches a refused posting go on, keeping what it posted before and after", async () => {
      await transaction(handle.pool, async () => {
        await ledger.post(funding("funding:caller-1", 100));
        const error = await rejection(ledger.post(funding("funding:caller-1", 999)));
        expect(error.code).toBe("ledger.key_reused");
        await ledger.post(funding("funding:caller-2", 200));
      });
      const { rows } = await handle.pool.query(
        "select key from ledger_transactions where key like 'funding:caller-%' order by key",
      );
      expect(rows.map((row) => row.key)).toEqual(["funding:caller-1", "funding:caller-2"]);
    });
  });

  describe("lock", () => {
    it("lets concurrent withdrawals check the balance and post without overdrawing", async () => {
      const owner = randomUUID();
      const available = accounts.contractorPayable(owner);
      await ledger.post({
        key: `release:${owner}`,
        kind: "release",
        currency: "usd",
        postings: [
          { account: accounts.customerFundsHeld, amount: 10_000 },
          { account: available, amount: -10_000 },
        ],
      });
      // Ten withdrawals of 3,000 race for 10,000: three fit.
      const attempts = await Promise.allSettled(
        Array.from({ length: 10 }, (_, attempt) =>
          transaction(handle.pool, async () => {
            await ledger.lock(available);
            const balance = -(await ledger.balance(available, "usd"));
            if (balance < 3_000) throw new Error("insufficient funds");
            // Widens the window between the check and the posting, where an unlocked race would slip in.
            await new Promise((resolve) => setTimeout(resolve, 20));
            await ledger.post({
              key: `withdrawal:${owner}:${attempt}`,
              kind: "withdrawal",
              currency: "usd",
              postings: [
                { account: available, amount: 3_000 },
                { account: accounts.payouts, amount: -3_000 },
              ],
            });
          }),
        ),
      );
      expect(attempts.filter((attempt) => attempt.status === "fulfilled")).toHaveLength(3);
      expect(await ledger.balance(available, "usd")).toBe(-1_000);
    });

    it("refuses to lock outside a transaction, where the lock would end at once", async () => {
      await expect(ledger.lock(payable)).rejects.toThrow(/inside transaction/);
    });
  });

  describe("the database itself", () => {
    /** A connection of its own, as a script or a careless fix would use. */
    async function rawClient(): Promise<pg.Client> {
      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      return client;
    }

    async function insertTransaction(client: pg.Client, currency = "usd"): Promise<string> {
      const id = randomUUID();
      await client.query(
        "insert into ledger_transactions (id, key, kind, currency, created_at) values ($1, $2, 'manual', $3, now())",
        [id, `raw:${id}`, currency],
      );
      return id;
    }

    const entry = (
      client: pg.Client,
      transactionId: string,
      account: string,
      amount: number,
      currency = "usd",
    ) =>
      client.query(
        "insert into ledger_entries (id, transaction_id, account, amount, currency) values ($1, $2, $3, $4, $5)",
        [randomUUID(), transactionId, account, amount, currency],
      );

    it("refuses at COMMIT a transaction whose entries do not sum to zero", async () => {
      const client = await rawClient();
      try {
        const rows = await count("ledger_entries");
        await client.query("begin");
        const id = await insertTransaction(client);
        // Each statement is accepted: the rule holds for the transaction as a whole, checked at commit.
        await entry(client, id, accounts.platformCash, 100);
        await entry(client, id, accounts.customerFundsHeld, -99);
        await expect(client.query("commit")).rejects.toThrow(/does not balance: its entries sum to usd 1/);
        expect(await count("ledger_entries")).toBe(rows);
      } finally {
        await client.end();
      }
    });

    it("refuses at COMMIT a transaction with one entry or none", async () => {
      const client = await rawClient();
      try {
        await client.query("begin");
        await insertTransaction(client);
        await expect(client.query("commit")).rejects.toThrow(/has 0 entries/);

        await client.query("begin");
        const id = await insertTransaction(client);
        await entry(client, id, accounts.platformCash, 100);
        await expect(client.query("commit")).rejects.toThrow(/has 1 entries/);
      } finally {
        await client.end();
      }
    });

    it("accepts a balanced transaction written by hand, and refuses a zero amount or a foreign currency", async () => {
      const client = await rawClient();
      try {
        await client.query("begin");
        const balanced = await insertTransaction(client);
        await entry(client, balanced, accounts.platformCash, 250);
        await entry(client, balanced, accounts.customerFundsHeld, -250);
        await client.query("commit");

        // Without an explicit transaction the statement commits alone, so the lone row is refused at once.
        await expect(insertTransaction(client)).rejects.toThrow(/has 0 entries/);

        await client.query("begin");
        const zero = await insertTransaction(client);
        await expect(entry(client, zero, accounts.platformCash, 0)).rejects.toThrow(/ledger_entries_amount/);
        await client.query("rollback");

        await client.query("begin");
        const dollars = await insertTransaction(client, "usd");
        await expect(entry(client, dollars, accounts.platformCash, 5, "eur")).rejects.toThrow(
          /ledger_entries_transaction_fk/,
        );
        await client.query("rollback");
      } finally {
        await client.end();
      }
    });

    it("refuses to update, delete or truncate ledger rows", async () => {
      await ledger.post(funding("funding:immutable", 300));
      const client = await rawClient();
      try {
        await expect(
          client.query("update ledger_entries set amount = amount * 2 where account = 'platform_cash'"),
        ).rejects.toThrow(/append-only: UPDATE on ledger_entries refused/);
        await expect(client.query("update ledger_transactions set memo = 'edited'")).rejects.toThrow(
          /append-only: UPDATE on ledger_transactions refused/,
        );
        await expect(client.query("delete from ledger_entries")).rejects.toThrow(/append-only: DELETE/);
        await expect(client.query("delete from ledger_transactions")).rejects.toThrow(/append-only: DELETE/);
        await expect(client.query("truncate ledger_entries, ledger_transactions")).rejects.toThrow(
          /append-only: TRUNCATE/,
        );
        const { rows } = await client.query(
          "select 1 from ledger_transactions where key = 'funding:immutable'",
        );
        expect(rows).toHaveLength(1);
      } finally {
        await client.end();
      }
    });
  });

  describe("entries", () => {
    it("pages an account's entries newest first and refuses a cursor of other filters", async () => {
      const owner = randomUUID();
      const account = accounts.contractorPayable(owner);
      for (let step = 1; step <= 5; step += 1) {
        await ledger.post({
          key: `release:${owner}:${step}`,
          kind: "release",
          currency: "usd",
          memo: `job ${step}`,
          postings: [
            { account: accounts.customerFundsHeld, amount: step * 100 },
            { account, amount: -step * 100 },
          ],
        });
      }
      const first = await ledger.entries({ accountPrefix: account, limit: 3 });
      expect(first.items.map((item) => item.amount)).toEqual([-500, -400, -300]);
      expect(first.items[0]).toMatchObject({ kind: "release", account, currency: "usd", memo: "job 5" });
      expect(first.nextCursor).not.toBeNull();
      const second = await ledger.entries({
        accountPrefix: account,
        limit: 3,
        cursor: first.nextCursor ?? "",
      });
      expect(second.items.map((item) => item.amount)).toEqual([-200, -100]);
      expect(second.nextCursor).toBeNull();

      const error = await rejection(
        ledger.entries({ accountPrefix: "contractor_", limit: 3, cursor: first.nextCursor ?? "" }),
      );
      expect(error.code).toBe("pagination.invalid_cursor");
    });
  });

  describe("over random sequences of postings", () => {
    const owners = [randomUUID(), randomUUID(), randomUUID()];
    const accountNames = [
      accounts.platformCash,
      accounts.customerFundsHeld,
      accounts.platformCommission,
      accounts.refunds,
      accounts.payouts,
      ...owners.flatMap((owner) => [
        accounts.contractorPayable(owner),
        accounts.contractorTransferred(owner),
      ]),
    ];
    /** Distinct accounts with non-zero amounts; `balanced` makes the last one take the rest. */
    const posting = fc
      .record({
        currency: fc.constantFrom("usd", "eur", "gbp"),
        accounts: fc.uniqueArray(fc.constantFrom(...accountNames), { minLength: 2, maxLength: 5 }),
        amounts: fc.array(
          fc.integer({ min: -1_000_000, max: 1_000_000 }).filter((n) => n !== 0),
          { minLength: 5, maxLength: 5 },
        ),
        balanced: fc.boolean(),
        repeat: fc.boolean(),
      })
      .map(({ currency, accounts: names, amounts, balanced, repeat }) => {
        const postings = names.map((account, index) => ({ account, amount: amounts[index] ?? 1 }));
        const rest = postings.slice(0, -1).reduce((sum, entry) => sum + entry.amount, 0);
        const last = postings.at(-1);
        if (last && balanced) last.amount = -rest;
        return { currency, postings, repeat };
      });

    it("keeps every currency summing to zero and every balance equal to its entries", async () => {
      let run = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(posting, { minLength: 1, maxLength: 12 }), async (steps) => {
          run += 1;
          // The model: each account's balance before, plus the accepted postings.
          const model = new Map<string, number>();
          const touched = new Set<string>();
          const before = await handle.pool.query<{ account: string; currency: string; balance: number }>(
            "select account, currency, sum(amount)::bigint as balance from ledger_entries group by 1, 2",
          );
          for (const row of before.rows) model.set(`${row.account} ${row.currency}`, row.balance);
          let index = 0;
          for (const step of steps) {
            index += 1;
            const key = `property:${run}:${index}`;
            const input = { key, kind: "manual", currency: step.currency, postings: step.postings };
            const sum = step.postings.reduce((total, entry) => total + entry.amount, 0);
            const valid = sum === 0 && step.postings.every((entry) => entry.amount !== 0);
            const attempt = ledger.post(input);
            if (!valid) {
              expect((await rejection(attempt)).code).toMatch(/^ledger\.(unbalanced|invalid_posting)$/);
              continue;
            }
            expect((await attempt).created).toBe(true);
            if (step.repeat) expect((await ledger.post(input)).created).toBe(false);
            for (const entry of step.postings) {
              const name = `${entry.account} ${step.currency}`;
              touched.add(name);
              model.set(name, (model.get(name) ?? 0) + entry.amount);
            }
          }
          for (const name of touched) {
            const [account = "", currency = ""] = name.split(" ");
            expect(await ledger.balance(account, currency), name).toBe(model.get(name));
          }
          const sums = await handle.pool.query(
            "select currency, sum(amount)::bigint as total from ledger_entries group by currency",
          );
          for (const row of sums.rows) expect(row.total, row.currency).toBe(0);
        }),
        { numRuns: 25 },
      );
    });
  });
});
