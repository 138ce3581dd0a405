import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { acceptedBooking, expectLedgerBalanced } from "../../test/ledger.js";
import { startTestServer, type TestServer } from "../../test/server.js";
import { accounts, createLedgerModule, type LedgerService } from "../modules/ledger/index.js";

const cli = fileURLToPath(new URL("./ledger-check.ts", import.meta.url));

describe("npm run ledger:check", { timeout: 120_000 }, () => {
  let app: TestServer;
  let ledger: LedgerService;
  let bookingId: string;
  let heldBookingId: string;
  let contractorId: string;

  beforeAll(async () => {
    app = await startTestServer();
    ledger = createLedgerModule({ pool: app.server.database.pool, clock: { now: () => new Date() } }).service;
    // A booking paid and released, its contractor's share transferred and part of it withdrawn and paid out;
    // and a second booking paid and still held.
    const released = await acceptedBooking(app, { amount: 24_000, currency: "usd" });
    const held = await acceptedBooking(app, { amount: 9_900, currency: "eur" });
    bookingId = released.id;
    heldBookingId = held.id;
    contractorId = released.contractor.id;
    const payable = accounts.contractorPayable(contractorId);
    const transferred = accounts.contractorTransferred(contractorId);
    const withdrawalId = randomUUID();
    for (const booking of [released, held]) {
      await app.server.bookings.markFunded(booking.id, {
        by: "system",
        amounts: { commission: 2_400, contractorAmount: booking.price.amount - 2_400 },
      });
      await ledger.post({
        key: `funding:${booking.id}`,
        kind: "funding",
        currency: booking.price.currency,
        bookingId: booking.id,
        postings: [
          { account: accounts.platformCash, amount: booking.price.amount },
          { account: accounts.customerFundsHeld, amount: -booking.price.amount },
        ],
      });
    }
    for (const action of ["start", "complete", "confirm"]) {
      const who = action === "confirm" ? released.customer : released.contractor;
      const answer = await app.request("POST", `/api/v1/bookings/${released.id}/${action}`, {
        token: who.accessToken,
      });
      expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    }
    const movements = [
      {
        kind: "release",
        postings: [
          { account: accounts.customerFundsHeld, amount: 24_000 },
          { account: accounts.platformCommission, amount: -2_400 },
          { account: payable, amount: -21_600 },
        ],
      },
      {
        kind: "transfer",
        postings: [
          { account: transferred, amount: 21_600 },
          { account: accounts.platformCash, amount: -21_600 },
        ],
      },
      {
        kind: "withdrawal",
        withdrawalId,
        postings: [
          { account: payable, amount: 10_000 },
          { account: accounts.payouts, amount: -10_000 },
        ],
      },
      {
        kind: "withdrawal_paid",
        withdrawalId,
        postings: [
          { account: accounts.payouts, amount: 10_000 },
          { account: transferred, amount: -10_000 },
        ],
      },
    ];
    for (const movement of movements) {
      await ledger.post({
        key: `${movement.kind}:${released.id}`,
        currency: "usd",
        bookingId: released.id,
        ...movement,
      });
    }
  });

  afterAll(async () => {
    await app.close();
  });

  function run(env: Record<string, string> = {}) {
    return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolveRun) => {
      const child = spawn(process.execPath, ["--import", "tsx", cli], {
        env: { ...process.env, DATABASE_URL: app.database.url, ...env },
      });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (chunk: Buffer) => {
        stdout += chunk.toString();
      });
      child.stderr.on("data", (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      child.on("exit", (code) => resolveRun({ code, stdout, stderr }));
    });
  }

  /** Writes with the ledger's triggers off, as an operator's manual "fix" or a bug in a migration could. */
  async function corrupt(statements: string[]): Promise<void> {
    const client = new pg.Client({ connectionString: app.database.url });
    await client.connect();
    try {
      await client.query("begin");
      // Replica mode skips every trigger, foreign keys included; this session only, this transaction only.
      await client.query("set local session_replication_role = replica");
      for (const statement of statements) await client.query(statement);
      await client.query("commit");
    } finally {
      await client.end();
    }
  }

  it("exits 0 on books that add up, and says how much it checked", async () => {
    await expectLedgerBalanced(app.server.database.pool);
    const result = await run();
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^ok {3}transactions balance$/m);
    expect(result.stdout).toContain("ledger:check: all 10 checks hold (6 transactions, 13 entries)");
  });

  it("exits 2 saying why when it cannot reach the database", async () => {
    const result = await run({
      DATABASE_URL: "postgres://nobody@127.0.0.1:1/none",
      DATABASE_CONNECT_TIMEOUT_MS: "2000",
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^ledger:check could not check: .*127\.0\.0\.1:1/);
  });

  it("exits 1 naming each violation once the database has been tampered with", async () => {
    const lone = randomUUID();
    const orphanTransaction = randomUUID();
    const payable = accounts.contractorPayable(contractorId);
    await corrupt([
      // An amount edited in place: the release no longer balances.
      `update ledger_entries set amount = -2500 where account = 'platform_commission'`,
      // A transaction that moved money into one account only.
      `insert into ledger_transactions (id, key, kind, currency, created_at) values ('${lone}', 'manual:lone', 'manual', 'usd', now())`,
      `insert into ledger_entries (id, transaction_id, account, amount, currency) values ('${randomUUID()}', '${lone}', 'platform_cash', 500, 'usd')`,
      // An entry whose transaction was deleted, taking 12,000 more out of the contractor's payable.
      `insert into ledger_entries (id, transaction_id, account, amount, currency) values ('${randomUUID()}', '${orphanTransaction}', '${payable}', 12000, 'usd')`,
    ]);
    const stranger = accounts.contractorPayable(randomUUID());
    // A release posted while the booking still holds the money (a bug, not tampering: the books balance).
    await ledger.post({
      key: `release:${heldBookingId}`,
      kind: "release",
      currency: "eur",
      bookingId: heldBookingId,
      postings: [
        { account: accounts.customerFundsHeld, amount: 9_900 },
        { account: accounts.platformCommission, amount: -2_400 },
        { account: stranger, amount: -7_500 },
      ],
    });
    const result = await run();
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(`${stranger} names no contractor account`);
    const failures = result.stdout.split("\n").filter((line) => line.startsWith("FAIL"));
    expect(failures).toEqual([
      "FAIL transactions balance",
      "FAIL transactions have two entries or more",
      "FAIL entries belong to a transaction of their currency",
      "FAIL customer funds held match the bookings",
      "FAIL contractor accounts belong to contractors",
      "FAIL contractor payable never negative",
    ]);
    expect(result.stdout).toContain(`(release:${bookingId}) sums to -100 usd instead of 0`);
    expect(result.stdout).toContain(`(manual:lone) sums to 500 usd instead of 0`);
    expect(result.stdout).toContain(`(manual:lone) has 1 entries; a movement needs at least two`);
    expect(result.stdout).toContain(
      `on ${payable} (usd) has no transaction ${orphanTransaction} of its currency`,
    );
    expect(result.stdout).toContain(`${payable} is -400 usd: the contractor owes the platform`);
    expect(result.stdout).toContain(
      `booking ${heldBookingId} (funded) has 0 eur held in customer_funds_held; expected 9900`,
    );
    expect(result.stderr).toMatch(
      /^ledger:check: 7 violations in 6 of 10 checks \(8 transactions, 18 entries\)/,
    );
  });
});
