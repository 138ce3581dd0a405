import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Account, register } from "../../../test/accounts.js";
import { createContractor } from "../../../test/fixtures.js";
import { startTestServer, type TestServer } from "../../../test/server.js";

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

  beforeAll(async () => {
    app = await startTestServer();
    customer = await register(app, "customer", { name: "Alice Brown" });
    contractor = await bookableContractor(app);
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
});
