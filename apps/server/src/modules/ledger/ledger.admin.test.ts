import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Account, login, register, strongPassword } from "../../../test/accounts.js";
import { forgeCursor } from "../../../test/cursors.js";
import { acceptedBooking, expectLedgerBalanced } from "../../../test/ledger.js";
import { startTestServer, type TestServer } from "../../../test/server.js";
import { accounts, createLedgerModule, type LedgerService } from "./index.js";

const DAY_MS = 86_400_000;

describe("the admin's view of the ledger", () => {
  let app: TestServer;
  let admin: Account;
  let customer: Account;
  let bookingId: string;
  let contractorId: string;
  /** When the last week's postings were recorded: a day ago. */
  let yesterday: Date;
  let ledger: LedgerService;

  beforeAll(async () => {
    app = await startTestServer({ ADMIN_EMAIL: "books@example.com", ADMIN_PASSWORD: strongPassword });
    admin = await login(app, "books@example.com", strongPassword);
    customer = await register(app, "customer");
    const fixed = new Date(Date.now() - DAY_MS);
    yesterday = fixed;
    const earlier: LedgerService = createLedgerModule({
      pool: app.server.database.pool,
      clock: { now: () => fixed },
    }).service;
    const now: LedgerService = createLedgerModule({
      pool: app.server.database.pool,
      clock: { now: () => new Date() },
    }).service;
    ledger = now;

    const booking = await acceptedBooking(app, { amount: 24_000, currency: "usd" });
    bookingId = booking.id;
    contractorId = booking.contractor.id;
    await app.server.bookings.markFunded(bookingId, {
      by: "system",
      amounts: { commission: 2_400, contractorAmount: 21_600 },
    });
    // Funded yesterday; today nothing else happened to it. Another booking's funding, in euros, today.
    await earlier.post({
      key: `funding:${bookingId}`,
      kind: "funding",
      currency: "usd",
      bookingId,
      postings: [
        { account: accounts.platformCash, amount: 24_000 },
        { account: accounts.customerFundsHeld, amount: -24_000 },
      ],
    });
    const other = await acceptedBooking(app, { amount: 5_000, currency: "eur" });
    await app.server.bookings.markFunded(other.id, {
      by: "system",
      amounts: { commission: 500, contractorAmount: 4_500 },
    });
    await now.post({
      key: `funding:${other.id}`,
      kind: "funding",
      currency: "eur",
      bookingId: other.id,
      postings: [
        { account: accounts.platformCash, amount: 5_000 },
        { account: accounts.customerFundsHeld, amount: -5_000 },
      ],
    });
    // Three small transfers between a contractor's accounts, for paging.
    for (let step = 1; step <= 3; step += 1) {
      await now.post({
        key: `adjustment:${contractorId}:${step}`,
        kind: "adjustment",
        currency: "usd",
        memo: `step ${step}`,
        postings: [
          { account: accounts.contractorTransferred(contractorId), amount: step },
          { account: accounts.platformCash, amount: -step },
        ],
      });
    }
  });

  afterAll(async () => {
    await expectLedgerBalanced(app.server.database.pool);
    await app.close();
  });

  /** As the admin unless someone else (or `null`: nobody signed in) is given. */
  const get = (path: string, who: Account | null = admin) =>
    app.request("GET", `/api/v1${path}`, who ? { token: who.accessToken } : {});

  describe("GET /admin/transactions", () => {
    it("lists transactions newest first, each with its entries summing to zero", async () => {
      const answer = await get("/admin/transactions");
      expect(answer.status).toBe(200);
      expect(answer.body.items.map((item: { kind: string }) => item.kind)).toEqual([
        "adjustment",
        "adjustment",
        "adjustment",
        "funding",
        "funding",
      ]);
      const funding = answer.body.items.find((item: { bookingId: string }) => item.bookingId === bookingId);
      expect(funding).toEqual({
        id: expect.any(String),
        key: `funding:${bookingId}`,
        kind: "funding",
        currency: "usd",
        bookingId,
        withdrawalId: null,
        memo: null,
        createdAt: yesterday.toISOString(),
        entries: [
          { account: "platform_cash", amount: 24_000 },
          { account: "customer_funds_held", amount: -24_000 },
        ],
      });
      for (const item of answer.body.items) {
        const sum = item.entries.reduce(
          (total: number, entry: { amount: number }) => total + entry.amount,
          0,
        );
        expect(sum).toBe(0);
      }
      expect(answer.body.nextCursor).toBeNull();
    });

    it("filters by booking, account, kind and time, and pages with a cursor bound to the filters", async () => {
      const byBooking = await get(`/admin/transactions?bookingId=${bookingId}`);
      expect(byBooking.body.items.map((item: { key: string }) => item.key)).toEqual([`funding:${bookingId}`]);

      const transferred = accounts.contractorTransferred(contractorId);
      const byAccount = await get(`/admin/transactions?account=${transferred}&limit=2`);
      expect(byAccount.status).toBe(200);
      expect(byAccount.body.items.map((item: { memo: string }) => item.memo)).toEqual(["step 3", "step 2"]);
      const rest = await get(
        `/admin/transactions?account=${transferred}&limit=2&cursor=${byAccount.body.nextCursor}`,
      );
      expect(rest.body.items.map((item: { memo: string }) => item.memo)).toEqual(["step 1"]);
      expect(rest.body.nextCursor).toBeNull();

      const byKind = await get("/admin/transactions?kind=funding");
      expect(byKind.body.items).toHaveLength(2);

      const since = new Date(yesterday.getTime() + 60_000).toISOString();
      const recent = await get(`/admin/transactions?from=${encodeURIComponent(since)}&kind=funding`);
      expect(recent.body.items.map((item: { currency: string }) => item.currency)).toEqual(["eur"]);
      const before = await get(`/admin/transactions?to=${encodeURIComponent(since)}`);
      expect(before.body.items.map((item: { key: string }) => item.key)).toEqual([`funding:${bookingId}`]);

      // The cursor of one filter replayed with another is refused, not resumed at a foreign position.
      const moved = await get(`/admin/transactions?kind=funding&limit=2&cursor=${byAccount.body.nextCursor}`);
      expect(moved.status).toBe(400);
      expect(moved.body.code).toBe("pagination.invalid_cursor");
    });

    it("answers 400 naming the parameter for malformed filters and cursors", async () => {
      const cases: [string, string][] = [
        ["bookingId=42", "bookingId"],
        [`account=${encodeURIComponent("platform_cash\u0000")}`, "account"],
        ["account=Platform%20Cash", "account"],
        ["kind=Funding", "kind"],
        ["from=yesterday", "from"],
        ["from=2026-11-02T00:00:00Z&to=2026-11-01T00:00:00Z", "to"],
        ["limit=101", "limit"],
        ["sort=amount", "sort"],
        ["cursor=not-a-cursor", "cursor"],
        [`cursor=${forgeCursor({}, ["not-a-uuid"])}`, "cursor"],
        [`cursor=${forgeCursor({}, ["0192e7a0-1b2c-7d3e-8f40-5a6b7c8d9e0f\u0000"])}`, "cursor"],
      ];
      for (const [query, path] of cases) {
        const answer = await get(`/admin/transactions?${query}`);
        expect(answer.status, query).toBe(400);
        expect(answer.headers.get("content-type")).toContain("application/problem+json");
        expect(
          answer.body.errors?.map((error: { path: string }) => error.path),
          query,
        ).toContain(path);
      }
    });

    it("is for admins only", async () => {
      const contractor = await register(app, "contractor");
      expect((await get("/admin/transactions", customer)).status).toBe(403);
      expect((await get("/admin/transactions", contractor)).status).toBe(403);
      expect((await get("/admin/ledger/balances", customer)).status).toBe(403);
      expect((await get("/admin/transactions", null)).status).toBe(401);
      expect((await get("/admin/ledger/balances", null)).status).toBe(401);
    });
  });

  describe("entries", () => {
    it("lists one booking's entries, as its money screens show them", async () => {
      const page = await ledger.entries({ bookingId, limit: 10 });
      expect(page.items.map(({ account, amount, kind }) => ({ account, amount, kind }))).toEqual([
        { account: "customer_funds_held", amount: -24_000, kind: "funding" },
        { account: "platform_cash", amount: 24_000, kind: "funding" },
      ]);
      expect(page.items[0]).toMatchObject({ bookingId, currency: "usd", createdAt: yesterday.toISOString() });
      const mine = await ledger.entries({ bookingId, accountPrefix: "platform_", limit: 10 });
      expect(mine.items.map((item) => item.account)).toEqual(["platform_cash"]);
    });
  });

  describe("GET /admin/ledger/balances", () => {
    it("gives every account's balance by name, each currency summing to zero", async () => {
      const answer = await get("/admin/ledger/balances");
      expect(answer.status).toBe(200);
      expect(answer.body.items).toEqual([
        { account: accounts.contractorTransferred(contractorId), currency: "usd", balance: 6 },
        { account: "customer_funds_held", currency: "eur", balance: -5_000 },
        { account: "customer_funds_held", currency: "usd", balance: -24_000 },
        { account: "platform_cash", currency: "eur", balance: 5_000 },
        { account: "platform_cash", currency: "usd", balance: 23_994 },
      ]);
      const totals = new Map<string, number>();
      for (const { currency, balance } of answer.body.items)
        totals.set(currency, (totals.get(currency) ?? 0) + balance);
      expect(Object.fromEntries(totals)).toEqual({ eur: 0, usd: 0 });
    });

    it("filters by account prefix and currency and pages by account", async () => {
      const contractors = await get("/admin/ledger/balances?accountPrefix=contractor_");
      expect(contractors.body.items.map((item: { account: string }) => item.account)).toEqual([
        accounts.contractorTransferred(contractorId),
      ]);
      const dollars = await get("/admin/ledger/balances?currency=USD&limit=2");
      expect(dollars.body.items.map((item: { account: string }) => item.account)).toEqual([
        accounts.contractorTransferred(contractorId),
        "customer_funds_held",
      ]);
      const next = await get(`/admin/ledger/balances?currency=USD&limit=2&cursor=${dollars.body.nextCursor}`);
      expect(next.body.items).toEqual([{ account: "platform_cash", currency: "usd", balance: 23_994 }]);
      expect(next.body.nextCursor).toBeNull();

      const unknown = await get(`/admin/ledger/balances?accountPrefix=contractor_payable:${randomUUID()}`);
      expect(unknown.body).toEqual({ items: [], nextCursor: null });
      const bad = await get(`/admin/ledger/balances?accountPrefix=${encodeURIComponent("%")}`);
      expect(bad.status).toBe(400);
      expect(bad.body.errors[0].path).toBe("accountPrefix");
    });
  });
});
