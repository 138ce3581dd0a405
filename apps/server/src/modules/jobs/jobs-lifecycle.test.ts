import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Account, login, register } from "../../../test/accounts.js";
import { TestClock } from "../../../test/clock.js";
import { createContractor, samplePdf, uploadedFileId } from "../../../test/fixtures.js";
import { startTestServer, type TestServer } from "../../../test/server.js";

const place = { lat: 51.5238, lng: -0.1586, address: "221B Baker Street, London NW1 6XE" };
const plumber = {
  headline: "Emergency plumber",
  bio: "Leaks, drains and boilers.",
  categorySlugs: ["plumber"],
  hourlyRate: { amount: 6000, currency: "gbp" },
  serviceArea: { lat: 51.51, lng: -0.13, radiusKm: 10 },
};

function client(app: TestServer) {
  const call = (account: Account, method: string, path: string, body?: unknown) =>
    app.request(method, `/api/v1${path}`, { token: account.accessToken, body });
  const postJob = async (
    customer: Account,
    title = "Fix a dripping tap",
    extra: Record<string, unknown> = {},
  ) => {
    const response = await call(customer, "POST", "/jobs", {
      title,
      description: "The mixer tap drips.",
      categorySlug: "plumber",
      location: place,
      preferredStart: new Date(Date.now() + 30 * 86_400_000).toISOString(),
      ...extra,
    });
    if (response.status !== 201) throw new Error(`job: ${response.status} ${JSON.stringify(response.body)}`);
    return response.body as { id: string; expiresAt: string };
  };
  const quote = (contractor: Account, jobId: string) =>
    call(contractor, "POST", `/jobs/${jobId}/quotes`, {
      price: { amount: 9000, currency: "gbp" },
      message: "Tomorrow?",
    });
  return { call, postJob, quote };
}

describe("job expiry through the timer", () => {
  let app: TestServer;
  beforeAll(async () => {
    app = await startTestServer({ JOB_EXPIRY: "3s" });
  });
  afterAll(async () => {
    await app.close();
  });

  it("expires an open job when its timer fires, rejecting its pending quotes", async () => {
    const { call, postJob, quote } = client(app);
    const customer = await register(app, "customer");
    const contractor = await createContractor(app, "Plumber", plumber);
    const job = await postJob(customer);
    const sent = await quote(contractor, job.id);
    expect(sent.status).toBe(201);
    // The timer, not a reader, closes the quote: poll until it has (pg-boss checks twice a second).
    const deadline = Date.now() + 30_000;
    let quotes = await call(customer, "GET", `/jobs/${job.id}/quotes`);
    while (quotes.body.items[0].status === "pending" && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      quotes = await call(customer, "GET", `/jobs/${job.id}/quotes`);
    }
    expect(quotes.body.items[0]).toMatchObject({ status: "rejected", closedReason: "job_expired" });
    const expired = await call(customer, "GET", `/jobs/${job.id}`);
    expect(expired.body.status).toBe("expired");
    const late = await quote(await createContractor(app, "Late", plumber), job.id);
    expect(late.status).toBe(409);
    expect(late.body.detail).toContain("expired");
  });
});

describe("job expiry by the clock, paging over equal times, and account deletion", () => {
  let app: TestServer;
  const clock = new TestClock();
  beforeAll(async () => {
    app = await startTestServer({}, { clock });
  });
  afterAll(async () => {
    await app.close();
  });

  it("shows a job past its expiry as expired at once and refuses quotes and changes", async () => {
    const { call, postJob, quote } = client(app);
    let customer = await register(app, "customer");
    let contractor = await createContractor(app, "Plumber", plumber);
    const late = await createContractor(app, "Late", plumber);
    const job = await postJob(customer);
    expect(Date.parse(job.expiresAt) - clock.now().getTime()).toBeGreaterThan(13 * 86_400_000);
    const sent = await quote(contractor, job.id);
    clock.advance(14 * 86_400_000 + 1000);
    try {
      // Access tokens have expired meanwhile: sign in again, as an app would.
      customer = await login(app, customer.email, customer.password);
      contractor = await login(app, contractor.email, contractor.password);
      expect((await call(customer, "GET", `/jobs/${job.id}`)).body.status).toBe("expired");
      const listed = await call(contractor, "GET", "/jobs");
      expect(listed.body.items.map((item: { id: string }) => item.id)).not.toContain(job.id);
      expect((await call(customer, "GET", "/jobs?status=expired")).body.items[0].id).toBe(job.id);
      for (const response of [
        await quote(await login(app, late.email, late.password), job.id),
        await call(customer, "POST", `/jobs/${job.id}/cancel`),
        await call(customer, "PATCH", `/jobs/${job.id}`, { title: "Still there?" }),
        await call(contractor, "PATCH", `/jobs/${job.id}/quotes/${sent.body.id}`, { message: "Still keen" }),
      ]) {
        expect(response.status).toBe(409);
        expect(response.body).toMatchObject({
          code: "job.invalid_state",
          status: 409,
          currentStatus: "expired",
        });
      }
    } finally {
      clock.advance(-(14 * 86_400_000 + 1000));
    }
  });

  it("refuses to accept a quote whose start has passed while it waited, until the start is moved", async () => {
    const { call } = client(app);
    let customer = await register(app, "customer");
    let contractor = await createContractor(app, "Plumber", plumber);
    const inTwoDays = new Date(clock.now().getTime() + 2 * 86_400_000).toISOString();
    const posted = await call(customer, "POST", "/jobs", {
      title: "Replace a radiator valve",
      description: "It weeps.",
      categorySlug: "plumber",
      location: place,
      preferredStart: inTwoDays,
    });
    expect(posted.status).toBe(201);
    const sent = await call(contractor, "POST", `/jobs/${posted.body.id}/quotes`, {
      price: { amount: 12000, currency: "gbp" },
      message: "Happy to",
    });
    expect(sent.status).toBe(201);
    clock.advance(3 * 86_400_000);
    try {
      customer = await login(app, customer.email, customer.password);
      contractor = await login(app, contractor.email, contractor.password);
      const accept = () => call(customer, "POST", `/jobs/${posted.body.id}/quotes/${sent.body.id}/accept`);
      const refused = await accept();
      expect(refused.status).toBe(409);
      expect(refused.body.code).toBe("job.start_passed");
      expect(refused.body.detail).toContain(inTwoDays);
      // Nothing moved: the job is open and the quote pending, so the contractor can propose another start.
      expect((await call(customer, "GET", `/jobs/${posted.body.id}`)).body.status).toBe("open");
      const later = new Date(clock.now().getTime() + 86_400_000).toISOString();
      const moved = await call(contractor, "PATCH", `/jobs/${posted.body.id}/quotes/${sent.body.id}`, {
        proposedStart: later,
      });
      expect(moved.status).toBe(200);
      const booked = await accept();
      expect(booked.status).toBe(201);
      expect(booked.body).toMatchObject({ status: "accepted", scheduledStart: later });
    } finally {
      clock.advance(-3 * 86_400_000);
    }
  });

  it("closes jobs past their expiry in the hourly sweep, for timers that never fired", async () => {
    const { call, postJob, quote } = client(app);
    let customer = await register(app, "customer");
    const contractor = await createContractor(app, "Swept", plumber);
    const job = await postJob(customer, "Swept away");
    const sent = await quote(contractor, job.id);
    clock.advance(15 * 86_400_000);
    try {
      customer = await login(app, customer.email, customer.password);
      // What the hourly schedule sends, sent now: its worker runs the sweep.
      await app.server.jobs.send("jobs.expire-overdue", {});
      const deadline = Date.now() + 20_000;
      let quotes = await call(customer, "GET", `/jobs/${job.id}/quotes`);
      while (quotes.body.items[0].status === "pending" && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        quotes = await call(customer, "GET", `/jobs/${job.id}/quotes`);
      }
      expect(quotes.body.items[0]).toMatchObject({
        id: sent.body.id,
        status: "rejected",
        closedReason: "job_expired",
      });
    } finally {
      clock.advance(-15 * 86_400_000);
    }
  });

  it("pages a job's quotes oldest first and refuses a cursor of another job", async () => {
    const { call, postJob, quote } = client(app);
    const customer = await register(app, "customer");
    const job = await postJob(customer);
    const other = await postJob(customer);
    const sent: string[] = [];
    for (let index = 0; index < 5; index += 1) {
      const contractor = await createContractor(app, `Quoter ${index}`, plumber);
      sent.push((await quote(contractor, job.id)).body.id);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { items: { id: string }[]; nextCursor: string | null } } = await call(
        customer,
        "GET",
        `/jobs/${job.id}/quotes?limit=2${cursor ? `&cursor=${cursor}` : ""}`,
      );
      seen.push(...page.body.items.map((item) => item.id));
      cursor = page.body.nextCursor;
      if (cursor) {
        const elsewhere = await call(customer, "GET", `/jobs/${other.id}/quotes?limit=2&cursor=${cursor}`);
        expect(elsewhere.status).toBe(400);
        expect(elsewhere.body.code).toBe("pagination.invalid_cursor");
      }
    } while (cursor);
    expect(seen).toEqual(sent);
    const forged = await call(
      customer,
      "GET",
      `/jobs/${job.id}/quotes?cursor=${Buffer.from('["x"]').toString("base64url")}`,
    );
    expect(forged.status).toBe(400);
    expect(forged.body.code).toBe("pagination.invalid_cursor");
  });

  it("pages without repeat or gap when jobs share their creation time", async () => {
    const { call } = client(app);
    const customer = await register(app, "customer");
    // Stops the clock: every job below is created at the same instant, so only the id orders them.
    const frozen = clock.now();
    const created: string[] = [];
    const realNow = clock.now.bind(clock);
    // The instant itself: a sum of two readings of Date.now() drifts by a millisecond when one ticks between them.
    clock.now = () => new Date(frozen.getTime());
    try {
      for (let index = 0; index < 7; index += 1) {
        const response = await call(customer, "POST", "/jobs", {
          title: `Tied job ${index}`,
          description: "Same instant.",
          categorySlug: "plumber",
          location: place,
          preferredStart: new Date(Date.now() + 30 * 86_400_000).toISOString(),
        });
        expect(response.status).toBe(201);
        expect(response.body.createdAt).toBe(frozen.toISOString());
        created.push(response.body.id);
      }
    } finally {
      clock.now = realNow;
    }
    const contractor = await createContractor(app, "Pager", plumber);
    for (const account of [customer, contractor]) {
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: { status: number; body: { items: { id: string }[]; nextCursor: string | null } } =
          await call(account, "GET", `/jobs?limit=2${cursor ? `&cursor=${cursor}` : ""}`);
        expect(page.status).toBe(200);
        seen.push(...page.body.items.map((item) => item.id));
        cursor = page.body.nextCursor;
      } while (cursor);
      const tied = seen.filter((id) => created.includes(id));
      expect(tied).toEqual([...created].sort().reverse());
      expect(new Set(seen).size).toBe(seen.length);
    }
  });

  it("cancels a deleted customer's open jobs and withdraws a deleted contractor's pending quotes", async () => {
    const { call, postJob, quote } = client(app);
    const customer = await register(app, "customer");
    const file = await uploadedFileId(app, customer.accessToken, "job_attachment", samplePdf, "plan.pdf");
    const contractor = await createContractor(app, "Leaving", plumber);
    const staying = await createContractor(app, "Staying", plumber);
    const job = await postJob(customer, "Leaving soon", { attachmentFileIds: [file] });
    const otherCustomer = await register(app, "customer");
    const other = await postJob(otherCustomer);
    await quote(staying, job.id);
    const leavingQuote = await quote(contractor, other.id);

    const deleted = await app.request("DELETE", "/api/v1/me", {
      token: contractor.accessToken,
      body: { password: contractor.password },
    });
    expect(deleted.status).toBe(204);
    expect(leavingQuote.status).toBe(201);
    const otherQuotes = (await call(otherCustomer, "GET", `/jobs/${other.id}/quotes`)).body.items;
    expect(otherQuotes).toMatchObject([
      { id: leavingQuote.body.id, status: "withdrawn", closedReason: "account_deleted" },
    ]);

    const gone = await app.request("DELETE", "/api/v1/me", {
      token: customer.accessToken,
      body: { password: customer.password },
    });
    expect(gone.status).toBe(204);
    const seenByStaying = await call(staying, "GET", `/jobs/${job.id}`);
    expect(seenByStaying.body).toMatchObject({ status: "cancelled", attachments: [] });
    const mine = await call(staying, "GET", `/jobs/${job.id}/quotes`);
    expect(mine.body.items[0]).toMatchObject({ status: "rejected", closedReason: "job_cancelled" });
    // The attachment went with the account.
    expect((await call(staying, "GET", `/files/${file}`)).status).toBe(404);
  });
});
