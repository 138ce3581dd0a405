import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Account, login, register, strongPassword } from "../../../test/accounts.js";
import { TestClock } from "../../../test/clock.js";
import { createContractor, sampleProfile } from "../../../test/fixtures.js";
import { startTestServer, type TestResponse, type TestServer } from "../../../test/server.js";
import { until } from "../../../test/until.js";
import { transaction } from "../../db/transaction.js";
import type { ReviewEvent } from "./reviews.service.js";

const DAY_MS = 86_400_000;
const allWeek = [0, 1, 2, 3, 4, 5, 6].map((day) => ({ day, start: "00:00", end: "24:00" }));

type Stars = 1 | 2 | 3 | 4 | 5;

/** The rating the API should show for these visible ratings, computed here from scratch. */
function expectedRating(ratings: number[]) {
  const distribution = { 1: 0, 2: 0, 3: 0, 4: 0, 5: 0 };
  for (const rating of ratings) distribution[rating as Stars] += 1;
  const sum = ratings.reduce((total, rating) => total + rating, 0);
  const average = ratings.length === 0 ? 0 : Math.round((sum * 100) / ratings.length) / 100;
  return { average, count: ratings.length, distribution };
}

describe("reviews", () => {
  let app: TestServer;
  let clock: TestClock;
  let customer: Account;
  let contractor: Account;
  let admin: Account;
  const events: ReviewEvent[] = [];

  beforeAll(async () => {
    clock = new TestClock();
    app = await startTestServer(
      { ADMIN_EMAIL: "root@example.com", ADMIN_PASSWORD: strongPassword },
      { clock },
    );
    app.server.reviews.onReview(async (event) => {
      events.push(event);
    });
    customer = await register(app, "customer", { name: "Alice Brown" });
    contractor = await bookableContractor("Priya Patel");
    admin = await login(app, "root@example.com", strongPassword);
  });
  afterAll(async () => {
    await app.close();
  });

  /** A contractor who offers electrician work and is available at any hour (UTC). */
  async function bookableContractor(name?: string): Promise<Account> {
    const account = await createContractor(app, name);
    const saved = await app.request("PUT", "/api/v1/contractors/me/availability", {
      token: account.accessToken,
      body: { timezone: "UTC", weekly: allWeek },
    });
    if (saved.status !== 200) throw new Error(`availability failed: ${JSON.stringify(saved.body)}`);
    return account;
  }

  const post = (who: Account | undefined, path: string, body?: unknown) =>
    app.request("POST", `/api/v1${path}`, { token: who?.accessToken, body });

  /** A booking asked for over the API and accepted by its contractor. */
  async function acceptedBooking(who: Account = customer, by: Account = contractor): Promise<string> {
    const start = new Date(clock.now().getTime() + 3 * DAY_MS);
    start.setUTCMinutes(0, 0, 0);
    const created = await post(who, "/bookings", {
      contractorId: by.id,
      categorySlug: "electrician",
      description: "Replace the fuse board",
      scheduledStart: start.toISOString(),
      scheduledEnd: new Date(start.getTime() + 3 * 3_600_000).toISOString(),
      location: { lat: 51.52, lng: -0.15, address: "221B Baker Street, London" },
      price: { amount: 24000, currency: "gbp" },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect((await post(by, `/bookings/${created.body.id}/accept`)).status).toBe(200);
    return created.body.id;
  }

  /** Paid (the payments module's step, taken through the bookings service), started and completed. */
  async function completedBooking(who: Account = customer, by: Account = contractor): Promise<string> {
    const id = await acceptedBooking(who, by);
    await app.server.bookings.markFunded(id, {
      by: "system",
      amounts: { commission: 2400, contractorAmount: 21600 },
    });
    expect((await post(by, `/bookings/${id}/start`)).status).toBe(200);
    expect((await post(by, `/bookings/${id}/complete`)).status).toBe(200);
    return id;
  }

  async function releasedBooking(who: Account = customer, by: Account = contractor): Promise<string> {
    const id = await completedBooking(who, by);
    expect((await post(who, `/bookings/${id}/confirm`)).status).toBe(200);
    return id;
  }

  /** A completed booking disputed by its customer and settled by an admin with this refund. */
  async function resolvedBooking(refundAmount: number, by: Account = contractor): Promise<string> {
    const id = await completedBooking(customer, by);
    expect(
      (await post(customer, `/bookings/${id}/dispute`, { reason: "Two sockets do not work" })).status,
    ).toBe(200);
    await app.server.bookings.resolveDispute(id, { by: admin.id, refundAmount, note: "settled" });
    return id;
  }

  const review = (who: Account, bookingId: string, body: unknown) =>
    post(who, `/bookings/${bookingId}/review`, body);

  async function reviewed(
    who: Account,
    bookingId: string,
    rating: number,
    comment?: string,
  ): Promise<string> {
    const response = await review(who, bookingId, { rating, ...(comment ? { comment } : {}) });
    expect(response.status, JSON.stringify(response.body)).toBe(201);
    return response.body.id;
  }

  async function ratingShown(of: Account) {
    const list = await app.request("GET", `/api/v1/contractors/${of.id}/reviews?limit=1`);
    expect(list.status, JSON.stringify(list.body)).toBe(200);
    const profile = await app.request("GET", `/api/v1/contractors/${of.id}`);
    expect(profile.status).toBe(200);
    // The profile's copy (what search sorts on) and the aggregate always agree.
    expect(profile.body.rating).toEqual({ average: list.body.rating.average, count: list.body.rating.count });
    return list.body.rating as ReturnType<typeof expectedRating>;
  }

  it("takes a customer's review of a released booking and shows it publicly with the contractor's new rating", async () => {
    const bookingId = await releasedBooking();
    const created = await review(customer, bookingId, {
      rating: 4,
      comment: "  Tidy work, explained everything.  ",
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({
      bookingId,
      contractorId: contractor.id,
      categorySlug: "electrician",
      rating: 4,
      comment: "Tidy work, explained everything.",
      editedAt: null,
      reply: null,
      hidden: false,
    });
    expect(Date.parse(created.body.editableUntil) - Date.parse(created.body.createdAt)).toBe(7 * DAY_MS);

    const list = await app.request("GET", `/api/v1/contractors/${contractor.id}/reviews`);
    expect(list.status).toBe(200);
    expect(list.body.items).toEqual([
      {
        id: created.body.id,
        rating: 4,
        comment: "Tidy work, explained everything.",
        reviewer: { firstName: "Alice" },
        categorySlug: "electrician",
        createdAt: created.body.createdAt,
        editedAt: null,
        reply: null,
      },
    ]);
    expect(JSON.stringify(list.body)).not.toContain("Brown");
    expect(list.body.rating).toEqual({
      average: 4,
      count: 1,
      distribution: { 1: 0, 2: 0, 3: 0, 4: 1, 5: 0 },
    });
    expect(await ratingShown(contractor)).toMatchObject({ average: 4, count: 1 });
  });

  it("refuses a review before release, a second review, one on someone else's booking, and one by the contractor", async () => {
    const accepted = await acceptedBooking();
    const early = await review(customer, accepted, { rating: 5 });
    expect(early.status).toBe(409);
    expect(early.body).toMatchObject({ code: "review.booking_not_finished", currentStatus: "accepted" });

    const completed = await completedBooking();
    expect((await review(customer, completed, { rating: 5 })).body.code).toBe("review.booking_not_finished");

    const released = await releasedBooking();
    const stranger = await register(app, "customer");
    const foreign = await review(stranger, released, { rating: 1, comment: "Never met them" });
    expect(foreign.status).toBe(404);
    expect(foreign.body.code).toBe("review.booking_not_found");
    const unknown = await review(customer, "0193a2b4-1c2d-7e3f-8a4b-5c6d7e8f9a0b", { rating: 3 });
    expect(unknown.status).toBe(404);
    const byContractor = await review(contractor, released, { rating: 5 });
    expect(byContractor.status).toBe(403);

    const before = await ratingShown(contractor);
    const first = await reviewed(customer, released, 5);
    const second = await review(customer, released, { rating: 1, comment: "Changed my mind" });
    expect(second.status).toBe(409);
    expect(second.body).toMatchObject({ code: "review.exists", reviewId: first });
    const after = await ratingShown(contractor);
    expect(after.count).toBe(before.count + 1);
    expect(after.distribution[1]).toBe(before.distribution[1]);
  });

  it("takes a review after a dispute resolved for the contractor or partially refunded, not after a full refund", async () => {
    const other = await bookableContractor("Kwame Mensah");
    const released = await resolvedBooking(0, other);
    const partial = await resolvedBooking(6000, other);
    const refunded = await resolvedBooking(24000, other);
    expect((await review(customer, released, { rating: 4 })).status).toBe(201);
    expect((await review(customer, partial, { rating: 2, comment: "Half the job was redone" })).status).toBe(
      201,
    );
    const refused = await review(customer, refunded, { rating: 1 });
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ code: "review.booking_not_finished", currentStatus: "refunded" });
    expect(await ratingShown(other)).toEqual(expectedRating([4, 2]));
  });

  it("answers one 201 and one 409 to two submissions of one booking's review at once", async () => {
    const other = await bookableContractor();
    const bookingId = await releasedBooking(customer, other);
    const answers = await Promise.all([
      review(customer, bookingId, { rating: 5 }),
      review(customer, bookingId, { rating: 1 }),
    ]);
    expect(answers.map((answer) => answer.status).sort()).toEqual([201, 409]);
    expect(answers.find((answer) => answer.status === 409)?.body.code).toBe("review.exists");
    const stored = answers.find((answer) => answer.status === 201)?.body.rating;
    expect(await ratingShown(other)).toEqual(expectedRating([stored]));
  });

  it("keeps the rating exact when many customers review one contractor at once", async () => {
    const other = await bookableContractor();
    // A first review, so the burst finds the aggregate row in place rather than queueing to create it.
    await reviewed(customer, await releasedBooking(customer, other), 3);
    const customers = await Promise.all(Array.from({ length: 12 }, () => register(app, "customer")));
    const bookings = [];
    for (const who of customers) bookings.push(await releasedBooking(who, other));
    const ratings = [5, 4, 1, 5, 3, 2, 5, 4, 1, 2, 5, 5];
    const answers = await Promise.all(
      bookings.map((bookingId, index) => {
        const who = customers[index] as Account;
        return review(who, bookingId, { rating: ratings[index] });
      }),
    );
    expect(answers.map((answer) => answer.status)).toEqual(ratings.map(() => 201));
    const expected = expectedRating([3, ...ratings]);
    expect(await ratingShown(other)).toEqual(expected);
    const search = await app.request("GET", `/api/v1/contractors?q=Licensed&sort=rating&limit=100`);
    expect(search.status).toBe(200);
    const found = search.body.items.find((item: { id: string }) => item.id === other.id);
    expect(found?.rating).toEqual({ average: expected.average, count: expected.count });
  });

  it("counts a review written while another review of the same contractor is still uncommitted", async () => {
    const other = await bookableContractor();
    await reviewed(customer, await releasedBooking(customer, other), 3);
    const second = await register(app, "customer");
    const first = await releasedBooking(customer, other);
    const later = await releasedBooking(second, other);
    let pending: Promise<TestResponse> | undefined;
    await transaction(app.server.database.pool, async () => {
      // Joins this transaction, which stays open until the review below is waiting for it.
      await app.server.reviews.create({ id: customer.id, role: "customer" }, first, { rating: 1 });
      pending = review(second, later, { rating: 5 });
      await waitForLockWaiter();
    });
    expect((await pending)?.status).toBe(201);
    expect(await ratingShown(other)).toEqual(expectedRating([3, 1, 5]));
  });

  /** Until some statement of this test's database waits for a row lock. */
  async function waitForLockWaiter(): Promise<void> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const { rows } = await app.server.database.pool.query<{ waiting: number }>(
        "select count(*)::int as waiting from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'",
      );
      if ((rows[0]?.waiting ?? 0) > 0) return;
      if (Date.now() > deadline) throw new Error("no statement waited for the lock");
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  it("stores nothing when copying the rating to the profile fails, so the review can be sent again", async () => {
    const other = await bookableContractor();
    const bookingId = await releasedBooking(customer, other);
    const { pool } = app.server.database;
    // A failure between the review's insert and the end of its transaction: the profile's update is refused.
    await pool.query(`create function refuse_rating() returns trigger language plpgsql as $$
      begin raise exception 'rating copy refused'; end $$`);
    await pool.query(`create trigger refuse_rating before update of rating_average on contractor_profiles
      for each row when (new.user_id = '${other.id}') execute function refuse_rating()`);
    try {
      const failed = await review(customer, bookingId, { rating: 2 });
      expect(failed.status).toBe(500);
      expect(failed.body.code).toBe("internal");
    } finally {
      await pool.query("drop trigger refuse_rating on contractor_profiles");
      await pool.query("drop function refuse_rating()");
    }
    expect((await app.request("GET", `/api/v1/contractors/${other.id}/reviews`)).body.items).toEqual([]);
    expect(await ratingShown(other)).toEqual(expectedRating([]));
    expect((await review(customer, bookingId, { rating: 4 })).status).toBe(201);
    expect(await ratingShown(other)).toEqual(expectedRating([4]));
  });

  it("lets its author change a review within the edit window, moving the rating, and not after", async () => {
    const other = await bookableContractor();
    const first = await reviewed(customer, await releasedBooking(customer, other), 2, "Late");
    await reviewed(customer, await releasedBooking(customer, other), 4);

    const stranger = await register(app, "customer");
    const foreign = await app.request("PATCH", `/api/v1/reviews/${first}`, {
      token: stranger.accessToken,
      body: { rating: 1 },
    });
    expect(foreign.status).toBe(403);
    expect(foreign.body.code).toBe("review.not_author");
    expect(
      (
        await app.request("PATCH", `/api/v1/reviews/${first}`, {
          token: customer.accessToken,
          body: {},
        })
      ).status,
    ).toBe(400);

    clock.advance(6 * DAY_MS);
    try {
      // Access tokens have expired meanwhile: sign in again, as an app would.
      let author = await login(app, customer.email, customer.password);
      const edited = await app.request("PATCH", `/api/v1/reviews/${first}`, {
        token: author.accessToken,
        body: { rating: 5, comment: null },
      });
      expect(edited.status, JSON.stringify(edited.body)).toBe(200);
      expect(edited.body).toMatchObject({ rating: 5, comment: null });
      expect(edited.body.editedAt).not.toBeNull();
      expect(await ratingShown(other)).toEqual(expectedRating([5, 4]));

      clock.advance(DAY_MS + 1000);
      author = await login(app, customer.email, customer.password);
      const late = await app.request("PATCH", `/api/v1/reviews/${first}`, {
        token: author.accessToken,
        body: { rating: 1 },
      });
      expect(late.status).toBe(409);
      expect(late.body).toMatchObject({
        code: "review.edit_window_closed",
        editableUntil: edited.body.editableUntil,
      });
      expect(await ratingShown(other)).toEqual(expectedRating([5, 4]));
    } finally {
      clock.advance(-(7 * DAY_MS + 1000));
    }
  });

  it("lets only the reviewed contractor reply, once, and shows the reply under the review", async () => {
    const reviewId = await reviewed(customer, await releasedBooking(), 3, "Fine, but left a mess");
    const rival = await bookableContractor("Jan Kowalski");
    for (const who of [rival, customer, admin]) {
      const refused = await post(who, `/reviews/${reviewId}/reply`, { text: "Nonsense" });
      expect(refused.status).toBe(403);
      expect(refused.body.code).toBe("review.not_reviewed_contractor");
    }
    expect((await post(undefined, `/reviews/${reviewId}/reply`, { text: "Hi" })).status).toBe(401);
    const replies = await Promise.all([
      post(contractor, `/reviews/${reviewId}/reply`, { text: "Sorry about that, I will bring dust sheets." }),
      post(contractor, `/reviews/${reviewId}/reply`, { text: "Second thoughts" }),
    ]);
    expect(replies.map((reply) => reply.status).sort()).toEqual([201, 409]);
    const kept = replies.find((reply) => reply.status === 201)?.body.reply.text;
    const list = await app.request("GET", `/api/v1/contractors/${contractor.id}/reviews?limit=100`);
    const shown = list.body.items.find((item: { id: string }) => item.id === reviewId);
    expect(shown.reply).toMatchObject({ text: kept });
  });

  it("tells the registered consumers of a new review (for the contractor) and of a reply (for the customer)", async () => {
    const bookingId = await releasedBooking();
    const reviewId = await reviewed(customer, bookingId, 5);
    expect((await post(contractor, `/reviews/${reviewId}/reply`, { text: "Thanks!" })).status).toBe(201);
    const created = await until("the review event", () =>
      events.find((event) => event.reviewId === reviewId && event.kind === "review.created"),
    );
    expect(created).toMatchObject({
      bookingId,
      contractorId: contractor.id,
      customerId: customer.id,
      rating: 5,
    });
    await until("the reply event", () =>
      events.find((event) => event.reviewId === reviewId && event.kind === "review.replied"),
    );
  });

  it("hides and shows a review again: admins only, out of the list and the rating while hidden, audited", async () => {
    const other = await bookableContractor();
    const kept = await reviewed(customer, await releasedBooking(customer, other), 5);
    const spam = await reviewed(
      customer,
      await releasedBooking(customer, other),
      1,
      "Call 07700 900123 instead",
    );
    expect(await ratingShown(other)).toEqual(expectedRating([5, 1]));

    for (const who of [customer, other]) {
      expect((await post(who, `/admin/reviews/${spam}/hide`, { reason: "Advertising" })).status).toBe(403);
    }
    expect((await post(admin, `/admin/reviews/${spam}/hide`, {})).status).toBe(400);
    const hidden = await post(admin, `/admin/reviews/${spam}/hide`, { reason: "Advertising" });
    expect(hidden.status, JSON.stringify(hidden.body)).toBe(200);
    expect(hidden.body).toMatchObject({
      hidden: true,
      moderation: { reason: "Advertising", by: admin.id },
      customer: { id: customer.id, name: "Alice Brown" },
    });
    expect((await post(admin, `/admin/reviews/${spam}/hide`, { reason: "Again" })).body.code).toBe(
      "review.already_hidden",
    );
    expect(await ratingShown(other)).toEqual(expectedRating([5]));
    const list = await app.request("GET", `/api/v1/contractors/${other.id}/reviews`);
    expect(list.body.items.map((item: { id: string }) => item.id)).toEqual([kept]);
    expect((await post(other, `/reviews/${spam}/reply`, { text: "Hm" })).body.code).toBe("review.hidden");
    const stranger = await register(app, "customer");
    const hiddenFromStranger = await app.request("PATCH", `/api/v1/reviews/${spam}`, {
      token: stranger.accessToken,
      body: { rating: 5 },
    });
    expect(hiddenFromStranger.status).toBe(404);
    const byAuthor = await app.request("PATCH", `/api/v1/reviews/${spam}`, {
      token: customer.accessToken,
      body: { comment: "Fixed it" },
    });
    expect(byAuthor.body.code).toBe("review.hidden");

    const hiddenList = await app.request(
      "GET",
      `/api/v1/admin/reviews?status=hidden&contractorId=${other.id}`,
      {
        token: admin.accessToken,
      },
    );
    expect(hiddenList.body.items.map((item: { id: string }) => item.id)).toEqual([spam]);
    // The admin's user page lists what a customer wrote: hidden or not, newest first, nobody else's.
    const adminList = async (query: string) => {
      const answer = await app.request("GET", `/api/v1/admin/reviews?${query}`, { token: admin.accessToken });
      expect(answer.status, JSON.stringify(answer.body)).toBe(200);
      return answer.body.items as { id: string; customer: { id: string } }[];
    };
    expect(
      (await adminList(`customerId=${customer.id}&contractorId=${other.id}`)).map((item) => item.id),
    ).toEqual([spam, kept]);
    const written = await adminList(`customerId=${customer.id}&limit=100`);
    expect(written.length).toBeGreaterThanOrEqual(2);
    expect(written.every((item) => item.customer.id === customer.id)).toBe(true);
    expect(await adminList(`customerId=${stranger.id}`)).toEqual([]);
    const malformed = await app.request("GET", "/api/v1/admin/reviews?customerId=alice%00", {
      token: admin.accessToken,
    });
    expect(malformed.status).toBe(400);
    expect((await app.request("GET", "/api/v1/admin/reviews", { token: customer.accessToken })).status).toBe(
      403,
    );

    const shown = await post(admin, `/admin/reviews/${spam}/unhide`, {});
    expect(shown.status).toBe(200);
    expect(shown.body).toMatchObject({ hidden: false, moderation: null });
    expect((await post(admin, `/admin/reviews/${spam}/unhide`, {})).body.code).toBe("review.not_hidden");
    expect(await ratingShown(other)).toEqual(expectedRating([5, 1]));

    const log = await app.request("GET", `/api/v1/admin/audit-log?targetType=review&targetId=${spam}`, {
      token: admin.accessToken,
    });
    expect(log.status).toBe(200);
    expect(
      log.body.items.map((entry: { action: string; actor: { id: string }; reason: string | null }) => [
        entry.action,
        entry.actor.id,
        entry.reason,
      ]),
    ).toEqual([
      ["review.unhide", admin.id, null],
      ["review.hide", admin.id, "Advertising"],
    ]);
    expect(log.body.items[1]).toMatchObject({
      before: { hidden: false, reason: null },
      after: { hidden: true, reason: "Advertising", contractorRating: { average: 5, count: 1 } },
    });
  });

  it("answers bad input with a 400 naming the field: ratings out of range, long comments, NUL, unknown fields", async () => {
    const bookingId = await releasedBooking();
    const cases: [unknown, string][] = [
      [{ rating: 0 }, "rating"],
      [{ rating: 6 }, "rating"],
      [{ rating: 4.5 }, "rating"],
      [{ rating: "5" }, "rating"],
      [{}, "rating"],
      [{ rating: 5, comment: "x".repeat(2001) }, "comment"],
      [{ rating: 5, comment: "   " }, "comment"],
      [{ rating: 5, comment: "fine\u0000work" }, "comment"],
      [{ rating: 5, stars: 5 }, "stars"],
    ];
    for (const [body, path] of cases) {
      const response = await review(customer, bookingId, body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.headers.get("content-type")).toContain("application/problem+json");
      expect(response.body.code).toBe("validation.failed");
      expect(response.body.errors.map((error: { path: string }) => error.path)).toContain(path);
    }
    expect((await review(customer, "not-a-uuid", { rating: 5 })).status).toBe(400);
    const huge = await review(customer, bookingId, { rating: 5, comment: "x".repeat(2_000_000) });
    expect(huge.status).toBe(413);
    const longest = await review(customer, bookingId, { rating: 5, comment: "é".repeat(2000) });
    expect(longest.status).toBe(201);
    expect(longest.body.comment).toHaveLength(2000);
  });

  it("pages a contractor's reviews newest first without repeats, and refuses a bad cursor", async () => {
    const other = await bookableContractor();
    const ids: string[] = [];
    for (const rating of [1, 2, 3, 4, 5])
      ids.push(await reviewed(customer, await releasedBooking(customer, other), rating));
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { status: number; body: { items: { id: string }[]; nextCursor: string | null } } =
        await app.request(
          "GET",
          `/api/v1/contractors/${other.id}/reviews?limit=2${cursor ? `&cursor=${cursor}` : ""}`,
        );
      expect(page.status).toBe(200);
      seen.push(...page.body.items.map((item) => item.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());

    for (const bad of ["garbage", Buffer.from('["x","\\u0000"]').toString("base64url"), "A".repeat(600)]) {
      const response = await app.request("GET", `/api/v1/contractors/${other.id}/reviews?cursor=${bad}`);
      expect(response.status).toBe(400);
      expect(response.body.code).toBe("pagination.invalid_cursor");
    }
    expect((await app.request("GET", `/api/v1/contractors/${customer.id}/reviews`)).status).toBe(404);
    expect((await app.request("GET", "/api/v1/contractors/not-an-id/reviews")).status).toBe(400);
  });

  it("names a deleted reviewer as a former customer and stops listing a deleted contractor's reviews", async () => {
    const other = await bookableContractor();
    const leaving = await register(app, "customer", { name: "Dana Leaving" });
    await reviewed(leaving, await releasedBooking(leaving, other), 4, "Good");
    const erase = (who: Account) =>
      app.request("DELETE", "/api/v1/me", { token: who.accessToken, body: { password: who.password } });
    expect((await erase(leaving)).status).toBe(204);
    const list = await app.request("GET", `/api/v1/contractors/${other.id}/reviews`);
    expect(
      list.body.items.map((item: { reviewer: { firstName: string } }) => item.reviewer.firstName),
    ).toEqual(["Former customer"]);
    expect((await erase(other)).status).toBe(204);
    expect((await app.request("GET", `/api/v1/contractors/${other.id}/reviews`)).status).toBe(404);
  });

  it("lets a contractor rate a finished booking's customer once, shown to contractors and admins only", async () => {
    const who = await register(app, "customer", { name: "Ben Okafor" });
    const bookingId = await releasedBooking(who);
    const open = await acceptedBooking(who);
    expect((await post(contractor, `/bookings/${open}/customer-rating`, { rating: 5 })).body.code).toBe(
      "review.booking_not_finished",
    );
    expect((await post(who, `/bookings/${bookingId}/customer-rating`, { rating: 5 })).status).toBe(403);
    const rival = await bookableContractor();
    expect((await post(rival, `/bookings/${bookingId}/customer-rating`, { rating: 1 })).status).toBe(404);

    const rated = await post(contractor, `/bookings/${bookingId}/customer-rating`, {
      rating: 4,
      comment: "Clear brief",
    });
    expect(rated.status, JSON.stringify(rated.body)).toBe(201);
    expect(rated.body).toMatchObject({ bookingId, customerId: who.id, rating: 4, comment: "Clear brief" });
    expect((await post(contractor, `/bookings/${bookingId}/customer-rating`, { rating: 1 })).body.code).toBe(
      "customer_rating.exists",
    );

    // The contractor judging the open request sees how the customer was rated; the customer never does.
    const forContractor = await app.request("GET", `/api/v1/bookings/${open}`, {
      token: contractor.accessToken,
    });
    expect(forContractor.body.customerRating).toEqual({ average: 4, count: 1 });
    const listed = await app.request("GET", "/api/v1/bookings?role=contractor&limit=100", {
      token: contractor.accessToken,
    });
    expect(listed.body.items.find((item: { id: string }) => item.id === open)?.customerRating).toEqual({
      average: 4,
      count: 1,
    });
    const forAdmin = await app.request("GET", `/api/v1/bookings/${open}`, { token: admin.accessToken });
    expect(forAdmin.body.customerRating).toEqual({ average: 4, count: 1 });
    const forCustomer = await app.request("GET", `/api/v1/bookings/${open}`, { token: who.accessToken });
    expect(forCustomer.status).toBe(200);
    expect(forCustomer.body).not.toHaveProperty("customerRating");
    const customerList = await app.request("GET", "/api/v1/bookings?limit=100", { token: who.accessToken });
    expect(JSON.stringify(customerList.body)).not.toContain("customerRating");

    // So does a contractor looking at the customer's job request; the customer does not.
    const job = await post(who, "/jobs", {
      title: "Two new sockets",
      description: "In the kitchen, above the worktop.",
      categorySlug: "electrician",
      location: { lat: 51.51, lng: -0.12, address: "12 Example Street, London" },
    });
    expect(job.status, JSON.stringify(job.body)).toBe(201);
    expect(job.body).not.toHaveProperty("customerRating");
    const seenByRival = await app.request("GET", `/api/v1/jobs/${job.body.id}`, { token: rival.accessToken });
    expect(seenByRival.body.customerRating).toEqual({ average: 4, count: 1 });
    const openJobs = await app.request("GET", "/api/v1/jobs?limit=100", { token: rival.accessToken });
    expect(
      openJobs.body.items.find((item: { id: string }) => item.id === job.body.id)?.customerRating,
    ).toEqual({
      average: 4,
      count: 1,
    });
    const ownJob = await app.request("GET", `/api/v1/jobs/${job.body.id}`, { token: who.accessToken });
    expect(ownJob.body).not.toHaveProperty("customerRating");
    expect(
      (await app.request("GET", `/api/v1/customers/${who.id}/rating`, { token: rival.accessToken })).body,
    ).toEqual({
      customerId: who.id,
      average: 4,
      count: 1,
    });
    expect(
      (await app.request("GET", `/api/v1/customers/${who.id}/rating`, { token: who.accessToken })).status,
    ).toBe(403);
    expect(
      (await app.request("GET", `/api/v1/customers/${contractor.id}/rating`, { token: rival.accessToken }))
        .status,
    ).toBe(404);
  });

  it("sorts and filters search by the rating reviews left", async () => {
    const profile = { ...sampleProfile, headline: "Rated sparky for the sort test" };
    const low = await createContractor(app, undefined, profile);
    const high = await createContractor(app, undefined, profile);
    for (const [who, rating] of [
      [low, 2],
      [high, 5],
    ] as const) {
      await app.request("PUT", "/api/v1/contractors/me/availability", {
        token: who.accessToken,
        body: { timezone: "UTC", weekly: allWeek },
      });
      await reviewed(customer, await releasedBooking(customer, who), rating);
    }
    const sorted = await app.request("GET", "/api/v1/contractors?q=sort%20test&sort=rating");
    expect(sorted.body.items.map((item: { id: string }) => item.id)).toEqual([high.id, low.id]);
    const filtered = await app.request("GET", "/api/v1/contractors?q=sort%20test&minRating=4");
    expect(filtered.body.items.map((item: { id: string }) => item.id)).toEqual([high.id]);
  });

  it("keeps the stored rating equal to one recomputed from the visible reviews, whatever is created, edited, hidden or shown", async () => {
    type Command =
      | { kind: "create"; rating: number }
      | { kind: "edit"; index: number; rating: number }
      | { kind: "hide"; index: number }
      | { kind: "unhide"; index: number };
    const star = fc.integer({ min: 1, max: 5 });
    const command: fc.Arbitrary<Command> = fc.oneof(
      fc.record({ kind: fc.constant("create" as const), rating: star }),
      fc.record({ kind: fc.constant("edit" as const), index: fc.nat(), rating: star }),
      fc.record({ kind: fc.constant("hide" as const), index: fc.nat() }),
      fc.record({ kind: fc.constant("unhide" as const), index: fc.nat() }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 8 }), async (commands) => {
        const subject = await bookableContractor();
        const model: { id: string; rating: number; hidden: boolean }[] = [];
        for (const step of commands) {
          const target =
            model.length > 0 && step.kind !== "create" ? model[step.index % model.length] : undefined;
          if (step.kind === "create") {
            const id = await reviewed(customer, await releasedBooking(customer, subject), step.rating);
            model.push({ id, rating: step.rating, hidden: false });
          } else if (target && step.kind === "edit") {
            const edited = await app.request("PATCH", `/api/v1/reviews/${target.id}`, {
              token: customer.accessToken,
              body: { rating: step.rating },
            });
            expect(edited.status).toBe(target.hidden ? 409 : 200);
            if (!target.hidden) target.rating = step.rating;
          } else if (target && step.kind === "hide") {
            const hidden = await post(admin, `/admin/reviews/${target.id}/hide`, { reason: "Checking" });
            expect(hidden.status).toBe(target.hidden ? 409 : 200);
            target.hidden = true;
          } else if (target && step.kind === "unhide") {
            const shown = await post(admin, `/admin/reviews/${target.id}/unhide`, {});
            expect(shown.status).toBe(target.hidden ? 200 : 409);
            target.hidden = false;
          }
        }
        const visible = model.filter((entry) => !entry.hidden).map((entry) => entry.rating);
        expect(await ratingShown(subject)).toEqual(expectedRating(visible));
      }),
      { numRuns: 12 },
    );
  });
});
