import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Account, login, register, strongPassword } from "../../../test/accounts.js";
import { createContractor } from "../../../test/fixtures.js";
import { startTestServer, type TestServer } from "../../../test/server.js";

const DAY_MS = 86_400_000;
const allWeek = [0, 1, 2, 3, 4, 5, 6].map((day) => ({ day, start: "00:00", end: "24:00" }));
const bakerStreet = { lat: 51.5238, lng: -0.1586, address: "221B Baker Street, London NW1 6XE" };

describe("admin oversight: metrics, every booking, every job", () => {
  let app: TestServer;
  let admin: Account;
  let customer: Account;
  let otherCustomer: Account;
  let contractor: Account;
  let startedAt: Date;

  const get = (path: string, token = admin.accessToken) => app.request("GET", `/api/v1${path}`, { token });

  beforeAll(async () => {
    startedAt = new Date(Date.now() - 1000);
    app = await startTestServer({
      ADMIN_EMAIL: "overseer@example.com",
      ADMIN_PASSWORD: strongPassword,
      ADMIN_METRICS_MAX_DAYS: "40",
    });
    admin = await login(app, "overseer@example.com", strongPassword);
    customer = await register(app, "customer", { name: "Alice Brown" });
    otherCustomer = await register(app, "customer", { name: "Bob Green" });
    contractor = await createContractor(app, "Priya Patel");
    const saved = await app.request("PUT", "/api/v1/contractors/me/availability", {
      token: contractor.accessToken,
      body: { timezone: "UTC", weekly: allWeek },
    });
    expect(saved.status).toBe(200);
  });
  afterAll(async () => {
    await app.close();
  });

  async function book(who: Account, amount: number): Promise<string> {
    const start = new Date(Date.now() + 3 * DAY_MS);
    start.setUTCMinutes(0, 0, 0);
    const response = await app.request("POST", "/api/v1/bookings", {
      token: who.accessToken,
      body: {
        contractorId: contractor.id,
        categorySlug: "electrician",
        description: "Replace the fuse board",
        scheduledStart: start.toISOString(),
        location: bakerStreet,
        price: { amount, currency: "gbp" },
      },
    });
    expect(response.status, JSON.stringify(response.body)).toBe(201);
    return response.body.id;
  }

  async function fund(id: string, amount: number): Promise<void> {
    expect(
      (await app.request("POST", `/api/v1/bookings/${id}/accept`, { token: contractor.accessToken })).status,
    ).toBe(200);
    await app.server.bookings.markFunded(id, {
      by: "system",
      amounts: { commission: amount / 10, contractorAmount: amount - amount / 10 },
    });
  }

  it("counts users, bookings, money paid and held, disputes and a day-by-day series", async () => {
    const period = `from=${startedAt.toISOString()}&to=${new Date(Date.now() + DAY_MS).toISOString()}`;
    const before = await get(`/admin/metrics?${period}`);
    expect(before.status, JSON.stringify(before.body)).toBe(200);

    await book(customer, 10_000);
    const paid = await book(customer, 24_000);
    await fund(paid, 24_000);
    const disputed = await book(otherCustomer, 5_000);
    await fund(disputed, 5_000);
    const dispute = await app.request("POST", `/api/v1/bookings/${disputed}/dispute`, {
      token: otherCustomer.accessToken,
      body: { reason: "Nobody came" },
    });
    expect(dispute.status, JSON.stringify(dispute.body)).toBe(200);
    await register(app, "contractor");

    const after = await get(`/admin/metrics?${period}`);
    expect(after.status).toBe(200);
    const { body } = after;
    expect(body.users.byRole.contractor - before.body.users.byRole.contractor).toBe(1);
    expect(body.users.byRole.admin).toBe(1);
    expect(body.users.newSignUps - before.body.users.newSignUps).toBe(1);
    expect(body.bookings.created - before.body.bookings.created).toBe(3);
    expect(body.bookings.byStatus.requested - before.body.bookings.byStatus.requested).toBe(1);
    expect(body.bookings.byStatus.funded - before.body.bookings.byStatus.funded).toBe(1);
    expect(body.bookings.byStatus.disputed - before.body.bookings.byStatus.disputed).toBe(1);
    expect(body.openDisputes - before.body.openDisputes).toBe(1);
    const gbp = (list: { amount: number; currency: string }[]) =>
      list.find((money) => money.currency === "gbp")?.amount ?? 0;
    // Both paid bookings count towards the value paid and the money held; the request does not.
    expect(gbp(body.grossBookingValue) - gbp(before.body.grossBookingValue)).toBe(29_000);
    expect(gbp(body.moneyHeld) - gbp(before.body.moneyHeld)).toBe(29_000);
    // Marked funded without the payments module: no money was released, so no commission was earned.
    expect(gbp(body.commissionEarned)).toBe(gbp(before.body.commissionEarned));
    const today = new Date().toISOString().slice(0, 10);
    const todayEntry = body.daily.find((entry: { date: string }) => entry.date === today);
    const todayBefore = before.body.daily.find((entry: { date: string }) => entry.date === today);
    expect(todayEntry.bookings - todayBefore.bookings).toBe(3);
    expect(gbp(todayEntry.grossBookingValue) - gbp(todayBefore.grossBookingValue)).toBe(29_000);
    // One entry per day touched, in order, empty days included.
    expect(body.daily.map((entry: { date: string }) => entry.date)).toEqual(
      [...body.daily.map((entry: { date: string }) => entry.date)].sort(),
    );
    expect(body.daily.length).toBeGreaterThanOrEqual(2);
  });

  it("answers the last 30 days by default and refuses a period that is backwards, too long or malformed", async () => {
    const plain = await get("/admin/metrics");
    expect(plain.status).toBe(200);
    expect(plain.body.daily.length).toBeGreaterThanOrEqual(30);
    expect(plain.body.daily.length).toBeLessThanOrEqual(31);

    const backwards = await get("/admin/metrics?from=2026-03-02&to=2026-03-01");
    expect(backwards.status).toBe(400);
    expect(backwards.body.errors).toEqual([expect.objectContaining({ path: "to", in: "query" })]);
    // ADMIN_METRICS_MAX_DAYS is 40 here.
    expect((await get("/admin/metrics?from=2026-01-01&to=2026-02-10")).status).toBe(200);
    const tooLong = await get("/admin/metrics?from=2026-01-01&to=2026-02-10T00:00:01Z");
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.errors[0].path).toBe("from");
    expect(tooLong.body.detail).toBe("A period covers at most 40 days");
    for (const bad of [
      "from=yesterday",
      "from=2026-02-30T25:00:00Z",
      "to=2026-03-01%00",
      "since=2026-01-01",
    ]) {
      const response = await get(`/admin/metrics?${bad}`);
      expect(response.status, bad).toBe(400);
      expect(response.body.code, bad).toBe("validation.failed");
    }
  });

  it("lists every booking with filters, walks pages by cursor and shows one with its history", async () => {
    const mine = await book(otherCustomer, 7_700);
    const all = await get("/admin/bookings?limit=100");
    expect(all.status).toBe(200);
    expect(all.body.items.length).toBeGreaterThanOrEqual(4);
    expect(all.body.items[0].id).toBe(mine);

    const ofBob = await get(`/admin/bookings?userId=${otherCustomer.id}`);
    expect(ofBob.body.items.map((booking: { id: string }) => booking.id)).toContain(mine);
    expect(
      ofBob.body.items.every((b: { customer: { id: string } }) => b.customer.id === otherCustomer.id),
    ).toBe(true);
    const disputes = await get("/admin/bookings?status=disputed");
    expect(disputes.body.items).toHaveLength(1);
    expect(disputes.body.items[0]).toMatchObject({ status: "disputed", disputeReason: "Nobody came" });
    const both = await get(`/admin/bookings?status=funded,disputed&customerId=${customer.id}`);
    expect(both.body.items.map((b: { status: string }) => b.status)).toEqual(["funded"]);
    const otherCategory = await get("/admin/bookings?category=plumber");
    expect(otherCategory.body.items).toEqual([]);
    const future = await get(`/admin/bookings?from=${new Date(Date.now() + DAY_MS).toISOString()}`);
    expect(future.body.items).toEqual([]);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { items: { id: string }[]; nextCursor: string | null } } = await get(
        `/admin/bookings?limit=1${cursor ? `&cursor=${cursor}` : ""}`,
      );
      seen.push(...page.body.items.map((booking) => booking.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(all.body.items.map((booking: { id: string }) => booking.id));

    const first = await get("/admin/bookings?limit=1");
    const swapped = await get(`/admin/bookings?limit=1&status=funded&cursor=${first.body.nextCursor}`);
    expect(swapped.status).toBe(400);
    expect(swapped.body.code).toBe("pagination.invalid_cursor");
    expect((await get("/admin/bookings?cursor=not-a-cursor")).body.code).toBe("pagination.invalid_cursor");
    expect((await get("/admin/bookings?status=lost")).status).toBe(400);
    expect((await get("/admin/bookings?userId=me")).status).toBe(400);

    const disputed = disputes.body.items[0].id;
    const detail = await get(`/admin/bookings/${disputed}`);
    expect(detail.status).toBe(200);
    expect(detail.body.history.map((entry: { status: string }) => entry.status)).toEqual([
      "requested",
      "accepted",
      "funded",
      "disputed",
    ]);
    expect(detail.body.history[3]).toMatchObject({ by: otherCustomer.id, note: "Nobody came" });
    const missing = await get("/admin/bookings/0192f0a4-0000-7000-8000-000000000000");
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe("booking.not_found");
    expect((await get("/admin/bookings/12")).status).toBe(400);
  });

  it("lists every job with filters and shows one with all its quotes", async () => {
    const post = async (who: Account, title: string) => {
      const response = await app.request("POST", "/api/v1/jobs", {
        token: who.accessToken,
        body: {
          title,
          description: "Details inside",
          categorySlug: "electrician",
          location: bakerStreet,
          preferredStart: new Date(Date.now() + 2 * DAY_MS).toISOString(),
        },
      });
      expect(response.status, JSON.stringify(response.body)).toBe(201);
      return response.body.id as string;
    };
    const lights = await post(customer, "Fit garden lights");
    const oven = await post(otherCustomer, "Wire a new 100% electric oven");
    const quoted = await app.request("POST", `/api/v1/jobs/${lights}/quotes`, {
      token: contractor.accessToken,
      body: { price: { amount: 15_000, currency: "gbp" }, message: "Tomorrow at nine" },
    });
    expect(quoted.status, JSON.stringify(quoted.body)).toBe(201);

    const all = await get("/admin/jobs");
    expect(all.body.items.map((job: { id: string }) => job.id)).toEqual([oven, lights]);
    expect(all.body.items[1]).toMatchObject({ quoteCount: 1, location: bakerStreet });
    expect(
      (await get(`/admin/jobs?customerId=${customer.id}`)).body.items.map((j: { id: string }) => j.id),
    ).toEqual([lights]);
    // A percent sign typed in the search is a character, not a wildcard.
    expect((await get("/admin/jobs?q=100%25")).body.items.map((j: { id: string }) => j.id)).toEqual([oven]);
    expect((await get("/admin/jobs?q=0%25e")).body.items).toEqual([]);
    expect((await get("/admin/jobs?status=assigned")).body.items).toEqual([]);
    expect((await get("/admin/jobs?status=open&category=electrician")).body.items).toHaveLength(2);
    const page = await get("/admin/jobs?limit=1");
    const next = await get(`/admin/jobs?limit=1&cursor=${page.body.nextCursor}`);
    expect(next.body.items.map((j: { id: string }) => j.id)).toEqual([lights]);
    expect((await get(`/admin/jobs?limit=1&q=oven&cursor=${page.body.nextCursor}`)).status).toBe(400);

    const detail = await get(`/admin/jobs/${lights}`);
    expect(detail.status).toBe(200);
    expect(detail.body.job).toMatchObject({ id: lights, title: "Fit garden lights", status: "open" });
    expect(detail.body.quotes).toEqual([
      expect.objectContaining({
        contractorId: contractor.id,
        status: "pending",
        price: { amount: 15_000, currency: "gbp" },
      }),
    ]);
    expect((await get("/admin/jobs/0192f0a4-0000-7000-8000-000000000000")).body.code).toBe("job.not_found");
  });

  it("keeps every operation under /admin from customers (403), contractors (403) and anonymous callers (401)", async () => {
    const document = (await app.request("GET", "/api/v1/openapi.json")).body as {
      paths: Record<string, Record<string, unknown>>;
    };
    const operations = Object.entries(document.paths)
      .filter(([path]) => path.startsWith("/api/v1/admin"))
      .flatMap(([path, item]) =>
        Object.keys(item)
          .filter((method) => ["get", "post", "put", "patch", "delete"].includes(method))
          .map((method) => ({
            method: method.toUpperCase(),
            path: path.slice("/api/v1".length).replace(/\{[^}]+\}/g, "0192f0a4-0000-7000-8000-000000000000"),
          })),
      );
    // The routes known today; later admin routes join the table by themselves.
    expect(operations.map((op) => `${op.method} ${op.path.split("/").slice(0, 3).join("/")}`)).toEqual(
      expect.arrayContaining([
        "GET /admin/metrics",
        "GET /admin/users",
        "PATCH /admin/users",
        "GET /admin/verifications",
        "POST /admin/verifications",
        "GET /admin/jobs",
        "GET /admin/bookings",
      ]),
    );
    const outsiders = [
      { who: "customer", token: customer.accessToken, status: 403, code: "auth.forbidden" },
      { who: "contractor", token: contractor.accessToken, status: 403, code: "auth.forbidden" },
      { who: "anonymous", token: undefined, status: 401, code: "auth.unauthenticated" },
    ];
    for (const { method, path } of operations) {
      for (const { who, token, status } of outsiders) {
        const response = await app.request(method, `/api/v1${path}`, {
          ...(token ? { token } : {}),
          ...(method === "GET" ? {} : { body: {} }),
        });
        expect(response.status, `${who} ${method} ${path}`).toBe(status);
        expect(response.headers.get("content-type"), `${who} ${method} ${path}`).toContain("problem+json");
      }
      // The same request from an admin gets past the guard (a 404 or 400 for the made-up id and body).
      const asAdmin = await app.request(method, `/api/v1${path}`, {
        token: admin.accessToken,
        ...(method === "GET" ? {} : { body: {} }),
      });
      expect([401, 403], `admin ${method} ${path}`).not.toContain(asAdmin.status);
    }
  });
});
