import fc from "fast-check";
import Stripe from "stripe";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type Account, login, register, strongPassword } from "../../../test/accounts.js";
import { forgeCursor } from "../../../test/cursors.js";
import { createContractor } from "../../../test/fixtures.js";
import { expectLedgerBalanced } from "../../../test/ledger.js";
import { startTestServer, type TestServer } from "../../../test/server.js";
import { type StripeDouble, startStripeDouble } from "../../../test/stripe-double.js";
import { until } from "../../../test/until.js";
import { paymentChecks, type StripeModel, type StripeObject } from "./index.js";

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const allWeek = [0, 1, 2, 3, 4, 5, 6].map((day) => ({ day, start: "00:00", end: "24:00" }));
const simulatedSecret = "whsec_simulated_suite_0123456789";

describe.each(["simulated", "stripe"] as const)("payments through the %s gateway", (mode) => {
  let app: TestServer;
  let double: StripeDouble | undefined;
  let model: StripeModel;
  let webhookSecret: string;
  let customer: Account;
  let contractor: Account;
  let admin: Account;

  beforeAll(async () => {
    const adminEnv = { ADMIN_EMAIL: "root@example.com", ADMIN_PASSWORD: strongPassword };
    if (mode === "stripe") {
      double = await startStripeDouble();
      webhookSecret = double.webhookSecret;
      app = await startTestServer({
        ...adminEnv,
        STRIPE_SECRET_KEY: double.secretKey,
        STRIPE_WEBHOOK_SECRET: double.webhookSecret,
        STRIPE_API_BASE: double.url,
      });
      double.deliverTo(`${app.url}/api/v1/webhooks/stripe`);
      model = double.model;
    } else {
      webhookSecret = simulatedSecret;
      app = await startTestServer({ ...adminEnv, STRIPE_WEBHOOK_SECRET: simulatedSecret });
      const simulated = app.server.simulatedStripe;
      if (!simulated) throw new Error("the server did not start the simulated gateway");
      model = simulated;
    }
    customer = await register(app, "customer", { name: "Alice Brown" });
    contractor = await bookableContractor("Priya Patel");
    admin = await login(app, "root@example.com", strongPassword);
    await onboard(contractor);
  });

  afterAll(async () => {
    await app?.close();
    await double?.close();
  });

  /** Every queued payment job done and every stored event processed. */
  async function quiet(): Promise<void> {
    await until(
      "payment jobs to finish",
      async () => {
        const { rows } = await app.server.database.pool.query<{ busy: string }>(
          `select (select count(*) from pgboss.job where name like 'payment.%' and state in ('created','retry','active'))
                + (select count(*) from payment_webhook_events where processed_at is null) as busy`,
        );
        return Number(rows[0]?.busy) === 0;
      },
      { timeoutMs: 30_000 },
    );
  }

  afterEach(async () => {
    await quiet();
    // The ledger balances to zero and agrees with the gateway's objects after every test.
    const pool = app.server.database.pool;
    await expectLedgerBalanced(pool, paymentChecks({ pool, settings: app.config.payments }));
  });

  async function bookableContractor(name: string): Promise<Account> {
    const account = await createContractor(app, name);
    const saved = await app.request("PUT", "/api/v1/contractors/me/availability", {
      token: account.accessToken,
      body: { timezone: "UTC", weekly: allWeek },
    });
    if (saved.status !== 200) throw new Error(`availability failed: ${JSON.stringify(saved.body)}`);
    return account;
  }

  /** Onboarding as the app does it; with Stripe, the contractor then finishes Stripe's form. */
  async function onboard(who: Account): Promise<void> {
    const started = await app.request("POST", "/api/v1/payments/connect/onboarding", {
      token: who.accessToken,
    });
    expect(started.status, JSON.stringify(started.body)).toBe(200);
    expect(started.body.url).toMatch(/^https?:\/\//);
    const account = (await model.list("account")).find((found) => found.metadata?.userId === who.id);
    if (!account) throw new Error("no connected account was created");
    expect(account.settings.payouts.schedule.interval).toBe("manual");
    if (!account.capabilities?.transfers || account.capabilities.transfers !== "active") {
      await model.completeOnboarding(account.id);
    }
    await until("onboarding to complete", async () => {
      const status = await app.request("GET", "/api/v1/payments/connect/status", { token: who.accessToken });
      return status.body.transfersEnabled === true ? status : undefined;
    });
  }

  async function book(overrides: Record<string, unknown> = {}, who: Account = contractor) {
    const start = new Date(Date.now() + 3 * DAY_MS);
    start.setUTCMinutes(0, 0, 0);
    const response = await app.request("POST", "/api/v1/bookings", {
      token: customer.accessToken,
      body: {
        contractorId: who.id,
        categorySlug: "electrician",
        description: "Replace the fuse board",
        scheduledStart: start.toISOString(),
        location: { lat: 51.52, lng: -0.15, address: "221B Baker Street, London" },
        price: { amount: 24000, currency: "gbp" },
        ...overrides,
      },
    });
    expect(response.status, JSON.stringify(response.body)).toBe(201);
    const accepted = await act(who, response.body.id, "accept");
    expect(accepted.status).toBe(200);
    return response.body.id as string;
  }

  const act = (who: Account, id: string, action: string, body?: unknown) =>
    app.request("POST", `/api/v1/bookings/${id}/${action}`, { token: who.accessToken, body });

  const read = async (id: string) =>
    (await app.request("GET", `/api/v1/bookings/${id}`, { token: customer.accessToken })).body;

  async function pay(id: string, paymentMethodId = "pm_card_visa") {
    return app.request("POST", `/api/v1/bookings/${id}/payment`, {
      token: customer.accessToken,
      body: { paymentMethodId },
    });
  }

  async function funded(overrides: Record<string, unknown> = {}, who: Account = contractor) {
    const id = await book(overrides, who);
    const paid = await pay(id);
    expect(paid.status, JSON.stringify(paid.body)).toBe(200);
    await until("the booking to be funded", async () =>
      (await read(id)).status === "funded" ? true : undefined,
    );
    return id;
  }

  async function completed(overrides: Record<string, unknown> = {}) {
    const id = await funded(overrides);
    expect((await act(contractor, id, "start")).status).toBe(200);
    expect((await act(contractor, id, "complete")).status).toBe(200);
    return id;
  }

  const transfersOf = async (bookingId: string) =>
    (await model.list("transfer")).filter((transfer) => transfer.transfer_group === bookingId);
  const intentOf = async (bookingId: string) =>
    (await model.list("payment_intent")).find(
      (intent) => intent.metadata?.bookingId === bookingId,
    ) as StripeObject;
  const refundsOf = async (bookingId: string) =>
    (await model.list("refund")).filter((refund) => refund.metadata?.bookingId === bookingId);

  async function ledgerOf(bookingId: string) {
    const response = await app.request("GET", `/api/v1/admin/transactions?bookingId=${bookingId}&limit=100`, {
      token: admin.accessToken,
    });
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    return response.body.items as { kind: string; entries: { account: string; amount: number }[] }[];
  }

  async function earnings(who: Account = contractor) {
    const response = await app.request("GET", "/api/v1/earnings?currency=gbp", { token: who.accessToken });
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    return response.body;
  }

  /** Sends a webhook as Stripe would, signed with the endpoint's secret (or another one). */
  function sendEvent(event: object, options: { secret?: string; timestamp?: number } = {}) {
    const payload = JSON.stringify(event);
    const header = Stripe.webhooks.generateTestHeaderString({
      payload,
      secret: options.secret ?? webhookSecret,
      ...(options.timestamp === undefined ? {} : { timestamp: options.timestamp }),
    });
    return app.request("POST", "/api/v1/webhooks/stripe", {
      rawBody: payload,
      headers: { "content-type": "application/json; charset=utf-8", "stripe-signature": header },
    });
  }

  async function storedEvent(type: string, objectId: string) {
    const { rows } = await app.server.database.pool.query<{ payload: Record<string, unknown> }>(
      "select payload from payment_webhook_events where type = $1 and payload->'data'->'object'->>'id' = $2",
      [type, objectId],
    );
    return rows[0]?.payload;
  }

  it("pays, holds and releases a booking with exact amounts at the gateway and in the ledger", async () => {
    const id = await book();
    const paid = await pay(id);
    expect(paid.status).toBe(200);
    expect(paid.body).toMatchObject({ amount: { amount: 24000, currency: "gbp" } });
    expect(paid.body.paymentIntentId).toMatch(/^pi_/);
    await until("funded", async () => ((await read(id)).status === "funded" ? true : undefined));
    const booking = await read(id);
    expect(booking).toMatchObject({
      commission: { amount: 2400, currency: "gbp" },
      contractorAmount: { amount: 21600, currency: "gbp" },
    });
    const intent = await intentOf(id);
    expect(intent).toMatchObject({ amount: 24000, currency: "gbp", transfer_group: id, status: "succeeded" });
    expect(intent.metadata).toMatchObject({
      bookingId: id,
      customerId: customer.id,
      contractorId: contractor.id,
    });
    expect((await earnings()).held).toEqual({ amount: 21600, currency: "gbp" });

    expect((await act(contractor, id, "start")).status).toBe(200);
    expect((await act(contractor, id, "complete")).status).toBe(200);
    const before = (await earnings()).available.amount;
    expect((await act(customer, id, "confirm")).body.status).toBe("released");
    await quiet();

    const [transfer, ...others] = await transfersOf(id);
    expect(others).toEqual([]);
    expect(transfer).toMatchObject({
      amount: 21600,
      currency: "gbp",
      source_transaction: intent.latest_charge,
      transfer_group: id,
    });
    if (double) {
      const sent = double.requests.filter((request) => request.path === "/v1/transfers");
      expect(sent.at(-1)).toMatchObject({
        params: {
          amount: "21600",
          currency: "gbp",
          source_transaction: intent.latest_charge,
          transfer_group: id,
        },
        idempotencyKey: `booking:${id}:release`,
      });
      const created = double.requests.find(
        (request) => request.path === "/v1/payment_intents" && request.params.metadata?.bookingId === id,
      );
      expect(created).toMatchObject({
        params: { amount: "24000", currency: "gbp", transfer_group: id },
        idempotencyKey: `booking:${id}:payment-intent`,
      });
    }
    const kinds = (await ledgerOf(id)).map((transaction) => [
      transaction.kind,
      Object.fromEntries(transaction.entries.map((entry) => [entry.account, entry.amount])),
    ]);
    expect(kinds).toEqual(
      expect.arrayContaining([
        ["payment", { platform_cash: 24000, customer_funds_held: -24000 }],
        [
          "release",
          {
            customer_funds_held: 24000,
            platform_commission: -2400,
            platform_cash: -21600,
            [`contractor_transferred:${contractor.id}`]: 21600,
            [`contractor_payable:${contractor.id}`]: -21600,
          },
        ],
      ]),
    );
    expect(kinds).toHaveLength(2);
    const after = await earnings();
    expect(after.available.amount - before).toBe(21600);
    expect(after.entries[0]).toMatchObject({ kind: "release", amount: -21600, bookingId: id });
  });

  it("answers a declined card with 402 and funds nothing until another card succeeds", async () => {
    const id = await book();
    const declined = await pay(id, "pm_card_chargeDeclined");
    expect(declined.status).toBe(402);
    expect(declined.body).toMatchObject({ code: "payment.declined" });
    await quiet();
    expect((await read(id)).status).toBe("accepted");
    expect(await ledgerOf(id)).toEqual([]);

    const action = await pay(id, "pm_card_authenticationRequired");
    expect(action.body).toMatchObject({ status: "requires_action" });
    expect(action.body.clientSecret).toMatch(/^pi_.+_secret_/);

    const id2 = await book();
    expect((await pay(id2, "pm_card_chargeDeclined")).status).toBe(402);
    const retried = await pay(id2, "pm_card_visa");
    expect(retried.status).toBe(200);
    expect(retried.body.status).toBe("succeeded");
    await until("funded", async () => ((await read(id2)).status === "funded" ? true : undefined));
    // One PaymentIntent per booking, whatever the attempts.
    expect(
      (await model.list("payment_intent")).filter((intent) => intent.metadata?.bookingId === id2),
    ).toHaveLength(1);
  });

  it("refuses to take payment for a contractor who has not finished onboarding", async () => {
    const newcomer = await bookableContractor("Sam Newcomer");
    const id = await book({}, newcomer);
    const refused = await pay(id);
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe("payment.contractor_not_onboarded");
    const other = await app.request("POST", `/api/v1/bookings/${id}/payment`, {
      token: (await register(app, "customer")).accessToken,
      body: {},
    });
    expect(other.status).toBe(404);
  });

  it("refuses a webhook with a bad signature or a stale timestamp and changes nothing", async () => {
    const id = await book();
    const forged = {
      id: `evt_forged_${id.slice(0, 8)}`,
      object: "event",
      type: "payment_intent.succeeded",
      created: Math.floor(Date.now() / 1000),
      data: { object: { id: "pi_forged", object: "payment_intent", metadata: { bookingId: id } } },
    };
    const wrong = await sendEvent(forged, { secret: "whsec_someone_else" });
    expect(wrong.status).toBe(400);
    expect(wrong.body.code).toBe("webhook.invalid_signature");
    const stale = await sendEvent(forged, { timestamp: Math.floor(Date.now() / 1000) - 301 });
    expect(stale.status).toBe(400);
    const unsigned = await app.request("POST", "/api/v1/webhooks/stripe", {
      rawBody: JSON.stringify(forged),
      headers: { "content-type": "application/json" },
    });
    expect(unsigned.status).toBe(400);
    // A body altered after signing.
    const payload = JSON.stringify(forged);
    const header = Stripe.webhooks.generateTestHeaderString({ payload, secret: webhookSecret });
    const altered = await app.request("POST", "/api/v1/webhooks/stripe", {
      rawBody: payload.replace("pi_forged", "pi_forgeD"),
      headers: { "content-type": "application/json", "stripe-signature": header },
    });
    expect(altered.status).toBe(400);
    expect(await storedEvent("payment_intent.succeeded", "pi_forged")).toBeUndefined();
    expect((await read(id)).status).toBe("accepted");
  });

  it("processes the same event once, and a replay under another id changes nothing either", async () => {
    const id = await funded();
    const intent = await intentOf(id);
    const event = await storedEvent("payment_intent.succeeded", intent.id);
    expect(event).toBeDefined();
    const again = await sendEvent(event as object);
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ received: true, duplicate: true });
    const replay = await sendEvent({ ...(event as object), id: `evt_replay_${id.slice(0, 8)}` });
    expect(replay.body).toEqual({ received: true, duplicate: false });
    await quiet();
    expect((await ledgerOf(id)).filter((transaction) => transaction.kind === "payment")).toHaveLength(1);
    expect(
      (await read(id)).history.filter((entry: { status: string }) => entry.status === "funded"),
    ).toHaveLength(1);
  });

  it("cancels an unpaid intent on cancellation, and refunds in full a payment that succeeds after it", async () => {
    const id = await book();
    const started = await app.request("POST", `/api/v1/bookings/${id}/payment`, {
      token: customer.accessToken,
      body: {},
    });
    expect(started.body).toMatchObject({ status: "requires_payment_method" });
    expect(started.body.clientSecret).toMatch(/^pi_.+_secret_/);
    expect((await act(customer, id, "cancel")).body.status).toBe("cancelled");
    await quiet();
    expect((await intentOf(id)).status).toBe("canceled");

    const late = await book();
    const lateStart = await app.request("POST", `/api/v1/bookings/${late}/payment`, {
      token: customer.accessToken,
      body: {},
    });
    const lateIntent = lateStart.body.paymentIntentId as string;
    // The app confirms with Stripe; Stripe's event is slow, and the customer cancels before it arrives.
    model.holdEvents();
    try {
      const confirmed = await model.call({
        method: "POST",
        path: `/v1/payment_intents/${lateIntent}/confirm`,
        params: { payment_method: "pm_card_visa" },
      });
      expect(confirmed.status).toBe(200);
      expect((await act(customer, late, "cancel")).body).toMatchObject({
        status: "cancelled",
        refundAmount: null,
      });
      await quiet();
    } finally {
      await model.releaseEvents();
    }
    await until("the late payment's refund", async () =>
      (await refundsOf(late)).length > 0 ? true : undefined,
    );
    await quiet();
    expect((await read(late)).status).toBe("cancelled");
    expect((await refundsOf(late)).map((refund) => refund.amount)).toEqual([24000]);
    expect(await transfersOf(late)).toEqual([]);
  });

  it("settles refunds by the cumulative amount, so an older charge.refunded arriving late changes nothing", async () => {
    const id = await completed();
    expect((await act(customer, id, "dispute", { reason: "Half the work is missing" })).status).toBe(200);
    const resolved = await app.request("POST", `/api/v1/admin/disputes/${id}/resolve`, {
      token: admin.accessToken,
      body: { refundAmount: { amount: 12000, currency: "gbp" }, note: "Half done" },
    });
    expect(resolved.status, JSON.stringify(resolved.body)).toBe(200);
    await quiet();
    const intent = await intentOf(id);
    const event = (await storedEvent("charge.refunded", intent.latest_charge)) as {
      data: { object: StripeObject };
    };
    expect(event.data.object.amount_refunded).toBe(12000);
    const older = {
      ...event,
      id: `evt_older_${id.slice(0, 8)}`,
      data: { object: { ...event.data.object, amount_refunded: 0 } },
    };
    expect((await sendEvent(older)).status).toBe(200);
    await quiet();
    expect((await ledgerOf(id)).filter((transaction) => transaction.kind === "refund_settled")).toHaveLength(
      1,
    );
  });

  it("makes exactly one Transfer out of 50 concurrent release attempts (confirm, timer, admin)", async () => {
    const id = await completed();
    const internal = (work: Promise<unknown>) => work.then(() => ({ status: 200, body: undefined }));
    const attempts = Array.from({ length: 50 }, (_, index) => {
      if (index % 5 === 0) return { kind: "timer", answer: internal(app.server.bookings.autoRelease(id)) };
      if (index % 5 === 1)
        return {
          kind: "admin",
          answer: app.request("POST", `/api/v1/admin/disputes/${id}/resolve`, {
            token: admin.accessToken,
            body: { refundAmount: { amount: 0, currency: "gbp" }, note: "release" },
          }),
        };
      if (index % 5 === 2) return { kind: "settle", answer: internal(app.server.payments.settle(id)) };
      return { kind: "confirm", answer: act(customer, id, "confirm") };
    });
    const results = await Promise.all(
      attempts.map(async ({ kind, answer }) => ({ kind, ...(await answer) })),
    );
    // The booking was never disputed, so no resolution applies; of the customer's confirmations, only one
    // that comes before the timer's release can succeed. Everything else is refused as a conflict.
    const statuses = (kind: string) =>
      results.filter((result) => result.kind === kind).map((result) => result.status);
    expect(statuses("admin")).toEqual(Array(10).fill(409));
    for (const result of results.filter((entry) => entry.status !== 200))
      expect(result.body?.code, result.kind).toBe("booking.invalid_transition");
    expect(statuses("confirm").filter((status) => status === 200).length).toBeLessThanOrEqual(1);
    expect(statuses("confirm").every((status) => status === 200 || status === 409)).toBe(true);
    expect(statuses("timer")).toEqual(Array(10).fill(200));
    expect(statuses("settle")).toEqual(Array(10).fill(200));
    expect((await read(id)).status).toBe("released");
    await quiet();
    await Promise.all(Array.from({ length: 10 }, () => app.server.payments.settle(id)));
    const transfers = await transfersOf(id);
    expect(transfers).toHaveLength(1);
    expect(transfers[0]?.amount).toBe(21600);
    expect(
      (await read(id)).history.filter((entry: { status: string }) => entry.status === "released"),
    ).toHaveLength(1);
  });

  it("refunds a cancellation per the policy: in full early, in part late with the rest released", async () => {
    const early = await funded();
    expect((await act(customer, early, "cancel")).body.refundAmount).toEqual({
      amount: 24000,
      currency: "gbp",
    });

    const start = new Date(Date.now() + 2 * HOUR_MS);
    start.setUTCMinutes(0, 0, 0);
    const late = await funded({ scheduledStart: start.toISOString() });
    const cancelled = await act(customer, late, "cancel");
    // BOOKING_LATE_CANCEL_REFUND_BPS defaults to 5000: half back, the other half released less its commission.
    expect(cancelled.body.refundAmount).toEqual({ amount: 12000, currency: "gbp" });
    await quiet();
    expect((await refundsOf(early)).map((refund) => refund.amount)).toEqual([24000]);
    expect(await transfersOf(early)).toEqual([]);
    expect((await refundsOf(late)).map((refund) => refund.amount)).toEqual([12000]);
    expect((await transfersOf(late)).map((transfer) => transfer.amount)).toEqual([10800]);
  });

  it("reverses the contractor's transfer when a released booking is refunded", async () => {
    // The overview's commission is the ledger's: earned at release, given back by the refund after it.
    const commissionToday = async () => {
      const today = new Date().toISOString().slice(0, 10);
      const metrics = await app.request("GET", "/api/v1/admin/metrics", { token: admin.accessToken });
      expect(metrics.status, JSON.stringify(metrics.body)).toBe(200);
      const gbp = (list: { amount: number; currency: string }[]) =>
        list.find((money) => money.currency === "gbp")?.amount ?? 0;
      const day = metrics.body.daily.find((entry: { date: string }) => entry.date === today);
      return { period: gbp(metrics.body.commissionEarned), day: gbp(day.commissionEarned) };
    };
    const id = await completed();
    await quiet();
    const before = await commissionToday();
    expect((await act(customer, id, "confirm")).status).toBe(200);
    await quiet();
    expect(await commissionToday()).toEqual({ period: before.period + 2400, day: before.day + 2400 });
    const available = (await earnings()).available.amount;
    const refunded = await app.request("POST", `/api/v1/admin/bookings/${id}/refund`, {
      token: admin.accessToken,
      body: { refundAmount: { amount: 24000, currency: "gbp" }, note: "Redone by someone else" },
    });
    expect(refunded.status, JSON.stringify(refunded.body)).toBe(200);
    expect(refunded.body.status).toBe("refunded");
    await quiet();
    const [transfer] = await transfersOf(id);
    expect(transfer).toMatchObject({ amount: 21600, amount_reversed: 21600 });
    expect((await refundsOf(id)).map((refund) => refund.amount)).toEqual([24000]);
    if (double) {
      expect(
        double.requests.find((request) => request.path === `/v1/transfers/${transfer?.id}/reversals`),
      ).toMatchObject({
        params: { amount: "21600" },
        idempotencyKey: `booking:${id}:reverse-to:24000`,
      });
    }
    expect((await earnings()).available.amount).toBe(available - 21600);
    expect(await commissionToday()).toEqual(before);
  });

  it("refunds a released booking once under 20 parallel refunds, and moves nothing on a refused one", async () => {
    const refund = (id: string, token: string, body: unknown) =>
      app.request("POST", `/api/v1/admin/bookings/${id}/refund`, { token, body });
    const gbp = (amount: number) => ({ refundAmount: { amount, currency: "gbp" }, note: "attack" });
    // Not released yet: nothing to refund after release.
    const held = await completed();
    expect((await refund(held, admin.accessToken, gbp(100))).body.code).toBe("booking.invalid_transition");
    const id = await completed();
    expect((await act(customer, id, "confirm")).status).toBe(200);
    await quiet();
    const refused: [string, string, unknown, number][] = [
      ["the customer", customer.accessToken, gbp(100), 403],
      ["the contractor", contractor.accessToken, gbp(100), 403],
      ["nothing", admin.accessToken, gbp(0), 400],
      ["more than the price", admin.accessToken, gbp(24001), 400],
      [
        "another currency",
        admin.accessToken,
        { refundAmount: { amount: 100, currency: "eur" }, note: "x" },
        422,
      ],
      ["a NUL in the note", admin.accessToken, { ...gbp(100), note: "re\u0000fund" }, 400],
      ["a 1 MB note", admin.accessToken, { ...gbp(100), note: "x".repeat(1_100_000) }, 413],
    ];
    for (const [what, token, body, status] of refused)
      expect((await refund(id, token, body)).status, what).toBe(status);
    for (const [what, target, status] of [
      ["a malformed id", "not-a-booking", 400],
      ["a NUL in the id", "%00", 400],
      ["a booking that does not exist", "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", 404],
    ] as const)
      expect((await refund(target, admin.accessToken, gbp(100))).status, what).toBe(status);
    await quiet();
    expect(await refundsOf(id)).toEqual([]);
    expect((await read(id)).status).toBe("released");

    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, index) => refund(id, admin.accessToken, gbp(1000 + index))),
    );
    const accepted = answers.filter((answer) => answer.status === 200);
    expect(accepted).toHaveLength(1);
    for (const answer of answers.filter((candidate) => candidate.status !== 200))
      expect(answer.body.code).toBe("booking.invalid_transition");
    const amount: number = accepted[0]?.body.refundAmount.amount;
    await quiet();
    expect((await refundsOf(id)).map((made) => made.amount)).toEqual([amount]);
    const [transfer] = await transfersOf(id);
    expect(transfer?.amount_reversed).toBe(Math.round(amount * 0.9));
    expect(
      (await read(id)).history.filter((entry: { status: string }) => entry.status === "partially_refunded"),
    ).toHaveLength(1);
  });

  it("resolves a dispute with a partial refund that sums exactly, audit-logged", async () => {
    const id = await completed({ price: { amount: 9999, currency: "gbp" } });
    expect((await act(customer, id, "dispute", { reason: "Two sockets dead" })).status).toBe(200);
    const listed = await app.request("GET", "/api/v1/admin/disputes", { token: admin.accessToken });
    expect(listed.body.items.map((item: { booking: { id: string } }) => item.booking.id)).toContain(id);
    // A cursor the server did not issue, or one whose key is not a booking id behind a valid digest.
    for (const cursor of [
      "garbage",
      "%00",
      forgeCursor({}, ["not-a-booking-id"]),
      forgeCursor({}, [id, id]),
    ]) {
      const tampered = await app.request("GET", `/api/v1/admin/disputes?cursor=${cursor}`, {
        token: admin.accessToken,
      });
      expect(tampered.status, cursor).toBe(400);
      // NUL is refused before any parameter is read, as everywhere.
      expect(tampered.body.code, cursor).toBe(
        cursor === "%00" ? "validation.failed" : "pagination.invalid_cursor",
      );
    }
    const notAdmin = await app.request("POST", `/api/v1/admin/disputes/${id}/resolve`, {
      token: customer.accessToken,
      body: { refundAmount: { amount: 1, currency: "gbp" }, note: "x" },
    });
    expect(notAdmin.status).toBe(403);
    const tooMuch = await app.request("POST", `/api/v1/admin/disputes/${id}/resolve`, {
      token: admin.accessToken,
      body: { refundAmount: { amount: 10000, currency: "gbp" }, note: "x" },
    });
    expect(tooMuch.status).toBe(400);
    const resolved = await app.request("POST", `/api/v1/admin/disputes/${id}/resolve`, {
      token: admin.accessToken,
      body: { refundAmount: { amount: 3333, currency: "gbp" }, note: "A third back" },
    });
    expect(resolved.body.status).toBe("partially_refunded");
    await quiet();
    // Commission on 9999 at 10% is 1000 (999.9 rounded half up); on the released 6666 it is 667 (666.6…).
    const [transfer] = await transfersOf(id);
    const refunds = await refundsOf(id);
    expect(refunds.map((refund) => refund.amount)).toEqual([3333]);
    expect(transfer?.amount).toBe(5999);
    const commission = (await ledgerOf(id))
      .flatMap((transaction) => transaction.entries)
      .filter((entry) => entry.account === "platform_commission")
      .reduce((sum, entry) => sum - entry.amount, 0);
    expect(commission).toBe(667);
    expect(3333 + (transfer?.amount ?? 0) + commission).toBe(9999);
    const audit = await app.request("GET", "/api/v1/admin/audit-log?limit=100", { token: admin.accessToken });
    expect(audit.status).toBe(200);
    expect(JSON.stringify(audit.body.items)).toContain("dispute.resolve");
  });

  it("marks a booking disputed on a chargeback and shows it to admins", async () => {
    const id = await funded();
    const intent = await intentOf(id);
    const dispute = await model.openChargeback(intent.latest_charge);
    await until("the chargeback", async () => ((await read(id)).status === "disputed" ? true : undefined));
    const listed = await app.request("GET", "/api/v1/admin/disputes?limit=100", { token: admin.accessToken });
    const item = listed.body.items.find((entry: { booking: { id: string } }) => entry.booking.id === id);
    expect(item.chargebacks).toEqual([
      expect.objectContaining({
        id: dispute.id,
        status: "needs_response",
        amount: { amount: 24000, currency: "gbp" },
      }),
    ]);
    await model.closeChargeback(dispute.id, "won");
    await until("the chargeback to close", async () => {
      const again = await app.request("GET", "/api/v1/admin/disputes?limit=100", {
        token: admin.accessToken,
      });
      const found = again.body.items.find((entry: { booking: { id: string } }) => entry.booking.id === id);
      return found?.chargebacks[0]?.status === "won" ? true : undefined;
    });
    // The admin then releases it.
    const resolved = await app.request("POST", `/api/v1/admin/disputes/${id}/resolve`, {
      token: admin.accessToken,
      body: { refundAmount: { amount: 0, currency: "gbp" }, note: "Chargeback won" },
    });
    expect(resolved.body.status).toBe("released");
  });

  it("lists a chargeback on a released booking among the disputes until the bank closes it", async () => {
    const id = await completed();
    expect((await act(customer, id, "confirm")).status).toBe(200);
    await quiet();
    const dispute = await model.openChargeback((await intentOf(id)).latest_charge);
    const listedItem = async () => {
      const listed = await app.request("GET", "/api/v1/admin/disputes?limit=100", {
        token: admin.accessToken,
      });
      expect(listed.status).toBe(200);
      return listed.body.items.find((entry: { booking: { id: string } }) => entry.booking.id === id);
    };
    const open = await until("the chargeback among the disputes", listedItem);
    // The money has moved on: the booking stays released, and the chargeback is the admin's to answer.
    expect(open.booking.status).toBe("released");
    expect(open.chargebacks).toEqual([expect.objectContaining({ id: dispute.id, status: "needs_response" })]);
    await model.closeChargeback(dispute.id, "lost");
    await until("the closed chargeback to leave the disputes", async () =>
      (await listedItem()) === undefined ? true : undefined,
    );
    expect((await read(id)).status).toBe("released");
  });

  it("freezes the commission at funding: a change applies only to bookings paid later", async () => {
    const before = await funded();
    const changed = await app.request("PUT", "/api/v1/admin/settings/commission", {
      token: admin.accessToken,
      body: { rateBps: 2000, fixedFee: { amount: 100, currency: "gbp" } },
    });
    expect(changed.status, JSON.stringify(changed.body)).toBe(200);
    const read1 = await app.request("GET", "/api/v1/admin/settings/commission", { token: admin.accessToken });
    expect(read1.body).toEqual({ rateBps: 2000, fixedFee: { amount: 100, currency: "gbp" } });
    try {
      const after = await funded();
      expect((await read(before)).commission).toEqual({ amount: 2400, currency: "gbp" });
      expect((await read(after)).commission).toEqual({ amount: 4900, currency: "gbp" });
      for (const id of [before, after]) {
        expect((await act(contractor, id, "start")).status).toBe(200);
        expect((await act(contractor, id, "complete")).status).toBe(200);
        expect((await act(customer, id, "confirm")).status).toBe(200);
      }
      await quiet();
      expect((await transfersOf(before)).map((transfer) => transfer.amount)).toEqual([21600]);
      expect((await transfersOf(after)).map((transfer) => transfer.amount)).toEqual([19100]);
    } finally {
      await app.request("PUT", "/api/v1/admin/settings/commission", {
        token: admin.accessToken,
        body: { rateBps: 1000, fixedFee: { amount: 0, currency: "gbp" } },
      });
    }
  });

  it("withdraws within the balance only, never overdraws under concurrency, and returns a failed payout", async () => {
    const earner = await bookableContractor("Wendy Withdraw");
    await onboard(earner);
    const id = await funded({}, earner);
    expect((await act(earner, id, "start")).status).toBe(200);
    expect((await act(earner, id, "complete")).status).toBe(200);
    expect((await act(customer, id, "confirm")).status).toBe(200);
    await quiet();
    expect((await earnings(earner)).available).toEqual({ amount: 21600, currency: "gbp" });

    const withdraw = (amount: number, key?: string) =>
      app.request("POST", "/api/v1/withdrawals", {
        token: earner.accessToken,
        body: { amount: { amount, currency: "gbp" } },
        ...(key ? { headers: { "idempotency-key": key } } : {}),
      });
    const over = await withdraw(21601);
    expect(over.status).toBe(422);
    expect(over.body).toMatchObject({ code: "withdrawal.insufficient_funds", available: { amount: 21600 } });

    const both = await Promise.all([withdraw(13000), withdraw(13000)]);
    expect(both.map((response) => response.status).sort()).toEqual([201, 422]);
    const made = both.find((response) => response.status === 201)?.body;
    const replay = await withdraw(5000, `w-${id}`);
    const replayed = await withdraw(5000, `w-${id}`);
    expect(replayed.body.id).toBe(replay.body.id);
    await quiet();
    expect((await earnings(earner)).available.amount).toBe(21600 - 13000 - 5000);

    const listed = await app.request("GET", "/api/v1/withdrawals", { token: earner.accessToken });
    const first = listed.body.items.find((item: { id: string }) => item.id === made.id);
    expect(first.status).toBe("paid");
    const payout = (await model.list("payout")).find((found) => found.metadata?.withdrawalId === made.id);
    expect(payout).toMatchObject({ amount: 13000, currency: "gbp" });
    if (double) {
      expect(
        double.requests.find(
          (request) => request.path === "/v1/payouts" && request.params.metadata?.withdrawalId === made.id,
        ),
      ).toMatchObject({
        stripeAccount: payout?.account,
        idempotencyKey: `withdrawal:${made.id}:payout`,
      });
    }
    expect((await earnings(earner)).paidOut.amount).toBe(18000);
    await model.failPayout(String(payout?.id));
    await until("the failed payout", async () => {
      const again = await app.request("GET", "/api/v1/withdrawals", { token: earner.accessToken });
      return again.body.items.find((item: { id: string }) => item.id === made.id)?.status === "failed"
        ? true
        : undefined;
    });
    await quiet();
    const after = await earnings(earner);
    expect(after.available.amount).toBe(21600 - 5000);
    expect(after.paidOut.amount).toBe(5000);
  });

  it("refuses malformed, oversized and misdirected payment requests with clear 4xx answers", async () => {
    const id = await book();
    const nul = await app.request("POST", `/api/v1/bookings/${id}/payment`, {
      token: customer.accessToken,
      body: { paymentMethodId: "pm_card_visa\u0000" },
    });
    expect(nul.status).toBe(400);
    expect(nul.body.code).toBe("validation.failed");
    const unknownField = await app.request("POST", `/api/v1/bookings/${id}/payment`, {
      token: customer.accessToken,
      body: { paymentMethodId: "pm_card_visa", amount: 1 },
    });
    expect(unknownField.status).toBe(400);
    const byContractor = await app.request("POST", `/api/v1/bookings/${id}/payment`, {
      token: contractor.accessToken,
      body: {},
    });
    expect(byContractor.status).toBe(403);
    const huge = await app.request("POST", "/api/v1/webhooks/stripe", {
      rawBody: JSON.stringify({ id: "evt_huge", padding: "x".repeat(300 * 1024) }),
      headers: { "content-type": "application/json", "stripe-signature": "t=1,v1=00" },
    });
    expect(huge.status).toBe(413);
    const badCursor = await app.request("GET", "/api/v1/withdrawals?cursor=not-a-cursor", {
      token: contractor.accessToken,
    });
    expect(badCursor.status).toBe(400);
    expect(badCursor.body.code).toBe("pagination.invalid_cursor");
    const customerEarnings = await app.request("GET", "/api/v1/earnings", { token: customer.accessToken });
    expect(customerEarnings.status).toBe(403);
    const newcomer = await bookableContractor("Nora Notyet");
    const early = await app.request("POST", "/api/v1/withdrawals", {
      token: newcomer.accessToken,
      body: { amount: { amount: 100, currency: "gbp" } },
    });
    expect(early.status).toBe(409);
    expect(early.body.code).toBe("withdrawal.not_onboarded");
    const zero = await app.request("POST", "/api/v1/withdrawals", {
      token: contractor.accessToken,
      body: { amount: { amount: 0, currency: "gbp" } },
    });
    // Nothing to withdraw is a malformed request, not a question of balance.
    expect(zero.status).toBe(400);
    expect(zero.body.errors).toEqual([
      expect.objectContaining({
        path: "amount.amount",
        in: "body",
        message: expect.stringMatching(/at least 1/),
      }),
    ]);
    expect((await read(id)).status).toBe("accepted");
  });

  it("keeps every balance exact over random sequences of payments, releases, refunds and withdrawals", async () => {
    const earner = await bookableContractor("Rita Random");
    await onboard(earner);
    const ending = fc.oneof(
      fc.constant({ kind: "confirm" as const }),
      fc.constant({ kind: "cancel" as const }),
      fc.record({ kind: fc.constant("resolve" as const), share: fc.integer({ min: 0, max: 10_000 }) }),
      fc.record({ kind: fc.constant("refundAfter" as const), share: fc.integer({ min: 1, max: 10_000 }) }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ price: fc.integer({ min: 1, max: 500_000 }), ending }), {
          minLength: 1,
          maxLength: 3,
        }),
        fc.integer({ min: 0, max: 10_000 }),
        async (steps, withdrawShare) => {
          const before = (await earnings(earner)).available.amount;
          let expectedGain = 0;
          for (const step of steps) {
            const id = await funded({ price: { amount: step.price, currency: "gbp" } }, earner);
            const { commission } = await read(id);
            const share = (refund: number) => {
              const released = step.price - refund;
              const onReleased = Math.floor(
                (2 * commission.amount * released + step.price) / (2 * step.price),
              );
              return released - onReleased;
            };
            if (step.ending.kind === "cancel") {
              expect((await act(customer, id, "cancel")).status).toBe(200);
              continue;
            }
            expect((await act(earner, id, "start")).status).toBe(200);
            expect((await act(earner, id, "complete")).status).toBe(200);
            if (step.ending.kind === "resolve") {
              const refund = Math.floor((step.price * step.ending.share) / 10_000);
              expect((await act(customer, id, "dispute", { reason: "random" })).status).toBe(200);
              const resolved = await app.request("POST", `/api/v1/admin/disputes/${id}/resolve`, {
                token: admin.accessToken,
                body: { refundAmount: { amount: refund, currency: "gbp" }, note: "random" },
              });
              expect(resolved.status, JSON.stringify(resolved.body)).toBe(200);
              expectedGain += share(refund);
              continue;
            }
            expect((await act(customer, id, "confirm")).status).toBe(200);
            if (step.ending.kind === "refundAfter") {
              await quiet();
              const refund = Math.max(1, Math.floor((step.price * step.ending.share) / 10_000));
              const refunded = await app.request("POST", `/api/v1/admin/bookings/${id}/refund`, {
                token: admin.accessToken,
                body: { refundAmount: { amount: refund, currency: "gbp" }, note: "random" },
              });
              expect(refunded.status, JSON.stringify(refunded.body)).toBe(200);
              expectedGain += share(refund);
            } else expectedGain += share(0);
          }
          await quiet();
          const available = (await earnings(earner)).available.amount;
          expect(available - before).toBe(expectedGain);
          const amount = Math.floor((available * withdrawShare) / 10_000);
          if (amount > 0) {
            const made = await app.request("POST", "/api/v1/withdrawals", {
              token: earner.accessToken,
              body: { amount: { amount, currency: "gbp" } },
            });
            expect(made.status, JSON.stringify(made.body)).toBe(201);
            await quiet();
            expect((await earnings(earner)).available.amount).toBe(available - amount);
          }
          const pool = app.server.database.pool;
          await expectLedgerBalanced(pool, paymentChecks({ pool, settings: app.config.payments }));
        },
      ),
      { numRuns: 4 },
    );
  }, 240_000);
});
