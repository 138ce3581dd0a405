import pg from "pg";
import type { Socket } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Account, login, register, strongPassword } from "../../../test/accounts.js";
import { createContractor } from "../../../test/fixtures.js";
import { startTestServer, type TestServer } from "../../../test/server.js";
import { openSocket } from "../../../test/sockets.js";
import { until } from "../../../test/until.js";
import { transaction } from "../../db/transaction.js";
import { actions, type BookingStatus, bookingStatuses, transitions } from "./bookings.machine.js";

const DAY_MS = 86_400_000;
const allWeek = [0, 1, 2, 3, 4, 5, 6].map((day) => ({ day, start: "00:00", end: "24:00" }));

/** A contractor who offers electrician work and is available at any hour (UTC). */
async function bookableContractor(app: TestServer, name = "Priya Patel"): Promise<Account> {
  const contractor = await createContractor(app, name);
  const saved = await app.request("PUT", "/api/v1/contractors/me/availability", {
    token: contractor.accessToken,
    body: { timezone: "UTC", weekly: allWeek },
  });
  if (saved.status !== 200) throw new Error(`availability failed: ${JSON.stringify(saved.body)}`);
  return contractor;
}

function bookingBody(contractorId: string, overrides: Record<string, unknown> = {}) {
  const start = new Date(Date.now() + 3 * DAY_MS);
  start.setUTCMinutes(0, 0, 0);
  return {
    contractorId,
    categorySlug: "electrician",
    description: "Replace the fuse board",
    scheduledStart: start.toISOString(),
    scheduledEnd: new Date(start.getTime() + 3 * 3_600_000).toISOString(),
    location: { lat: 51.52, lng: -0.15, address: "221B Baker Street, London" },
    price: { amount: 24000, currency: "gbp" },
    ...overrides,
  };
}

describe("bookings", () => {
  let app: TestServer;
  let customer: Account;
  let contractor: Account;
  let admin: Account;

  beforeAll(async () => {
    app = await startTestServer({ ADMIN_EMAIL: "root@example.com", ADMIN_PASSWORD: strongPassword });
    customer = await register(app, "customer", { name: "Alice Brown" });
    contractor = await bookableContractor(app);
    admin = await login(app, "root@example.com", strongPassword);
  });
  afterAll(async () => {
    await app.close();
  });

  async function book(overrides: Record<string, unknown> = {}, who: Account = customer) {
    const response = await app.request("POST", "/api/v1/bookings", {
      token: who.accessToken,
      body: bookingBody(contractor.id, overrides),
    });
    expect(response.status, JSON.stringify(response.body)).toBe(201);
    return response.body as { id: string; status: string };
  }

  const act = (who: Account, id: string, action: string, body?: unknown) =>
    app.request("POST", `/api/v1/bookings/${id}/${action}`, { token: who.accessToken, body });

  it("runs a direct booking from request to release, recording every step", async () => {
    const created = await book();
    expect(created).toMatchObject({
      status: "requested",
      customer: { id: customer.id, name: "Alice Brown" },
      contractor: { id: contractor.id, name: "Priya Patel" },
      price: { amount: 24000, currency: "gbp" },
      commission: null,
      contractorAmount: null,
      history: [{ status: "requested", from: null, by: customer.id }],
    });

    expect((await act(contractor, created.id, "accept")).body.status).toBe("accepted");
    await app.server.bookings.markFunded(created.id, {
      by: "system",
      amounts: { commission: 2400, contractorAmount: 21600 },
    });
    expect((await act(contractor, created.id, "start")).body.status).toBe("in_progress");
    expect((await act(contractor, created.id, "complete")).body.status).toBe("completed");
    const released = await act(customer, created.id, "confirm");
    expect(released.status).toBe(200);

    const read = await app.request("GET", `/api/v1/bookings/${created.id}`, { token: customer.accessToken });
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({
      status: "released",
      commission: { amount: 2400, currency: "gbp" },
      contractorAmount: { amount: 21600, currency: "gbp" },
    });
    expect(
      read.body.history.map((entry: { from: string | null; status: string; by: string }) => [
        entry.from,
        entry.status,
        entry.by,
      ]),
    ).toEqual([
      [null, "requested", customer.id],
      ["requested", "accepted", contractor.id],
      ["accepted", "funded", "system"],
      ["funded", "in_progress", contractor.id],
      ["in_progress", "completed", contractor.id],
      ["completed", "released", customer.id],
    ]);
    const times = read.body.history.map((entry: { at: string }) => Date.parse(entry.at));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
  });

  it("creates an accepted booking from a quote, inside the caller's transaction", async () => {
    const start = new Date(Date.now() + 5 * DAY_MS);
    const booking = await app.server.bookings.createFromQuote({
      customerId: customer.id,
      contractorId: contractor.id,
      categorySlug: "electrician",
      description: "Quoted job",
      scheduledStart: start,
      location: { lat: 51.5, lng: -0.1, address: "1 Quote Lane" },
      price: { amount: 9900, currency: "gbp" },
    });
    expect(booking).toMatchObject({
      status: "accepted",
      scheduledEnd: null,
      history: [{ status: "accepted", from: null, by: customer.id, note: "quote accepted" }],
    });
    const read = await app.request("GET", `/api/v1/bookings/${booking.id}`, {
      token: contractor.accessToken,
    });
    expect(read.body.status).toBe("accepted");
  });

  it("rolls a booking made from a quote back with the caller's transaction, its event too", async () => {
    let bookingId: string | undefined;
    await expect(
      transaction(app.server.database.pool, async () => {
        const booking = await app.server.bookings.createFromQuote({
          customerId: customer.id,
          contractorId: contractor.id,
          categorySlug: "electrician",
          description: "Quote whose job update failed",
          scheduledStart: new Date(Date.now() + 5 * DAY_MS),
          location: { lat: 51.5, lng: -0.1, address: "1 Quote Lane" },
          price: { amount: 9900, currency: "gbp" },
        });
        bookingId = booking.id;
        throw new Error("the job's own update failed");
      }),
    ).rejects.toThrow("the job's own update failed");
    expect(bookingId).toBeDefined();
    const read = await app.request("GET", `/api/v1/bookings/${bookingId}`, { token: customer.accessToken });
    expect(read.status).toBe(404);
    const { rows } = await app.server.database.pool.query(
      "select count(*)::int as count from pgboss.job where data->>'bookingId' = $1",
      [bookingId],
    );
    expect(rows).toEqual([{ count: 0 }]);
  });

  it("refuses a dispute resolution outside 0 to the price, changing nothing", async () => {
    const id = await bookingIn("disputed");
    for (const refundAmount of [-1, 24001, 10.5]) {
      await expect(
        app.server.bookings.resolveDispute(id, { by: admin.id, refundAmount, note: "x" }),
      ).rejects.toMatchObject({ status: 400 });
    }
    const read = await app.request("GET", `/api/v1/bookings/${id}`, { token: customer.accessToken });
    expect(read.body).toMatchObject({ status: "disputed", refundAmount: null });
    const split = await app.server.bookings.resolveDispute(id, { by: admin.id, refundAmount: 1, note: "x" });
    expect(split).toMatchObject({
      status: "partially_refunded",
      refundAmount: { amount: 1, currency: "gbp" },
    });
    expect(split.history.at(-1)).toMatchObject({ from: "disputed", by: admin.id, note: "x" });
  });

  /** A booking brought to `status` the way the apps and the payments module would. */
  async function bookingIn(status: BookingStatus): Promise<string> {
    const { id } = await book();
    const step = async (who: Account, action: string, body?: unknown) => {
      const response = await act(who, id, action, body);
      expect(response.status, JSON.stringify(response.body)).toBe(200);
    };
    const fund = async () => {
      await step(contractor, "accept");
      await app.server.bookings.markFunded(id, { by: "system" });
    };
    const complete = async () => {
      await fund();
      await step(contractor, "start");
      await step(contractor, "complete");
    };
    const dispute = async () => {
      await complete();
      await step(customer, "dispute", { reason: "The sockets do not work" });
    };
    switch (status) {
      case "requested":
        break;
      case "accepted":
        await step(contractor, "accept");
        break;
      case "declined":
        await step(contractor, "decline");
        break;
      case "expired":
        await app.server.bookings.expire(id);
        break;
      case "cancelled":
        await step(customer, "cancel");
        break;
      case "funded":
        await fund();
        break;
      case "in_progress":
        await fund();
        await step(contractor, "start");
        break;
      case "completed":
        await complete();
        break;
      case "released":
        await complete();
        await step(customer, "confirm");
        break;
      case "disputed":
        await dispute();
        break;
      case "refunded":
        await dispute();
        await app.server.bookings.resolveDispute(id, { by: admin.id, refundAmount: 24000, note: "refund" });
        break;
      case "partially_refunded":
        await dispute();
        await app.server.bookings.resolveDispute(id, { by: admin.id, refundAmount: 6000, note: "split" });
        break;
    }
    const read = await app.request("GET", `/api/v1/bookings/${id}`, { token: customer.accessToken });
    expect(read.body.status).toBe(status);
    return id;
  }

  const routeActions = ["accept", "decline", "start", "complete", "confirm", "dispute", "cancel"] as const;
  const bodyOf = (action: string) => (action === "dispute" ? { reason: "Not done properly" } : undefined);

  it("answers 409 naming the current state for every action the state does not allow", async () => {
    let checked = 0;
    for (const status of bookingStatuses) {
      const id = await bookingIn(status);
      for (const action of routeActions) {
        const transition = transitions[action];
        if ((transition.from as readonly string[]).includes(status)) continue;
        const who = (transition.by as readonly string[]).includes("customer") ? customer : contractor;
        const response = await act(who, id, action, bodyOf(action));
        expect(response.status, `${action} on ${status}`).toBe(409);
        expect(response.body.code).toBe("booking.invalid_transition");
        expect(response.body.detail).toContain(`The booking is ${status.replace("_", " ")}`);
        expect(response.body.currentStatus).toBe(status);
        checked += 1;
      }
      // The server's own steps go through the same table.
      for (const action of ["fund", "resolveRefund"] as const) {
        if ((transitions[action].from as readonly string[]).includes(status)) continue;
        const call =
          action === "fund"
            ? app.server.bookings.markFunded(id, { by: "system" })
            : app.server.bookings.resolveDispute(id, { by: admin.id, refundAmount: 24000, note: "x" });
        await expect(call, `${action} on ${status}`).rejects.toMatchObject({
          status: 409,
          message: expect.stringContaining(status.replace("_", " ")),
        });
      }
      const read = await app.request("GET", `/api/v1/bookings/${id}`, { token: customer.accessToken });
      expect(read.body.status, "refused actions change nothing").toBe(status);
    }
    // Every state × action pair not in the table was tried.
    const allowed = routeActions.reduce(
      (sum, action) => sum + (transitions[action].from as readonly string[]).length,
      0,
    );
    expect(checked).toBe(bookingStatuses.length * routeActions.length - allowed);
    expect(actions.length).toBeGreaterThan(routeActions.length);
  });

  it("refuses the other party with 403 and anyone else with 404", async () => {
    const requested = await bookingIn("requested");
    const completed = await bookingIn("completed");
    const outsiderCustomer = await register(app, "customer");
    const outsiderContractor = await bookableContractor(app, "Someone Else");
    for (const [id, action, wrongParty] of [
      [requested, "accept", customer],
      [requested, "decline", customer],
      [completed, "confirm", contractor],
      [completed, "dispute", contractor],
    ] as const) {
      const refused = await act(wrongParty, id, action, bodyOf(action));
      expect(refused.status, action).toBe(403);
      expect(refused.body.code).toBe("booking.action_not_allowed");
      for (const outsider of [outsiderCustomer, outsiderContractor]) {
        const hidden = await act(outsider, id, action, bodyOf(action));
        expect(hidden.status, `${action} by an outsider`).toBe(404);
        expect(hidden.body.code).toBe("booking.not_found");
      }
    }
    const adminAccept = await act(admin, requested, "accept");
    expect(adminAccept.status).toBe(403);
    for (const outsider of [outsiderCustomer, outsiderContractor]) {
      const read = await app.request("GET", `/api/v1/bookings/${requested}`, { token: outsider.accessToken });
      expect(read.status).toBe(404);
      const list = await app.request("GET", "/api/v1/bookings", { token: outsider.accessToken });
      expect(list.body.items).toEqual([]);
    }
    const adminRead = await app.request("GET", `/api/v1/bookings/${requested}`, { token: admin.accessToken });
    expect(adminRead.status).toBe(200);
    const unchanged = await app.request("GET", `/api/v1/bookings/${requested}`, {
      token: customer.accessToken,
    });
    expect(unchanged.body.history).toHaveLength(1);
  });

  it("lets exactly one of 20 concurrent accepts win", async () => {
    const { id } = await book();
    const answers = await Promise.all(Array.from({ length: 20 }, () => act(contractor, id, "accept")));
    expect(answers.filter((answer) => answer.status === 200)).toHaveLength(1);
    const losers = answers.filter((answer) => answer.status !== 200);
    expect(losers).toHaveLength(19);
    for (const loser of losers) {
      expect(loser.status).toBe(409);
      expect(loser.body.detail).toContain("The booking is accepted");
    }
    const read = await app.request("GET", `/api/v1/bookings/${id}`, { token: customer.accessToken });
    expect(read.body.history.map((entry: { status: string }) => entry.status)).toEqual([
      "requested",
      "accepted",
    ]);
  });

  it("lets only one of concurrent cancels and accepts win, with one transition in the history", async () => {
    const { id } = await book();
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, index) =>
        index % 2 === 0 ? act(customer, id, "cancel") : act(contractor, id, "accept"),
      ),
    );
    const winners = answers.filter((answer) => answer.status === 200);
    expect(winners).toHaveLength(1);
    const final = winners[0]?.body.status as string;
    for (const loser of answers.filter((answer) => answer.status !== 200)) {
      expect(loser.status).toBe(409);
      expect(loser.body.detail).toContain(`The booking is ${final}`);
    }
    const read = await app.request("GET", `/api/v1/bookings/${id}`, { token: customer.accessToken });
    expect(read.body.status).toBe(final);
    expect(read.body.history).toHaveLength(2);
  });

  it("books once for 10 concurrent retries with one Idempotency-Key", async () => {
    const body = bookingBody(contractor.id, { description: "Idempotent booking" });
    const send = () =>
      app.request("POST", "/api/v1/bookings", {
        token: customer.accessToken,
        body,
        headers: { "idempotency-key": "booking-retry-1" },
      });
    const answers = await Promise.all(Array.from({ length: 10 }, send));
    for (const answer of answers) expect([201, 409]).toContain(answer.status);
    const created = answers.filter((answer) => answer.status === 201);
    expect(created.length).toBeGreaterThanOrEqual(1);
    expect(new Set(created.map((answer) => answer.body.id)).size).toBe(1);
    for (const busy of answers.filter((answer) => answer.status === 409)) {
      expect(busy.body.code).toBe("idempotency.in_progress");
    }
    const replay = await send();
    expect(replay.status).toBe(201);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(replay.body.id).toBe(created[0]?.body.id);
    const mine = await app.request("GET", "/api/v1/bookings?limit=100", { token: customer.accessToken });
    expect(
      mine.body.items.filter((item: { description: string }) => item.description === "Idempotent booking"),
    ).toHaveLength(1);
  });

  it("refuses malformed ids, bad prices and times, and unknown fields", async () => {
    const post = (body: unknown) =>
      app.request("POST", "/api/v1/bookings", { token: customer.accessToken, body });
    const base = bookingBody(contractor.id);
    const cases: [string, unknown, string][] = [
      ["price 0", { ...base, price: { amount: 0, currency: "gbp" } }, "price.amount"],
      ["negative price", { ...base, price: { amount: -100, currency: "gbp" } }, "price.amount"],
      ["huge price", { ...base, price: { amount: 1e15, currency: "gbp" } }, "price.amount"],
      ["float price", { ...base, price: { amount: 10.5, currency: "gbp" } }, "price.amount"],
      [
        "end before start",
        { ...base, scheduledEnd: new Date(Date.parse(base.scheduledStart) - 3_600_000).toISOString() },
        "scheduledEnd",
      ],
      [
        "start in the past",
        { ...base, scheduledStart: new Date(Date.now() - 3_600_000).toISOString(), scheduledEnd: undefined },
        "scheduledStart",
      ],
      ["not a date", { ...base, scheduledStart: "tomorrow" }, "scheduledStart"],
      ["unknown field", { ...base, status: "released" }, "status"],
      ["unknown location field", { ...base, location: { ...base.location, floor: 3 } }, "location.floor"],
      ["malformed contractor id", { ...base, contractorId: "1 or 1=1" }, "contractorId"],
      ["NUL in description", { ...base, description: "NUL\u0000marker" }, "description"],
    ];
    for (const [name, body, path] of cases) {
      const response = await post(body);
      expect(response.status, name).toBe(400);
      expect(response.body.code, name).toBe("validation.failed");
      expect(
        response.body.errors.map((error: { path: string }) => error.path),
        name,
      ).toContain(path);
    }
    for (const path of ["/api/v1/bookings/not-a-uuid", "/api/v1/bookings/not-a-uuid/accept"]) {
      const response = await app.request(path.endsWith("accept") ? "POST" : "GET", path, {
        token: contractor.accessToken,
      });
      expect(response.status, path).toBe(400);
    }
    const missing = await app.request("GET", "/api/v1/bookings/0192f0a4-5b1e-7c3d-8e9f-0a1b2c3d4e5f", {
      token: customer.accessToken,
    });
    expect(missing.status).toBe(404);
    const byContractor = await app.request("POST", "/api/v1/bookings", {
      token: contractor.accessToken,
      body: base,
    });
    expect(byContractor.status).toBe(403);
    const mine = await app.request("GET", "/api/v1/bookings?limit=100", { token: customer.accessToken });
    expect(mine.body.items.some((item: { description: string }) => item.description.startsWith("NUL"))).toBe(
      false,
    );
  });

  it("refuses contractors who cannot be booked, saying why", async () => {
    const post = (body: unknown) =>
      app.request("POST", "/api/v1/bookings", { token: customer.accessToken, body });
    const notContractor = await post(bookingBody(customer.id));
    expect([notContractor.status, notContractor.body.code]).toEqual([404, "booking.contractor_not_found"]);
    const unknown = await post(bookingBody("0192f0a4-5b1e-7c3d-8e9f-0a1b2c3d4e5f"));
    expect(unknown.status).toBe(404);

    const noProfile = await register(app, "contractor", { name: "No Profile" });
    const refused = await post(bookingBody(noProfile.id));
    expect([refused.status, refused.body.code]).toEqual([422, "booking.contractor_unavailable"]);
    expect(refused.body.detail).toContain("no contractor profile");

    const noHours = await createContractor(app, "No Hours");
    const unpublished = await post(bookingBody(noHours.id));
    expect([unpublished.status, unpublished.body.code]).toEqual([422, "booking.outside_availability"]);

    const wrongCategory = await post(bookingBody(contractor.id, { categorySlug: "plumber" }));
    expect([wrongCategory.status, wrongCategory.body.code]).toEqual([422, "booking.category_not_offered"]);
    expect(wrongCategory.body.detail).toContain("electrician");

    const suspended = await bookableContractor(app, "Suspended Sam");
    const edit = await app.request("PATCH", `/api/v1/admin/users/${suspended.id}`, {
      token: admin.accessToken,
      body: { status: "suspended" },
    });
    expect(edit.status).toBe(200);
    const refusedSuspended = await post(bookingBody(suspended.id));
    expect([refusedSuspended.status, refusedSuspended.body.code]).toEqual([
      422,
      "booking.contractor_unavailable",
    ]);
    expect(refusedSuspended.body.detail).toContain("suspended");
  });

  it("refuses a time outside the contractor's hours, naming the time zone and the nearest ranges", async () => {
    const nineToFive = await createContractor(app, "Nine Five");
    await app.request("PUT", "/api/v1/contractors/me/availability", {
      token: nineToFive.accessToken,
      body: {
        timezone: "Europe/London",
        weekly: [1, 2, 3, 4, 5].map((day) => ({ day, start: "09:00", end: "17:00" })),
      },
    });
    // A Wednesday two weeks ahead, 07:00 in London (UTC in winter, UTC+1 in summer: 06:00Z then).
    const day = new Date(Date.now() + 14 * DAY_MS);
    day.setUTCDate(day.getUTCDate() + ((3 - day.getUTCDay() + 7) % 7));
    const date = day.toISOString().slice(0, 10);
    const londonOffset = new Intl.DateTimeFormat("en-GB", {
      timeZone: "Europe/London",
      timeZoneName: "shortOffset",
    })
      .formatToParts(new Date(`${date}T12:00:00Z`))
      .find((part) => part.type === "timeZoneName")?.value;
    const offsetHours = londonOffset === "GMT+1" ? 1 : 0;
    const at = (hour: number) =>
      new Date(
        Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate(), hour - offsetHours),
      ).toISOString();

    const early = await app.request("POST", "/api/v1/bookings", {
      token: customer.accessToken,
      body: bookingBody(nineToFive.id, { scheduledStart: at(7), scheduledEnd: at(8) }),
    });
    expect(early.status).toBe(422);
    expect(early.body.code).toBe("booking.outside_availability");
    expect(early.body.detail).toContain("Europe/London");
    expect(early.body.detail).toContain("07:00–08:00");
    expect(early.body.detail).toContain("09:00–17:00");
    expect(early.body.timezone).toBe("Europe/London");
    expect(early.body.availableRanges[0]).toBeDefined();
    expect(early.body.availableRanges).toContainEqual({ start: at(9), end: at(17) });

    const overrun = await app.request("POST", "/api/v1/bookings", {
      token: customer.accessToken,
      body: bookingBody(nineToFive.id, { scheduledStart: at(15), scheduledEnd: at(18) }),
    });
    expect(overrun.status, "a booking running past the end of the day").toBe(422);

    const inside = await app.request("POST", "/api/v1/bookings", {
      token: customer.accessToken,
      body: bookingBody(nineToFive.id, { scheduledStart: at(9), scheduledEnd: at(17) }),
    });
    expect(inside.status).toBe(201);
  });

  it("applies the cancellation policy to paid bookings and shows the refund", async () => {
    const cancel = async (hoursAhead: number, who: Account) => {
      const start = new Date(Date.now() + hoursAhead * 3_600_000);
      start.setUTCSeconds(0, 0);
      const created = await book({ scheduledStart: start.toISOString(), scheduledEnd: undefined });
      await act(contractor, created.id, "accept");
      await app.server.bookings.markFunded(created.id, { by: "system" });
      const response = await act(who, created.id, "cancel");
      expect(response.status).toBe(200);
      expect(response.body.status).toBe("cancelled");
      return response.body.refundAmount;
    };
    expect(await cancel(72, customer)).toEqual({ amount: 24000, currency: "gbp" });
    expect(await cancel(3, customer)).toEqual({ amount: 12000, currency: "gbp" });
    expect(await cancel(3, contractor)).toEqual({ amount: 24000, currency: "gbp" });
    const unpaid = await book();
    const free = await act(customer, unpaid.id, "cancel");
    expect(free.body).toMatchObject({ status: "cancelled", refundAmount: null });
  });

  it("lists my bookings newest first, filtered by status and role, a page at a time", async () => {
    const other = await register(app, "customer", { name: "Other Customer" });
    const theirs = await app.request("POST", "/api/v1/bookings", {
      token: other.accessToken,
      body: bookingBody(contractor.id, { description: "Someone else's" }),
    });
    expect(theirs.status).toBe(201);
    const mine = await app.request("GET", "/api/v1/bookings?limit=100", { token: customer.accessToken });
    const ids = mine.body.items.map((item: { id: string }) => item.id);
    expect(ids).not.toContain(theirs.body.id);
    expect([...ids].sort().reverse()).toEqual(ids);

    const asContractor = await app.request("GET", "/api/v1/bookings?role=contractor&limit=100", {
      token: contractor.accessToken,
    });
    expect(asContractor.body.items.map((item: { id: string }) => item.id)).toContain(theirs.body.id);
    const asCustomer = await app.request("GET", "/api/v1/bookings?role=customer", {
      token: contractor.accessToken,
    });
    expect(asCustomer.body.items).toEqual([]);

    for (const query of ["status=requested,cancelled", "status=requested&status=cancelled"]) {
      const filtered = await app.request("GET", `/api/v1/bookings?${query}&limit=100`, {
        token: customer.accessToken,
      });
      expect(filtered.status).toBe(200);
      expect(filtered.body.items.length).toBeGreaterThan(0);
      for (const item of filtered.body.items) expect(["requested", "cancelled"]).toContain(item.status);
    }

    const walked: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { items: { id: string }[]; nextCursor: string | null } } = await app.request(
        "GET",
        `/api/v1/bookings?limit=7${cursor ? `&cursor=${cursor}` : ""}`,
        { token: customer.accessToken },
      );
      walked.push(...page.body.items.map((item) => item.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(walked).toEqual(ids);

    const first = await app.request("GET", "/api/v1/bookings?limit=1", { token: customer.accessToken });
    const replayed = await app.request(
      "GET",
      `/api/v1/bookings?limit=1&status=requested&cursor=${first.body.nextCursor}`,
      { token: customer.accessToken },
    );
    expect(replayed.status, "a cursor replayed with other filters").toBe(400);
    for (const bad of ["status=paid", "role=admin", "cursor=%00", "cursor=bm90LWEtY3Vyc29y", "sort=price"]) {
      const response = await app.request("GET", `/api/v1/bookings?${bad}`, { token: customer.accessToken });
      expect(response.status, bad).toBe(400);
    }
  });

  it("opens the contractor's contact details to a customer once the contractor accepted a booking", async () => {
    const fresh = await register(app, "customer", { name: "Contact Seeker" });
    const contactOf = async () =>
      (await app.request("GET", `/api/v1/contractors/${contractor.id}`, { token: fresh.accessToken })).body
        .contact;
    expect(await contactOf()).toBeNull();
    const created = await app.request("POST", "/api/v1/bookings", {
      token: fresh.accessToken,
      body: bookingBody(contractor.id),
    });
    expect(await contactOf(), "a request not yet accepted").toBeNull();
    await act(contractor, created.body.id, "accept");
    expect(await contactOf()).toMatchObject({ email: contractor.email });
  });

  it("holds account deletion while a booking is open, and allows it once the booking is over", async () => {
    const leaving = await register(app, "customer", { name: "Leaving Customer" });
    const created = await app.request("POST", "/api/v1/bookings", {
      token: leaving.accessToken,
      body: bookingBody(contractor.id),
    });
    const refused = await app.request("DELETE", "/api/v1/me", {
      token: leaving.accessToken,
      body: { password: strongPassword },
    });
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe("user.deletion_blocked");
    expect(refused.body.detail).toContain("1 open booking (requested)");
    const contractorRefused = await app.request("DELETE", "/api/v1/me", {
      token: contractor.accessToken,
      body: { password: strongPassword },
    });
    expect(contractorRefused.status).toBe(409);

    await act(leaving, created.body.id, "cancel");
    const deleted = await app.request("DELETE", "/api/v1/me", {
      token: leaving.accessToken,
      body: { password: strongPassword },
    });
    expect(deleted.status).toBe(204);
    const read = await app.request("GET", `/api/v1/bookings/${created.body.id}`, {
      token: contractor.accessToken,
    });
    expect(read.body.customer).toEqual({ id: leaving.id, name: "Deleted user" });
  });

  describe("the contractor's side of a dispute", () => {
    const respond = (who: Account, id: string, body: unknown) =>
      app.request("POST", `/api/v1/bookings/${id}/dispute/response`, { token: who.accessToken, body });
    const readAs = async (who: Account, id: string) =>
      (await app.request("GET", `/api/v1/bookings/${id}`, { token: who.accessToken })).body;
    /** The statement's events queued for this booking: enqueued with it, so counted as soon as it answers. */
    const statementEvents = async (id: string) =>
      Number(
        (
          await app.server.database.pool.query(
            "select count(*) from pgboss.job where name = 'booking.changed' and data->>'bookingId' = $1 and data->>'detail' = 'disputeResponse'",
            [id],
          )
        ).rows[0].count,
      );

    it("is stated once by the contractor, read by both parties and admins, and kept after the resolution", async () => {
      const id = await bookingIn("disputed");
      expect((await readAs(customer, id)).disputeResponse).toBeNull();
      const customerSocket = await openSocket(app.url, customer.accessToken);
      const updates: { booking: { id: string; disputeResponse: unknown } }[] = [];
      customerSocket.on("booking:updated", (payload: (typeof updates)[number]) => updates.push(payload));

      const stated = await respond(contractor, id, {
        statement: "  Both sockets were tested live before I left; the breaker has tripped since.  ",
      });
      expect(stated.status, JSON.stringify(stated.body)).toBe(200);
      try {
        // The customer's app hears of it at once, and their inbox has it, once, though no status changed.
        const update = await until("booking:updated with the statement", () =>
          updates.find((event) => event.booking.id === id && event.booking.disputeResponse !== null),
        );
        expect(update.booking.disputeResponse).toEqual(stated.body.disputeResponse);
      } finally {
        customerSocket.close();
      }
      const inboxOf = async (who: Account) =>
        (
          (await app.request("GET", "/api/v1/notifications?limit=100", { token: who.accessToken })).body
            .items as { kind: string; title: string; body: string; data: { bookingId?: string } }[]
        ).filter((item) => item.kind === "disputeResponded" && item.data.bookingId === id);
      const told = await until("the customer's notification", async () => {
        const found = await inboxOf(customer);
        return found.length > 0 ? found : undefined;
      });
      expect(told).toEqual([
        expect.objectContaining({
          title: "Contractor responded",
          body: 'Priya Patel gave their side of the dispute on the booking "Replace the fuse board". An admin will review both.',
        }),
      ]);
      expect(await inboxOf(contractor)).toEqual([]);
      const expected = {
        statement: "Both sockets were tested live before I left; the breaker has tripped since.",
        at: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/),
      };
      expect(stated.body).toMatchObject({
        status: "disputed",
        disputeReason: "The sockets do not work",
        disputeResponse: expected,
      });
      expect(Math.abs(Date.parse(stated.body.disputeResponse.at) - Date.now())).toBeLessThan(60_000);
      // A statement is not a status change: the history keeps the dispute as its last entry.
      expect(stated.body.history.at(-1)).toMatchObject({ status: "disputed", by: customer.id });

      for (const who of [customer, contractor, admin]) {
        expect((await readAs(who, id)).disputeResponse, who.email).toEqual(stated.body.disputeResponse);
      }
      const oversight = await app.request("GET", `/api/v1/admin/bookings/${id}`, {
        token: admin.accessToken,
      });
      expect(oversight.status).toBe(200);
      expect(oversight.body).toMatchObject({
        disputeReason: "The sockets do not work",
        disputeResponse: stated.body.disputeResponse,
      });
      const disputes = await app.request("GET", "/api/v1/admin/disputes?limit=100", {
        token: admin.accessToken,
      });
      const listed = disputes.body.items.find((item: { booking: { id: string } }) => item.booking.id === id);
      expect(listed?.booking.disputeResponse).toEqual(stated.body.disputeResponse);

      const again = await respond(contractor, id, { statement: "Actually, let me put it differently." });
      expect(again.status).toBe(409);
      expect(again.body.code).toBe("booking.dispute_response_exists");
      expect((await readAs(customer, id)).disputeResponse).toEqual(stated.body.disputeResponse);

      const resolved = await app.request("POST", `/api/v1/admin/disputes/${id}/resolve`, {
        token: admin.accessToken,
        body: { refundAmount: { amount: 6000, currency: "gbp" }, note: "A quarter back" },
      });
      expect(resolved.status, JSON.stringify(resolved.body)).toBe(200);
      expect(resolved.body.disputeResponse).toEqual(stated.body.disputeResponse);
      const after = await readAs(customer, id);
      expect(after).toMatchObject({
        status: "partially_refunded",
        disputeResponse: stated.body.disputeResponse,
      });
      const late = await respond(contractor, id, { statement: "One more thing after the decision." });
      expect([late.status, late.body.code]).toEqual([409, "booking.dispute_response_exists"]);
    });

    it("answers the customer and admins 403, anyone else 404, and a booking not disputed 409 naming its state", async () => {
      const id = await bookingIn("disputed");
      const outsiderCustomer = await register(app, "customer");
      const outsiderContractor = await bookableContractor(app, "Other Sparky");
      const body = { statement: "I was never told what was wrong." };
      for (const who of [customer, admin]) {
        const refused = await respond(who, id, body);
        expect(refused.status, who.email).toBe(403);
        expect(refused.body.code).toBe("booking.action_not_allowed");
      }
      for (const who of [outsiderCustomer, outsiderContractor]) {
        const hidden = await respond(who, id, body);
        expect(hidden.status, who.email).toBe(404);
        expect(hidden.body.code).toBe("booking.not_found");
      }
      const missing = await respond(contractor, "0192f0a4-5b1e-7c3d-8e9f-0a1b2c3d4e5f", body);
      expect([missing.status, missing.body.code]).toEqual([404, "booking.not_found"]);
      expect((await readAs(customer, id)).disputeResponse, "refusals store nothing").toBeNull();
      expect(await statementEvents(id), "refusals tell nobody").toBe(0);

      for (const status of bookingStatuses.filter((status) => status !== "disputed")) {
        const other = await bookingIn(status);
        const refused = await respond(contractor, other, body);
        expect(refused.status, status).toBe(409);
        expect(refused.body.code, status).toBe("booking.invalid_transition");
        expect(refused.body.currentStatus, status).toBe(status);
        expect(refused.body.detail, status).toContain(`The booking is ${status.replace("_", " ")}`);
        expect((await readAs(customer, other)).disputeResponse, status).toBeNull();
        expect(await statementEvents(other), status).toBe(0);
      }
    });

    it("stores exactly one of 20 parallel statements", async () => {
      const id = await bookingIn("disputed");
      const answers = await Promise.all(
        Array.from({ length: 20 }, (_, index) =>
          respond(contractor, id, { statement: `Statement number ${index} of my side` }),
        ),
      );
      const stored = answers.filter((answer) => answer.status === 200);
      expect(stored).toHaveLength(1);
      for (const loser of answers.filter((answer) => answer.status !== 200)) {
        expect([loser.status, loser.body.code]).toEqual([409, "booking.dispute_response_exists"]);
      }
      const read = await readAs(admin, id);
      expect(read.disputeResponse).toEqual(stored[0]?.body.disputeResponse);
      const { rows } = await app.server.database.pool.query(
        "select dispute_response from bookings where id = $1",
        [id],
      );
      expect(rows).toEqual([{ dispute_response: stored[0]?.body.disputeResponse.statement }]);
      // One statement, one event: the customer is told once, not once per attempt.
      expect(await statementEvents(id)).toBe(1);
    });

    it("either lands before a racing resolution or is refused with the status it lost to", async () => {
      for (let round = 0; round < 5; round += 1) {
        const id = await bookingIn("disputed");
        const [statement, resolution] = await Promise.all([
          respond(contractor, id, { statement: "The job was finished as quoted." }),
          app.request("POST", `/api/v1/admin/disputes/${id}/resolve`, {
            token: admin.accessToken,
            body: { refundAmount: { amount: 0, currency: "gbp" }, note: "Released" },
          }),
        ]);
        expect(resolution.status).toBe(200);
        const read = await readAs(customer, id);
        expect(read.status).toBe("released");
        expect(await statementEvents(id), `round ${round}`).toBe(statement.status === 200 ? 1 : 0);
        if (statement.status === 200) {
          expect(read.disputeResponse).toEqual(statement.body.disputeResponse);
        } else {
          expect([statement.status, statement.body.code, statement.body.currentStatus]).toEqual([
            409,
            "booking.invalid_transition",
            "released",
          ]);
          expect(read.disputeResponse).toBeNull();
        }
      }
    });

    it("refuses NUL, empty, too long, mistyped and unknown fields with field errors, storing nothing", async () => {
      const id = await bookingIn("disputed");
      const cases: [string, unknown, string, string][] = [
        ["NUL", { statement: "It was\u0000done" }, "statement", "nul_character"],
        ["empty", { statement: "" }, "statement", "too_short"],
        ["only spaces", { statement: "      " }, "statement", "too_short"],
        ["too short", { statement: " ok " }, "statement", "too_short"],
        ["too long", { statement: "x".repeat(2001) }, "statement", "too_long"],
        ["missing", {}, "statement", "required"],
        ["null", { statement: null }, "statement", "required"],
        ["a number", { statement: 42 }, "statement", "invalid_type"],
        [
          "unknown field",
          { statement: "It was done properly", status: "released" },
          "status",
          "unknown_field",
        ],
      ];
      for (const [name, body, path, code] of cases) {
        const response = await respond(contractor, id, body);
        expect(response.status, name).toBe(400);
        expect(response.body.code, name).toBe("validation.failed");
        expect(response.body.errors, name).toContainEqual(expect.objectContaining({ path, code }));
      }
      const huge = await respond(contractor, id, { statement: "x".repeat(1_100_000) });
      expect(huge.status, "a body over BODY_LIMIT").toBe(413);
      const badId = await respond(contractor, "not-a-uuid", { statement: "It was done properly" });
      expect(badId.status).toBe(400);
      expect((await readAs(customer, id)).disputeResponse).toBeNull();
      expect(await statementEvents(id), "malformed statements tell nobody").toBe(0);

      const longest = "y".repeat(2000);
      const accepted = await respond(contractor, id, { statement: longest });
      expect(accepted.status).toBe(200);
      expect(accepted.body.disputeResponse.statement).toBe(longest);
    });
  });

  it("pushes booking:updated to both parties' sockets, and to nobody else", async () => {
    const outsider = await register(app, "customer");
    const sockets: Socket[] = await Promise.all(
      [customer, contractor, outsider].map((account) => openSocket(app.url, account.accessToken)),
    );
    try {
      const [customerSocket, contractorSocket, outsiderSocket] = sockets as [Socket, Socket, Socket];
      type Event = { booking: { id: string; status: string; history: unknown[] } };
      const received = new Map<Socket, Event[]>();
      for (const socket of sockets) {
        const events: Event[] = [];
        received.set(socket, events);
        socket.on("booking:updated", (payload: Event) => events.push(payload));
      }
      const eventOf = (socket: Socket, id: string, status: string) =>
        until(`${status} on a socket`, async () =>
          received.get(socket)?.find((event) => event.booking.id === id && event.booking.status === status),
        );
      const created = await book({ description: "Socket booking" });
      for (const socket of [customerSocket, contractorSocket]) {
        expect((await eventOf(socket, created.id, "requested")).booking.history).toHaveLength(1);
      }
      await act(contractor, created.id, "accept");
      for (const socket of [customerSocket, contractorSocket]) {
        expect((await eventOf(socket, created.id, "accepted")).booking.history).toHaveLength(2);
      }
      // The outsider's socket had every chance: the same emit reached both parties.
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(received.get(outsiderSocket)).toEqual([]);
    } finally {
      for (const socket of sockets) socket.disconnect();
    }
  });
});

describe("booking timers", () => {
  let app: TestServer;
  let customer: Account;
  let contractor: Account;
  let database: pg.Client;

  beforeAll(async () => {
    // Short delays stand in for 48 h and 72 h; everything else runs as in production.
    app = await startTestServer({ BOOKING_REQUEST_EXPIRY: "3s", BOOKING_AUTO_RELEASE: "3s" });
    customer = await register(app, "customer");
    contractor = await bookableContractor(app);
    database = new pg.Client({ connectionString: app.database.url });
    await database.connect();
  });
  afterAll(async () => {
    await database?.end();
    await app?.close();
  });

  const act = (who: Account, id: string, action: string, body?: unknown) =>
    app.request("POST", `/api/v1/bookings/${id}/${action}`, { token: who.accessToken, body });
  const read = async (id: string) =>
    (await app.request("GET", `/api/v1/bookings/${id}`, { token: customer.accessToken })).body;

  /** Waits until the timer job of `queue` for this booking has run. */
  const timerRan = (queue: string, id: string) =>
    until(`${queue} for ${id}`, async () => {
      const { rows } = await database.query(
        "select state from pgboss.job where name = $1 and data->>'bookingId' = $2",
        [queue, id],
      );
      return rows[0]?.state === "completed" ? true : undefined;
    });

  async function book(): Promise<string> {
    const response = await app.request("POST", "/api/v1/bookings", {
      token: customer.accessToken,
      body: bookingBody(contractor.id),
    });
    expect(response.status).toBe(201);
    return response.body.id;
  }

  it("expires an unanswered request, and leaves an answered one alone", async () => {
    const unanswered = await book();
    const answered = await book();
    expect((await act(contractor, answered, "accept")).status).toBe(200);
    expect((await read(unanswered)).status).toBe("requested");

    await timerRan("booking.expire", unanswered);
    const expired = await read(unanswered);
    expect(expired.status).toBe("expired");
    expect(expired.history.at(-1)).toMatchObject({ from: "requested", status: "expired", by: "system" });

    await timerRan("booking.expire", answered);
    const kept = await read(answered);
    expect(kept.status).toBe("accepted");
    expect(kept.history).toHaveLength(2);
  });

  it("releases a completed booking nobody confirmed, and not a disputed one", async () => {
    const completeOne = async () => {
      const id = await book();
      await act(contractor, id, "accept");
      await app.server.bookings.markFunded(id, { by: "system" });
      await act(contractor, id, "start");
      expect((await act(contractor, id, "complete")).status).toBe(200);
      return id;
    };
    const quiet = await completeOne();
    const disputed = await completeOne();
    expect((await act(customer, disputed, "dispute", { reason: "Half of it is missing" })).status).toBe(200);

    await timerRan("booking.auto_release", quiet);
    const released = await read(quiet);
    expect(released.status).toBe("released");
    expect(released.history.at(-1)).toMatchObject({ from: "completed", status: "released", by: "system" });

    await timerRan("booking.auto_release", disputed);
    const held = await read(disputed);
    expect(held.status).toBe("disputed");
    expect(held.disputeReason).toBe("Half of it is missing");
    expect(held.history.map((entry: { status: string }) => entry.status)).not.toContain("released");
  });
});
