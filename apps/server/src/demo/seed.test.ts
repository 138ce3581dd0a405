import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { login } from "../../test/accounts.js";
import { expectLedgerBalanced } from "../../test/ledger.js";
import { startTestServer, type TestServer } from "../../test/server.js";
import { paymentChecks } from "../modules/payments/index.js";
import { demoPassword } from "./seed.js";

const bookingStatuses = [
  "requested",
  "accepted",
  "declined",
  "expired",
  "funded",
  "in_progress",
  "completed",
  "released",
  "disputed",
  "refunded",
  "partially_refunded",
  "cancelled",
];

describe("demo data", () => {
  let app: TestServer;

  beforeAll(async () => {
    app = await startTestServer({ DEMO_DATA: "true" });
  });
  afterAll(async () => {
    await app.close();
  });

  it("gives a fresh database accounts to sign in with and contractors to find", async () => {
    const admin = await login(app, "admin@example.com", demoPassword);
    const users = await app.request("GET", "/api/v1/admin/users?limit=100", { token: admin.accessToken });
    expect(users.body.items).toHaveLength(11);

    const customer = await login(app, "alice.customer@example.com", demoPassword);
    const me = await app.request("GET", "/api/v1/customers/me/profile", { token: customer.accessToken });
    expect(me.body.defaultAddress).toContain("Baker Street");

    const nearby = await app.request("GET", "/api/v1/contractors?lat=51.5074&lng=-0.1278&limit=50");
    expect(nearby.status).toBe(200);
    expect(nearby.body.items.length).toBeGreaterThanOrEqual(6);
    const electricians = await app.request("GET", "/api/v1/contractors?category=electrician&q=charger");
    expect(electricians.body.items.map((item: { name: string }) => item.name)).toEqual(["Priya Patel"]);

    const contractor = await login(app, "priya.electrician@example.com", demoPassword);
    const profile = await app.request("GET", "/api/v1/contractors/me/profile", {
      token: contractor.accessToken,
    });
    expect(profile.body).toMatchObject({ verified: true, availability: { timezone: "Europe/London" } });
  });

  it("tells the job story: open jobs with quotes, an assigned one with its booking, a cancelled and an expired one", async () => {
    const alice = await login(app, "alice.customer@example.com", demoPassword);
    const ben = await login(app, "ben.customer@example.com", demoPassword);
    const jobsOf = async (token: string) =>
      (await app.request("GET", "/api/v1/jobs", { token })).body.items as {
        id: string;
        status: string;
        quoteCount: number;
        bookingId: string | null;
      }[];
    const all = [...(await jobsOf(alice.accessToken)), ...(await jobsOf(ben.accessToken))];
    expect(all.map((job) => job.status).sort()).toEqual(["assigned", "cancelled", "expired", "open", "open"]);
    for (const open of all.filter((job) => job.status === "open"))
      expect(open.quoteCount).toBeGreaterThanOrEqual(2);
    const assigned = all.find((job) => job.status === "assigned");
    const booking = await app.request("GET", `/api/v1/bookings/${assigned?.bookingId}`, {
      token: alice.accessToken,
    });
    expect(booking.body).toMatchObject({ status: "accepted", contractor: { name: "Tom Walker" } });
    // A matching contractor finds the open ones.
    const jan = await login(app, "jan.handyman@example.com", demoPassword);
    expect(await jobsOf(jan.accessToken)).toHaveLength(2);
  });

  it("has bookings in every state between the demo customers and contractors", async () => {
    const statuses = new Set<string>();
    for (const email of ["alice.customer@example.com", "ben.customer@example.com"]) {
      const customer = await login(app, email, demoPassword);
      const mine = await app.request("GET", "/api/v1/bookings?limit=100", { token: customer.accessToken });
      for (const booking of mine.body.items) {
        statuses.add(booking.status);
        expect(booking.customer.id).toBe(customer.id);
        // Direct bookings start as the customer's request; an accepted quote's booking starts accepted.
        expect(booking.history[0]).toMatchObject(
          booking.history[0].note === "quote accepted"
            ? { status: "accepted", from: null, by: customer.id }
            : { status: "requested", by: customer.id },
        );
        expect(booking.history.at(-1).status).toBe(booking.status);
      }
    }
    expect([...statuses].sort()).toEqual([...bookingStatuses].sort());
    const contractor = await login(app, "priya.electrician@example.com", demoPassword);
    const theirs = await app.request("GET", "/api/v1/bookings?role=contractor", {
      token: contractor.accessToken,
    });
    expect(theirs.body.items.length).toBeGreaterThan(0);
  });

  it("has conversations between booked pairs, with history, an attachment that opens, and unread messages", async () => {
    const alice = await login(app, "alice.customer@example.com", demoPassword);
    const priya = await login(app, "priya.electrician@example.com", demoPassword);
    const list = await app.request("GET", "/api/v1/conversations", { token: alice.accessToken });
    const withPriya = list.body.items.find(
      (item: { contractor: { id: string } }) => item.contractor.id === priya.id,
    );
    expect(withPriya.bookings.length).toBeGreaterThan(0);
    expect(withPriya.unreadCount).toBe(2);
    expect(withPriya.lastMessage.senderId).toBe(priya.id);
    const history = await app.request("GET", `/api/v1/conversations/${withPriya.id}/messages`, {
      token: priya.accessToken,
    });
    expect(history.body.items).toHaveLength(5);
    const attachment = history.body.items.flatMap(
      (item: { attachments: { url: string }[] }) => item.attachments,
    )[0];
    const file = await fetch(attachment.url);
    expect(file.status).toBe(200);
    expect((await file.text()).startsWith("%PDF")).toBe(true);
    const fromPriya = await app.request("GET", "/api/v1/conversations", { token: priya.accessToken });
    expect(fromPriya.body.items.find((item: { id: string }) => item.id === withPriya.id).unreadCount).toBe(0);
  });

  it("gives every admin page something to show: a verification queue, every booking, jobs and the overview", async () => {
    const admin = await login(app, "admin@example.com", demoPassword);
    const get = (path: string) => app.request("GET", `/api/v1${path}`, { token: admin.accessToken });
    const queue = await get("/admin/verifications?status=pending");
    expect(queue.status, JSON.stringify(queue.body)).toBe(200);
    expect(queue.body.items.map((item: { contractor: { name: string } }) => item.contractor.name)).toEqual([
      "Sophie Turner",
      "Maria Santos",
    ]);
    const bookings = await get("/admin/bookings?limit=100");
    expect(new Set(bookings.body.items.map((booking: { status: string }) => booking.status)).size).toBe(
      bookingStatuses.length,
    );
    expect((await get("/admin/jobs")).body.items.length).toBeGreaterThanOrEqual(5);
    const metrics = await get("/admin/metrics");
    expect(metrics.body).toMatchObject({ pendingVerifications: 2, openDisputes: 1 });
    expect(metrics.body.moneyHeld[0].amount).toBeGreaterThan(0);
  });

  it("fills the demo inboxes with read and unread notifications of the story", async () => {
    const alice = await login(app, "alice.customer@example.com", demoPassword);
    const inbox = await app.request("GET", "/api/v1/notifications?limit=100", { token: alice.accessToken });
    const quotes = inbox.body.items.filter((item: { kind: string }) => item.kind === "newQuote");
    expect(quotes.length).toBe(4);
    expect(quotes.filter((item: { readAt: string | null }) => item.readAt === null).length).toBeLessThan(4);
    expect(quotes.some((item: { readAt: string | null }) => item.readAt !== null)).toBe(true);
    const unread = await app.request("GET", "/api/v1/notifications/unread-count", {
      token: alice.accessToken,
    });
    expect(unread.body.unreadCount).toBeGreaterThan(0);
    const tom = await login(app, "tom.plumber@example.com", demoPassword);
    const told = await app.request("GET", "/api/v1/notifications", { token: tom.accessToken });
    expect(told.body.items.map((item: { kind: string }) => item.kind)).toContain("quoteAccepted");
  });

  it("rates contractors from reviews of their released bookings, as search and profiles show", async () => {
    const { rows: reviewed } = await app.server.database.pool.query<{ status: string }>(
      "select b.status from reviews r join bookings b on b.id = r.booking_id",
    );
    expect(reviewed.length).toBeGreaterThanOrEqual(10);
    for (const { status } of reviewed) expect(["released", "partially_refunded"]).toContain(status);

    const found = await app.request("GET", "/api/v1/contractors?sort=rating&limit=50");
    const rated = found.body.items.filter((item: { rating: { count: number } }) => item.rating.count > 0);
    expect(rated.length).toBeGreaterThanOrEqual(6);
    for (const item of found.body.items as { id: string; rating: { average: number; count: number } }[]) {
      const list = await app.request("GET", `/api/v1/contractors/${item.id}/reviews?limit=100`);
      const ratings: number[] = list.body.items.map((review: { rating: number }) => review.rating);
      expect(item.rating.count).toBe(ratings.length);
      const sum = ratings.reduce((total, rating) => total + rating, 0);
      expect(item.rating.average).toBe(ratings.length ? Math.round((sum * 100) / ratings.length) / 100 : 0);
    }
    // A finished booking is left for the demo customer to review.
    const ben = await login(app, "ben.customer@example.com", demoPassword);
    const released = await app.request("GET", "/api/v1/bookings?status=released&limit=100", {
      token: ben.accessToken,
    });
    const answers = await Promise.all(
      released.body.items.map((booking: { id: string }) =>
        app.request("POST", `/api/v1/bookings/${booking.id}/review`, {
          token: ben.accessToken,
          body: { rating: 5 },
        }),
      ),
    );
    expect(answers.map((answer) => answer.status)).toContain(201);
  });

  it("puts real money behind every paid booking: the books pass ledger:check, earnings, withdrawals and the admin's money pages show it", async () => {
    const pool = app.server.database.pool;
    // The same checks `npm run ledger:check` runs, the reconciliation with the gateway's objects included.
    await expectLedgerBalanced(pool, paymentChecks({ pool, settings: app.config.payments }));

    const priya = await login(app, "priya.electrician@example.com", demoPassword);
    const connect = await app.request("GET", "/api/v1/payments/connect/status", { token: priya.accessToken });
    expect(connect.body).toMatchObject({ payoutsEnabled: true, transfersEnabled: true });
    // One withdrawal was paid during the seed; the other was asked and left to the payout job, which sends it on.
    type Withdrawal = { status: string; amount: { amount: number; currency: string } };
    const listed = async () =>
      (await app.request("GET", "/api/v1/withdrawals", { token: priya.accessToken })).body
        .items as Withdrawal[];
    const first = await listed();
    expect(first.map((item) => item.amount).sort((a, b) => a.amount - b.amount)).toEqual([
      { amount: 15000, currency: "gbp" },
      { amount: 60000, currency: "gbp" },
    ]);
    expect(first.find((item) => item.amount.amount === 60000)?.status).toBe("paid");
    const deadline = Date.now() + 20_000;
    let withdrawals = first;
    while (withdrawals.some((item) => item.status !== "paid") && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      withdrawals = await listed();
    }
    expect(withdrawals.map((item) => item.status)).toEqual(["paid", "paid"]);

    // Released past work: 95000 + 21000 + 12000 less 10% commission; the open dispute's share (14000 less
    // 10%) is held; both withdrawals are paid out.
    const earnings = await app.request("GET", "/api/v1/earnings", { token: priya.accessToken });
    expect(earnings.status).toBe(200);
    expect(earnings.body).toMatchObject({
      held: { amount: 12600, currency: "gbp" },
      available: { amount: 115200 - 75000, currency: "gbp" },
      paidOut: { amount: 75000, currency: "gbp" },
    });

    const admin = await login(app, "admin@example.com", demoPassword);
    const disputes = await app.request("GET", "/api/v1/admin/disputes?limit=50", {
      token: admin.accessToken,
    });
    expect(disputes.status).toBe(200);
    type Listed = { booking: { status: string; description: string }; chargebacks: { status: string }[] };
    const open = disputes.body.items as Listed[];
    expect(open.map((item) => item.booking.status).sort()).toEqual(["disputed", "released"]);
    // A chargeback on released money: the booking stays released, and the admin has it to answer.
    expect(open.find((item) => item.booking.status === "released")).toMatchObject({
      booking: { description: "Spring tidy of the back garden" },
      chargebacks: [
        expect.objectContaining({ status: "needs_response", amount: { amount: 22000, currency: "gbp" } }),
      ],
    });
    // The dashboard shows both sides: the customer's reason and the contractor's answer.
    expect(open.find((item) => item.booking.status === "disputed")?.booking).toMatchObject({
      disputeReason: "The work is not finished",
      disputeResponse: {
        statement: expect.stringContaining("Everything in the quote was done"),
        at: expect.any(String),
      },
    });
    // Resolved disputes keep the contractor's statement as their record.
    const resolved = await app.request(
      "GET",
      "/api/v1/admin/bookings?status=refunded,partially_refunded&limit=50",
      {
        token: admin.accessToken,
      },
    );
    expect(resolved.body.items.length).toBeGreaterThan(0);
    for (const booking of resolved.body.items) {
      expect(booking.disputeResponse, booking.description).toMatchObject({ statement: expect.any(String) });
    }
    const kinds = new Set<string>();
    let cursor: string | null = null;
    do {
      const page: { body: { items: { kind: string }[]; nextCursor: string | null } } = await app.request(
        "GET",
        `/api/v1/admin/transactions?limit=100${cursor ? `&cursor=${cursor}` : ""}`,
        { token: admin.accessToken },
      );
      for (const item of page.body.items) kinds.add(item.kind);
      cursor = page.body.nextCursor;
    } while (cursor);
    expect([...kinds].sort()).toEqual(
      expect.arrayContaining(["payment", "payout_paid", "refund", "release", "withdrawal"]),
    );
    // Still balanced once the jobs the seed left (the pending payout, settle jobs finding their work done) ran.
    await expectLedgerBalanced(pool, paymentChecks({ pool, settings: app.config.payments }));
  });

  it("seeds only an empty database, once", async () => {
    const again = await startTestServer({ DEMO_DATA: "true" }, { database: app.database });
    try {
      const admin = await login(again, "admin@example.com", demoPassword);
      const users = await again.request("GET", "/api/v1/admin/users?limit=100", { token: admin.accessToken });
      expect(users.body.items).toHaveLength(11);
    } finally {
      await again.close();
    }
  });
});

describe("demo data on a database the operator brought", () => {
  it("is not seeded under DEMO_DATA=auto, even in development", async () => {
    // DATABASE_URL names a fresh, empty (migrated, no accounts) database of the test PostgreSQL.
    const app = await startTestServer({ NODE_ENV: "development", DEMO_DATA: "auto" });
    try {
      const demoAdmin = await app.request("POST", "/api/v1/auth/login", {
        body: { email: "admin@example.com", password: demoPassword },
      });
      expect(demoAdmin.status).toBe(401);
      const { rows } = await app.server.database.pool.query<{ count: number }>(
        "select count(*)::int as count from users",
      );
      expect(rows).toEqual([{ count: 0 }]);
    } finally {
      await app.close();
    }
  });
});
