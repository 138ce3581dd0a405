import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Account, login, register } from "../../../test/accounts.js";
import { adminQuery } from "../../../test/database.js";
import { createContractor, pngImage, samplePdf, uploadedFileId } from "../../../test/fixtures.js";
import { startTestServer, type TestServer } from "../../../test/server.js";

// Baker Street; a plumber based 3 km away covers it, one 40 km away does not.
const bakerStreet = { lat: 51.5238, lng: -0.1586, address: "221B Baker Street, London NW1 6XE" };
const inTwoDays = () => new Date(Date.now() + 2 * 86_400_000).toISOString();

const plumberProfile = (lat = 51.51, lng = -0.13, radiusKm = 10, categorySlugs = ["plumber"]) => ({
  headline: "Emergency plumber",
  bio: "Leaks, drains and boilers.",
  categorySlugs,
  hourlyRate: { amount: 6000, currency: "gbp" },
  serviceArea: { lat, lng, radiusKm },
});

describe("job requests and quotes", () => {
  let app: TestServer;

  beforeAll(async () => {
    app = await startTestServer({
      ADMIN_EMAIL: "admin@jobs.test",
      ADMIN_PASSWORD: "admin passphrase for jobs",
    });
  });
  afterAll(async () => {
    await app.close();
  });

  const call = (account: Account, method: string, path: string, body?: unknown) =>
    app.request(method, `/api/v1${path}`, { token: account.accessToken, body });

  async function postJob(customer: Account, overrides: Record<string, unknown> = {}) {
    const response = await call(customer, "POST", "/jobs", {
      title: "Fix a dripping kitchen tap",
      description: "The mixer tap drips constantly.",
      categorySlug: "plumber",
      location: bakerStreet,
      budget: { amount: 12000, currency: "gbp" },
      preferredStart: inTwoDays(),
      ...overrides,
    });
    if (response.status !== 201) throw new Error(`job: ${response.status} ${JSON.stringify(response.body)}`);
    return response.body;
  }

  const quote = (contractor: Account, jobId: string, amount = 9500, extra: Record<string, unknown> = {}) =>
    call(contractor, "POST", `/jobs/${jobId}/quotes`, {
      price: { amount, currency: "gbp" },
      message: "Can do it on Wednesday.",
      ...extra,
    });

  /** A job posted with a photo of the tap, as most flows here begin. */
  const postJobWithPhoto = async (customer: Account) => {
    const photo = await uploadedFileId(
      app,
      customer.accessToken,
      "job_attachment",
      await pngImage(),
      "tap.png",
    );
    return { photo, job: await postJob(customer, { attachmentFileIds: [photo] }) };
  };

  it("runs from posting with an attachment to quotes the owner lists, seen only by matching contractors", async () => {
    const customer = await register(app, "customer");
    const { job, photo } = await postJobWithPhoto(customer);
    expect(job).toMatchObject({
      status: "open",
      customerId: customer.id,
      location: bakerStreet,
      quoteCount: 0,
      attachments: [{ id: photo, contentType: "image/png" }],
      assignedContractorId: null,
      bookingId: null,
    });

    const near = await createContractor(app, "Near Plumber", plumberProfile());
    const electrician = await createContractor(
      app,
      "Electrician",
      plumberProfile(51.51, -0.13, 10, ["electrician"]),
    );
    const far = await createContractor(app, "Far Plumber", plumberProfile(51.2, 0.3, 10));

    // The matching contractor sees it listed, rounded, without the address, with a distance.
    const listed = await call(near, "GET", "/jobs");
    expect(listed.status).toBe(200);
    const seen = listed.body.items.find((item: { id: string }) => item.id === job.id);
    expect(seen).toMatchObject({ status: "open", location: { lat: 51.52, lng: -0.16, address: null } });
    expect(seen.distanceKm).toBeGreaterThan(0);
    expect(seen.distanceKm).toBeLessThan(10);
    expect(seen.quoteCount).toBeUndefined();
    const attachment = await call(near, "GET", `/files/${photo}`);
    expect(attachment.status).toBe(200);
    expect((await fetch(attachment.body.url)).status).toBe(200);

    // Another category and another area see nothing of it, nor its attachment.
    for (const outsider of [electrician, far]) {
      const theirs = await call(outsider, "GET", "/jobs");
      expect(theirs.status).toBe(200);
      expect(theirs.body.items.map((item: { id: string }) => item.id)).not.toContain(job.id);
      expect((await call(outsider, "GET", `/jobs/${job.id}`)).status).toBe(404);
      expect((await call(outsider, "GET", `/files/${photo}`)).status).toBe(404);
      expect((await quote(outsider, job.id)).status).toBe(404);
    }

    const sent = await quote(near, job.id);
    expect(sent.status).toBe(201);
    expect(sent.body).toMatchObject({
      status: "pending",
      contractorName: "Near Plumber",
      price: { amount: 9500 },
    });
    const edited = await call(near, "PATCH", `/jobs/${job.id}/quotes/${sent.body.id}`, {
      price: { amount: 9000, currency: "gbp" },
    });
    expect(edited.status).toBe(200);
    expect(edited.body.price).toEqual({ amount: 9000, currency: "gbp" });

    // A second quote from the same contractor is refused; another contractor may quote.
    expect((await quote(near, job.id, 100)).status).toBe(409);
    const other = await createContractor(app, "Other Plumber", plumberProfile(51.53, -0.15, 5));
    expect((await quote(other, job.id, 11000)).status).toBe(201);

    const owners = await call(customer, "GET", `/jobs/${job.id}/quotes`);
    expect(owners.status).toBe(200);
    expect(owners.body.items.map((item: { contractorName: string }) => item.contractorName)).toEqual([
      "Near Plumber",
      "Other Plumber",
    ]);
    expect((await call(customer, "GET", `/jobs/${job.id}`)).body.quoteCount).toBe(2);
    const own = await call(near, "GET", `/jobs/${job.id}/quotes`);
    expect(own.body.items).toHaveLength(1);
    expect(own.body.items[0].contractorId).toBe(near.id);
  });

  it("lets the owner edit an open job, releasing dropped attachments, and cancel it, rejecting its quotes", async () => {
    const customer = await register(app, "customer");
    const first = await uploadedFileId(app, customer.accessToken, "job_attachment", samplePdf, "plan.pdf");
    const second = await uploadedFileId(
      app,
      customer.accessToken,
      "job_attachment",
      await pngImage(),
      "a.png",
    );
    const job = await postJob(customer, { attachmentFileIds: [first] });
    const edited = await call(customer, "PATCH", `/jobs/${job.id}`, {
      title: "Fix two taps",
      budget: null,
      attachmentFileIds: [second],
    });
    expect(edited.status).toBe(200);
    expect(edited.body).toMatchObject({ title: "Fix two taps", budget: null, attachments: [{ id: second }] });
    // The dropped file is free again: it can be attached to another job.
    const another = await call(customer, "POST", "/jobs", {
      title: "Another job",
      description: "Uses the released file.",
      categorySlug: "plumber",
      location: bakerStreet,
      preferredStart: inTwoDays(),
      attachmentFileIds: [first],
    });
    expect(another.status).toBe(201);

    const plumber = await createContractor(app, "Plumber", plumberProfile());
    const sent = await quote(plumber, job.id);
    const cancelled = await call(customer, "POST", `/jobs/${job.id}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe("cancelled");
    const quotes = await call(plumber, "GET", `/jobs/${job.id}/quotes`);
    expect(quotes.body.items[0]).toMatchObject({
      id: sent.body.id,
      status: "rejected",
      closedReason: "job_cancelled",
    });

    // Closed: no edit, no second cancel, no quote; each 409 names the state.
    for (const response of [
      await call(customer, "PATCH", `/jobs/${job.id}`, { title: "Too late" }),
      await call(customer, "POST", `/jobs/${job.id}/cancel`),
      await quote(await createContractor(app, "Late", plumberProfile()), job.id),
      await call(plumber, "PATCH", `/jobs/${job.id}/quotes/${sent.body.id}`, { message: "still?" }),
    ]) {
      expect(response.status).toBe(409);
      expect(response.body).toMatchObject({
        code: "job.invalid_state",
        status: 409,
        currentStatus: "cancelled",
      });
      expect(response.body.detail).toContain("cancelled");
    }
    // The listing of the owner filters by state.
    const cancelledOnly = await call(customer, "GET", "/jobs?status=cancelled");
    expect(cancelledOnly.body.items.map((item: { id: string }) => item.id)).toEqual([job.id]);
  });

  it("withdraws a pending quote once, and keeps it listed", async () => {
    const customer = await register(app, "customer");
    const job = await postJob(customer);
    const plumber = await createContractor(app, "Plumber", plumberProfile());
    const sent = await quote(plumber, job.id);
    const attempts = await Promise.all(
      Array.from({ length: 5 }, () =>
        call(plumber, "POST", `/jobs/${job.id}/quotes/${sent.body.id}/withdraw`),
      ),
    );
    expect(attempts.map((response) => response.status).sort()).toEqual([200, 409, 409, 409, 409]);
    expect(attempts.find((response) => response.status === 409)?.body.code).toBe("quote.invalid_state");
    expect((await quote(plumber, job.id)).status).toBe(409);
    const listed = await call(customer, "GET", `/jobs/${job.id}/quotes`);
    expect(listed.body.items[0].status).toBe("withdrawn");
  });

  it("refuses the attacker: wrong roles, other people's jobs and files, malformed input", async () => {
    const customer = await register(app, "customer");
    const intruder = await register(app, "customer");
    const plumber = await createContractor(app, "Plumber", plumberProfile());
    const job = await postJob(customer);

    // A customer cannot quote; a contractor cannot post; another customer's job is 404 everywhere.
    expect((await quote(customer, job.id)).status).toBe(403);
    expect((await call(plumber, "POST", "/jobs", { title: "x" })).status).toBe(403);
    for (const response of [
      await call(intruder, "GET", `/jobs/${job.id}`),
      await call(intruder, "PATCH", `/jobs/${job.id}`, { title: "Mine now" }),
      await call(intruder, "POST", `/jobs/${job.id}/cancel`),
      await call(intruder, "GET", `/jobs/${job.id}/quotes`),
    ]) {
      expect(response.status).toBe(404);
      expect(response.body.code).toBe("job.not_found");
    }
    // Another contractor's quote is not theirs to edit.
    const sent = await quote(plumber, job.id);
    const rival = await createContractor(app, "Rival", plumberProfile());
    expect(
      (await call(rival, "PATCH", `/jobs/${job.id}/quotes/${sent.body.id}`, { message: "mine" })).status,
    ).toBe(404);
    expect((await call(rival, "POST", `/jobs/${job.id}/quotes/${sent.body.id}/withdraw`)).status).toBe(404);

    // Someone else's file, a chat file, a public file: refused, and nothing is created.
    const theirFile = await uploadedFileId(app, intruder.accessToken, "job_attachment", samplePdf, "x.pdf");
    const chatFile = await uploadedFileId(app, customer.accessToken, "chat_attachment", samplePdf, "c.pdf");
    const before = (await call(customer, "GET", "/jobs")).body.items.length;
    const stolen = await call(customer, "POST", "/jobs", { ...jobBody(), attachmentFileIds: [theirFile] });
    expect(stolen.status).toBe(404);
    expect(stolen.body.errors[0]).toMatchObject({ path: "attachmentFileIds.0", code: "not_found" });
    const chat = await call(customer, "POST", "/jobs", { ...jobBody(), attachmentFileIds: [chatFile] });
    expect(chat.status).toBe(422);
    expect(chat.body.code).toBe("file.wrong_purpose");
    expect((await call(customer, "GET", "/jobs")).body.items.length).toBe(before);

    // Malformed ids, coordinates, unknown fields, huge budgets, a start in the past, NUL.
    const invalid = [
      await call(customer, "GET", "/jobs/not-a-uuid"),
      await call(customer, "POST", "/jobs", { ...jobBody(), location: { ...bakerStreet, lat: 91 } }),
      await call(customer, "POST", "/jobs", {
        ...jobBody(),
        location: { lat: "north", lng: 0, address: "x" },
      }),
      await call(customer, "POST", "/jobs", { ...jobBody(), status: "assigned" }),
      await call(customer, "POST", "/jobs", { ...jobBody(), budget: { amount: 1e12, currency: "gbp" } }),
      await call(customer, "POST", "/jobs", { ...jobBody(), budget: { amount: 10.5, currency: "gbp" } }),
      await call(customer, "POST", "/jobs", { ...jobBody(), preferredStart: "2001-01-01T00:00:00Z" }),
      await call(customer, "POST", "/jobs", { ...jobBody(), title: "Tap\u0000drip" }),
      await quote(plumber, "00000000-0000-0000-0000-00000000000g"),
      await call(plumber, "POST", `/jobs/${job.id}/quotes`, {
        price: { amount: -1, currency: "gbp" },
        message: "x",
      }),
      await call(customer, "GET", "/jobs?status=everything"),
      await call(customer, "GET", "/jobs?colour=red"),
    ];
    for (const response of invalid) {
      expect(response.status).toBe(400);
      expect(response.headers.get("content-type")).toContain("application/problem+json");
    }
    const unknownCategory = await call(customer, "POST", "/jobs", {
      ...jobBody(),
      categorySlug: "astrologer",
    });
    expect(unknownCategory.status).toBe(400);
    expect(unknownCategory.body.code).toBe("catalog.unknown_category");
    // A contractor without a profile cannot list or quote.
    const bare = await register(app, "contractor");
    expect((await call(bare, "GET", "/jobs")).body.code).toBe("contractor.profile_missing");
    expect((await quote(bare, job.id)).body.code).toBe("contractor.profile_missing");
    // Admins read any job and its quotes; the listing is not theirs.
    const admin = await login(app, "admin@jobs.test", "admin passphrase for jobs");
    const adminView = await call(admin, "GET", `/jobs/${job.id}`);
    expect(adminView.body).toMatchObject({ id: job.id, location: bakerStreet, quoteCount: 1 });
    expect((await call(admin, "GET", `/jobs/${job.id}/quotes`)).body.items).toHaveLength(1);
    expect((await call(admin, "GET", "/jobs")).status).toBe(403);
    // Oversized text and bodies: a clear 400, and 413 past the body limit.
    const long = await call(customer, "POST", "/jobs", { ...jobBody(), description: "x".repeat(5001) });
    expect(long.status).toBe(400);
    expect(long.body.errors[0]).toMatchObject({ path: "description", code: "too_long" });
    const huge = await call(customer, "POST", "/jobs", { ...jobBody(), description: "x".repeat(2_000_000) });
    expect(huge.status).toBe(413);
    const noStart = await postJob(customer, { preferredStart: undefined });
    const needsStart = await quote(plumber, noStart.id);
    expect(needsStart.status).toBe(400);
    expect(needsStart.body.errors[0]).toMatchObject({ path: "proposedStart", code: "required" });
    expect((await quote(plumber, noStart.id, 9000, { proposedStart: inTwoDays() })).status).toBe(201);
  });

  it("accepts a quote: booking accepted at the quoted price, job assigned, other quotes rejected", async () => {
    const customer = await register(app, "customer");
    const { job, photo } = await postJobWithPhoto(customer);
    const chosen = await createContractor(app, "Chosen", plumberProfile());
    const passed = await createContractor(app, "Passed Over", plumberProfile());
    const start = new Date(Date.now() + 3 * 86_400_000).toISOString();
    const winning = await quote(chosen, job.id, 9500, { proposedStart: start });
    const losing = await quote(passed, job.id, 8000);

    const accepted = await call(customer, "POST", `/jobs/${job.id}/quotes/${winning.body.id}/accept`);
    expect(accepted.status).toBe(201);
    expect(accepted.body).toMatchObject({
      status: "accepted",
      customer: { id: customer.id },
      contractor: { id: chosen.id, name: "Chosen" },
      price: { amount: 9500, currency: "gbp" },
      scheduledStart: start,
      location: bakerStreet,
      categorySlug: "plumber",
    });
    const booking = await call(chosen, "GET", `/bookings/${accepted.body.id}`);
    expect(booking.status).toBe(200);
    expect(booking.body.status).toBe("accepted");

    const assigned = await call(customer, "GET", `/jobs/${job.id}`);
    expect(assigned.body).toMatchObject({
      status: "assigned",
      assignedContractorId: chosen.id,
      bookingId: accepted.body.id,
    });
    const quotes = await call(customer, "GET", `/jobs/${job.id}/quotes`);
    expect(quotes.body.items).toMatchObject([
      { id: winning.body.id, status: "accepted", closedReason: null },
      { id: losing.body.id, status: "rejected", closedReason: "other_quote_accepted" },
    ]);
    // The assigned contractor now sees the address and keeps the attachment; the other one loses both.
    const theirs = await call(chosen, "GET", `/jobs/${job.id}`);
    expect(theirs.body.location).toEqual(bakerStreet);
    expect(theirs.body.attachments).toHaveLength(1);
    expect((await call(chosen, "GET", `/files/${photo}`)).status).toBe(200);
    const loser = await call(passed, "GET", `/jobs/${job.id}`);
    expect(loser.body).toMatchObject({ status: "assigned", attachments: [], bookingId: null });
    expect(loser.body.location.address).toBeNull();
    expect((await call(passed, "GET", `/files/${photo}`)).status).toBe(404);

    // Assigned: a new quote, a second accept, an edit or a withdrawal are refused, naming the state.
    const newcomer = await createContractor(app, "Newcomer", plumberProfile());
    for (const response of [
      await quote(newcomer, job.id),
      await call(customer, "POST", `/jobs/${job.id}/quotes/${losing.body.id}/accept`),
      await call(customer, "POST", `/jobs/${job.id}/cancel`),
      await call(chosen, "POST", `/jobs/${job.id}/quotes/${winning.body.id}/withdraw`),
    ]) {
      expect(response.status).toBe(409);
      expect(response.body.code).toBe("job.invalid_state");
      expect(response.body.detail).toContain("assigned");
    }
    // Only the owner accepts.
    const other = await postJob(customer);
    const pending = await quote(chosen, other.id);
    const stranger = await register(app, "customer");
    expect((await call(stranger, "POST", `/jobs/${other.id}/quotes/${pending.body.id}/accept`)).status).toBe(
      404,
    );
    expect((await call(chosen, "POST", `/jobs/${other.id}/quotes/${pending.body.id}/accept`)).status).toBe(
      403,
    );
    expect((await call(customer, "POST", `/jobs/${other.id}/quotes/${winning.body.id}/accept`)).status).toBe(
      404,
    );
  });

  it("lets exactly one of 20 concurrent accepts of one quote win, and replays an idempotent retry", async () => {
    const customer = await register(app, "customer");
    const job = await postJob(customer);
    const plumber = await createContractor(app, "Racer", plumberProfile());
    const sent = await quote(plumber, job.id);
    const path = `/api/v1/jobs/${job.id}/quotes/${sent.body.id}/accept`;
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => app.request("POST", path, { token: customer.accessToken })),
    );
    const statuses = answers.map((response) => response.status);
    expect(statuses.filter((status) => status === 201)).toHaveLength(1);
    expect(statuses.filter((status) => status === 409)).toHaveLength(19);
    const bookings = await call(customer, "GET", "/bookings");
    expect(
      bookings.body.items.filter((item: { contractor: { id: string } }) => item.contractor.id === plumber.id),
    ).toHaveLength(1);

    // With an Idempotency-Key, concurrent retries of one accept make one booking; a later retry replays it.
    const again = await postJob(customer);
    const second = await quote(plumber, again.id);
    const keyed = `/api/v1/jobs/${again.id}/quotes/${second.body.id}/accept`;
    const headers = { "idempotency-key": `accept-${again.id}` };
    const burst = await Promise.all(
      Array.from({ length: 5 }, () => app.request("POST", keyed, { token: customer.accessToken, headers })),
    );
    const created = burst.filter((response) => response.status === 201);
    expect(created.length).toBeGreaterThanOrEqual(1);
    expect(new Set(created.map((response) => response.body.id)).size).toBe(1);
    for (const response of burst.filter((answer) => answer.status !== 201)) {
      expect(response.status).toBe(409);
      expect(response.body.code).toBe("idempotency.in_progress");
    }
    const replay = await app.request("POST", keyed, { token: customer.accessToken, headers });
    expect(replay.status).toBe(201);
    expect(replay.body.id).toBe(created[0]?.body.id);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    const all = await call(customer, "GET", "/bookings?limit=100");
    expect(all.body.items).toHaveLength(2);
  });

  it("books once when two quotes are accepted at once, and lets cancel and accept not both win", async () => {
    const customer = await register(app, "customer");
    const first = await createContractor(app, "First", plumberProfile());
    const second = await createContractor(app, "Second", plumberProfile());
    for (let round = 0; round < 3; round += 1) {
      const job = await postJob(customer);
      const a = await quote(first, job.id);
      const b = await quote(second, job.id);
      const answers = await Promise.all(
        [a, b, a, b].map((sent) => call(customer, "POST", `/jobs/${job.id}/quotes/${sent.body.id}/accept`)),
      );
      expect(answers.filter((response) => response.status === 201)).toHaveLength(1);
      const quotes = (await call(customer, "GET", `/jobs/${job.id}/quotes`)).body.items;
      expect(quotes.map((item: { status: string }) => item.status).sort()).toEqual(["accepted", "rejected"]);
      const winner = answers.find((response) => response.status === 201)?.body;
      expect((await call(customer, "GET", `/jobs/${job.id}`)).body.bookingId).toBe(winner.id);
    }
    for (let round = 0; round < 3; round += 1) {
      const job = await postJob(customer);
      const sent = await quote(first, job.id);
      const [accept, cancel] = await Promise.all([
        call(customer, "POST", `/jobs/${job.id}/quotes/${sent.body.id}/accept`),
        call(customer, "POST", `/jobs/${job.id}/cancel`),
      ]);
      // Exactly one wins; the loser is told the state the winner left.
      expect([accept.status, cancel.status]).toEqual(accept.status === 201 ? [201, 409] : [409, 200]);
      const loser = accept.status === 201 ? cancel : accept;
      expect(loser.body.code).toBe("job.invalid_state");
      const final = (await call(customer, "GET", `/jobs/${job.id}`)).body;
      const quotes = (await call(customer, "GET", `/jobs/${job.id}/quotes`)).body.items;
      if (accept.status === 201) {
        expect(final).toMatchObject({ status: "assigned", bookingId: accept.body.id });
        expect(quotes[0].status).toBe("accepted");
      } else {
        expect(final).toMatchObject({ status: "cancelled", bookingId: null });
        expect(quotes[0]).toMatchObject({ status: "rejected", closedReason: "job_cancelled" });
      }
    }
    const bookings = (await call(customer, "GET", "/bookings?limit=100")).body.items;
    const jobs = (await call(customer, "GET", "/jobs?status=assigned&limit=100")).body.items;
    expect(bookings).toHaveLength(jobs.length);
  });

  it("leaves job and quotes untouched when creating the booking fails half-way through an accept", async () => {
    const customer = await register(app, "customer");
    const job = await postJob(customer, { title: "Booking will fail here" });
    const chosen = await createContractor(app, "Unlucky", plumberProfile());
    const other = await createContractor(app, "Bystander", plumberProfile());
    const sent = await quote(chosen, job.id);
    await quote(other, job.id);
    // A fault between the quote's update and the job's: the booking's insert fails in the database.
    await adminQuery(
      app.database.url,
      `create function fail_booking() returns trigger language plpgsql as $$
         begin
           if new.description like 'Booking will fail here%' then raise exception 'injected fault'; end if;
           return new;
         end $$;
       create trigger fail_booking before insert on bookings for each row execute function fail_booking();`,
    );
    try {
      const failed = await call(customer, "POST", `/jobs/${job.id}/quotes/${sent.body.id}/accept`);
      expect(failed.status).toBe(500);
    } finally {
      await adminQuery(
        app.database.url,
        "drop trigger fail_booking on bookings; drop function fail_booking();",
      );
    }
    expect((await call(customer, "GET", `/jobs/${job.id}`)).body).toMatchObject({
      status: "open",
      bookingId: null,
    });
    const quotes = (await call(customer, "GET", `/jobs/${job.id}/quotes`)).body.items;
    expect(quotes.map((item: { status: string }) => item.status)).toEqual(["pending", "pending"]);
    const retried = await call(customer, "POST", `/jobs/${job.id}/quotes/${sent.body.id}/accept`);
    expect(retried.status).toBe(201);
  });

  it("refuses to accept a quote without a start time, and a withdrawn quote", async () => {
    const customer = await register(app, "customer");
    const job = await postJob(customer);
    const plumber = await createContractor(app, "No Start", plumberProfile());
    const sent = await quote(plumber, job.id);
    expect((await call(customer, "PATCH", `/jobs/${job.id}`, { preferredStart: null })).status).toBe(200);
    const refused = await call(customer, "POST", `/jobs/${job.id}/quotes/${sent.body.id}/accept`);
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe("job.start_missing");
    expect((await call(customer, "GET", `/jobs/${job.id}`)).body.status).toBe("open");
    expect((await call(plumber, "GET", `/jobs/${job.id}/quotes`)).body.items[0].status).toBe("pending");

    const start = new Date(Date.now() + 5 * 86_400_000).toISOString();
    expect(
      (await call(plumber, "PATCH", `/jobs/${job.id}/quotes/${sent.body.id}`, { proposedStart: start }))
        .status,
    ).toBe(200);
    const withdrawnBy = await createContractor(app, "Withdrawer", plumberProfile());
    const withdrawn = await quote(withdrawnBy, job.id, 9000, { proposedStart: start });
    await call(withdrawnBy, "POST", `/jobs/${job.id}/quotes/${withdrawn.body.id}/withdraw`);
    const late = await call(customer, "POST", `/jobs/${job.id}/quotes/${withdrawn.body.id}/accept`);
    expect(late.status).toBe(409);
    expect(late.body.code).toBe("quote.invalid_state");
    expect(late.body.detail).toContain("withdrawn");
    expect(late.body.currentStatus).toBe("withdrawn");
    const ok = await call(customer, "POST", `/jobs/${job.id}/quotes/${sent.body.id}/accept`);
    expect(ok.status).toBe(201);
    expect(ok.body.scheduledStart).toBe(start);
  });

  const jobBody = () => ({
    title: "Fix a dripping kitchen tap",
    description: "The mixer tap drips constantly.",
    categorySlug: "plumber",
    location: bakerStreet,
    preferredStart: inTwoDays(),
  });

  it("pages newest first with no repeat and no gap, and refuses forged cursors", async () => {
    const customer = await register(app, "customer");
    const created: string[] = [];
    for (let index = 0; index < 7; index += 1)
      created.push((await postJob(customer, { title: `Job ${index}` })).id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { status: number; body: { items: { id: string }[]; nextCursor: string | null } } =
        await call(customer, "GET", `/jobs?limit=3${cursor ? `&cursor=${cursor}` : ""}`);
      expect(page.status).toBe(200);
      seen.push(...page.body.items.map((item) => item.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual([...created].reverse());

    const first = await call(customer, "GET", "/jobs?limit=2");
    const forged = [
      "not-a-cursor",
      Buffer.from(
        JSON.stringify(["x", "2026-01-01T00:00:00Z", "00000000-0000-0000-0000-000000000000"]),
      ).toString("base64url"),
      Buffer.from("[]").toString("base64url"),
    ];
    for (const bad of forged) {
      const response = await call(customer, "GET", `/jobs?limit=2&cursor=${bad}`);
      expect(response.status).toBe(400);
      expect(response.body.code).toBe("pagination.invalid_cursor");
    }
    // A cursor replayed with another filter is refused too.
    const replayed = await call(customer, "GET", `/jobs?limit=2&status=open&cursor=${first.body.nextCursor}`);
    expect(replayed.body.code).toBe("pagination.invalid_cursor");
  });
});
