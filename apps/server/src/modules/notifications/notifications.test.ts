import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import type { Socket } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Account, login, register, strongPassword } from "../../../test/accounts.js";
import { ask } from "../../../test/chat.js";
import { createContractor, samplePdf, uploadedFileId } from "../../../test/fixtures.js";
import { startFcmDouble, startSnsDouble } from "../../../test/push-doubles.js";
import { startTestServer, type TestServer } from "../../../test/server.js";
import { openSocket } from "../../../test/sockets.js";
import { until } from "../../../test/until.js";
import { loadConfig } from "../../config.js";

const DAY_MS = 86_400_000;
const allWeek = [0, 1, 2, 3, 4, 5, 6].map((day) => ({ day, start: "00:00", end: "24:00" }));
const androidApp = "arn:aws:sns:us-east-1:123456789012:app/GCM/jobsphere";
const iosApp = "arn:aws:sns:us-east-1:123456789012:app/APNS/jobsphere";

/** The push job of the notification made for `eventKey`, once it has finished (completed, or failed for good). */
async function finishedPushJob(
  db: pg.Client,
  eventKey: string,
): Promise<{ state: string; retry_count: number }> {
  return until(`the push job of ${eventKey}`, async () => {
    const row = await db.query(
      `select state, retry_count from pgboss.job
        where name = 'notifications.push'
          and data->>'notificationId' in (select id::text from notifications where event_key = $1)`,
      [eventKey],
    );
    return row.rows[0]?.state === "completed" || row.rows[0]?.state === "failed" ? row.rows[0] : undefined;
  });
}

async function bookableContractor(app: TestServer, name: string): Promise<Account> {
  const contractor = await createContractor(app, name);
  const saved = await app.request("PUT", "/api/v1/contractors/me/availability", {
    token: contractor.accessToken,
    body: { timezone: "UTC", weekly: allWeek },
  });
  if (saved.status !== 200) throw new Error(`availability failed: ${JSON.stringify(saved.body)}`);
  return contractor;
}

function bookingBody(contractorId: string) {
  const start = new Date(Date.now() + 3 * DAY_MS);
  start.setUTCMinutes(0, 0, 0);
  return {
    contractorId,
    categorySlug: "electrician",
    description: "Replace the fuse board\nThe old one trips every evening.",
    scheduledStart: start.toISOString(),
    location: { lat: 51.52, lng: -0.15, address: "221B Baker Street, London" },
    price: { amount: 24000, currency: "gbp" },
  };
}

/** The notifications service's side of an app: what a signed-in user reads and does. */
function inboxOf(app: TestServer, account: Account) {
  return {
    list: (query = "") => app.request("GET", `/api/v1/notifications${query}`, { token: account.accessToken }),
    unread: async () =>
      (await app.request("GET", "/api/v1/notifications/unread-count", { token: account.accessToken })).body
        .unreadCount as number,
    read: (body: unknown) =>
      app.request("POST", "/api/v1/notifications/read", { token: account.accessToken, body }),
  };
}

describe("notifications through SNS", () => {
  let app: TestServer;
  let sns: Awaited<ReturnType<typeof startSnsDouble>>;
  let db: pg.Client;
  let customer: Account;
  let contractor: Account;
  let admin: Account;

  beforeAll(async () => {
    sns = await startSnsDouble();
    app = await startTestServer({
      PUSH_PROVIDER: "sns",
      SNS_ENDPOINT: sns.endpoint,
      SNS_ACCESS_KEY_ID: "AKIDEXAMPLE",
      SNS_SECRET_ACCESS_KEY: "secret",
      SNS_ANDROID_APPLICATION_ARN: androidApp,
      SNS_IOS_APPLICATION_ARN: iosApp,
      PUSH_RETRY_DELAY: "1s",
      ADMIN_EMAIL: "root@notifications.test",
      ADMIN_PASSWORD: strongPassword,
    });
    db = new pg.Client({ connectionString: app.database.url });
    await db.connect();
    customer = await register(app, "customer", { name: "Alice Brown" });
    contractor = await bookableContractor(app, "Priya Patel");
    admin = await login(app, "root@notifications.test", strongPassword);
  });
  afterAll(async () => {
    await db.end();
    await app.close();
    await sns.stop();
  });

  const register_device = (account: Account, token: string, platform: string) =>
    app.request("POST", "/api/v1/devices", { token: account.accessToken, body: { token, platform } });

  const pushJobs = async (notificationIds: string[]) =>
    Number(
      (
        await db.query(
          "select count(*) from pgboss.job where name = 'notifications.push' and data->>'notificationId' = any($1)",
          [notificationIds],
        )
      ).rows[0].count,
    );

  it("tells the contractor of a booking request: inbox, unread count, notification:new and a push to each device", async () => {
    const socket: Socket = await openSocket(app.url, contractor.accessToken);
    const received: unknown[] = [];
    socket.on("notification:new", (payload) => received.push(payload));
    try {
      expect((await register_device(contractor, "android-token-priya", "android")).status).toBe(201);
      expect((await register_device(contractor, "ios-token-priya", "ios")).status).toBe(201);
      const booked = await app.request("POST", "/api/v1/bookings", {
        token: customer.accessToken,
        body: bookingBody(contractor.id),
      });
      expect(booked.status).toBe(201);

      const inbox = inboxOf(app, contractor);
      const item = await until("the inbox row", async () => (await inbox.list()).body.items[0]);
      expect(item).toMatchObject({
        kind: "bookingRequested",
        title: "New booking request",
        body: 'Alice Brown asks to book you for "Replace the fuse board". Accept or decline it.',
        data: { kind: "bookingRequested", bookingId: booked.body.id },
        readAt: null,
      });
      expect(await inbox.unread()).toBe(1);
      await until("notification:new", async () => (received.length > 0 ? true : undefined));
      expect(received).toEqual([{ notification: item }]);

      const publishes = await until("two publishes", async () => {
        const found = sns.requests.filter((request) => request.action === "Publish");
        return found.length === 2 ? found : undefined;
      });
      const made = sns.requests.filter((request) => request.action === "CreatePlatformEndpoint");
      expect(
        made.map((request) => [request.params.PlatformApplicationArn, request.params.Token]).sort(),
      ).toEqual([
        [iosApp, "ios-token-priya"],
        [androidApp, "android-token-priya"],
      ]);
      for (const publish of publishes) {
        expect(publish.params.TargetArn).toMatch(
          /^arn:aws:sns:us-east-1:123456789012:endpoint\/(GCM|APNS)\/jobsphere\//,
        );
        expect(publish.params.MessageStructure).toBe("json");
        const message = JSON.parse(publish.params.Message ?? "");
        expect(message.default).toContain("New booking request");
        const gcm = JSON.parse(message.GCM).fcmV1Message.message;
        expect(gcm.notification).toEqual({ title: item.title, body: item.body });
        expect(gcm.data).toMatchObject({ kind: "bookingRequested", bookingId: booked.body.id });
        expect(gcm.android.priority).toBe("high");
        const apns = JSON.parse(message.APNS);
        expect(apns.aps.alert).toEqual({ title: item.title, body: item.body });
        expect(apns.bookingId).toBe(booked.body.id);
        expect(JSON.parse(message.APNS_SANDBOX)).toEqual(apns);
      }
      // The endpoints are kept, so the next push publishes without making them again. They are stored once the
      // push job has its outcomes, a moment after the publishes reached SNS.
      const stored = await until("both endpoints stored", async () => {
        const { rows } = await db.query(
          "select count(*) from devices where sns_endpoint_arn is not null and user_id = $1",
          [contractor.id],
        );
        return Number(rows[0].count) >= 2 ? Number(rows[0].count) : undefined;
      });
      expect(stored).toBe(2);
      // The customer made the request and is not told of it.
      expect((await inboxOf(app, customer).list()).body.items).toEqual([]);
    } finally {
      socket.close();
      await app.request("DELETE", "/api/v1/devices/android-token-priya", { token: contractor.accessToken });
      await app.request("DELETE", "/api/v1/devices/ios-token-priya", { token: contractor.accessToken });
    }
  });

  it("stores one inbox row and one push job per event, even when the event is delivered twice", async () => {
    const booked = await app.request("POST", "/api/v1/bookings", {
      token: customer.accessToken,
      body: bookingBody(contractor.id),
    });
    const accepted = await app.request("POST", `/api/v1/bookings/${booked.body.id}/accept`, {
      token: contractor.accessToken,
    });
    expect(accepted.status).toBe(200);
    const entry = accepted.body.history.at(-1);
    const change = {
      bookingId: booked.body.id,
      from: "requested",
      to: "accepted",
      by: contractor.id,
      at: entry.at,
    };
    const rows = () =>
      db.query("select id from notifications where event_key = $1", [`booking:${booked.body.id}:accepted`]);
    await until("the first row", async () => ((await rows()).rowCount === 1 ? true : undefined));
    // The same change again, twice at once, as a retried worker would deliver it.
    await Promise.all([
      app.server.jobs.send("booking.changed", change),
      app.server.jobs.send("booking.changed", change),
    ]);
    await until("the redeliveries to be worked", async () => {
      const left = await db.query(
        "select count(*) from pgboss.job where name = 'booking.changed' and data->>'bookingId' = $1 and state <> 'completed'",
        [booked.body.id],
      );
      return Number(left.rows[0].count) === 0 ? true : undefined;
    });
    const ids = (await rows()).rows.map((row) => row.id as string);
    expect(ids).toHaveLength(1);
    expect(await pushJobs(ids)).toBe(1);
  });

  it("stores one row and one push job for a burst of the same event told at once", async () => {
    const ids = (
      await Promise.all(
        Array.from({ length: 8 }, () =>
          app.server.notifications.notify([
            { userId: customer.id, kind: "jobStarted", eventKey: "test:burst" },
          ]),
        ),
      )
    ).flat();
    expect(ids).toHaveLength(1);
    const rows = await db.query("select id from notifications where event_key = 'test:burst'");
    expect(rows.rows).toEqual([{ id: ids[0] }]);
    expect(await pushJobs(ids as string[])).toBe(1);
  });

  it("tells several people of several kinds in one call, each by their own choices", async () => {
    const quiet = await register(app, "customer", { name: "Quinn Quiet" });
    const plain = await register(app, "customer", { name: "Pat Plain" });
    const gone = await register(app, "customer", { name: "Gil Gone" });
    const chose = await app.request("PUT", "/api/v1/notifications/preferences", {
      token: quiet.accessToken,
      body: {
        preferences: [
          { kind: "bookingAccepted", push: false, email: false },
          { kind: "paymentReceived", push: true, email: true },
        ],
      },
    });
    expect(chose.status).toBe(200);
    expect(
      (
        await app.request("DELETE", "/api/v1/me", {
          token: gone.accessToken,
          body: { password: gone.password },
        })
      ).status,
    ).toBe(204);
    // Told before: the same event in the batch stores nothing more.
    const [earlier] = await app.server.notifications.notify([
      { userId: plain.id, kind: "jobStarted", eventKey: "test:mixed:started" },
    ]);

    const ids = await app.server.notifications.notify([
      {
        userId: quiet.id,
        kind: "bookingAccepted",
        eventKey: "test:mixed:accepted",
        facts: { name: "Priya" },
      },
      { userId: gone.id, kind: "bookingAccepted", eventKey: "test:mixed:accepted" },
      {
        userId: plain.id,
        kind: "bookingAccepted",
        eventKey: "test:mixed:accepted",
        facts: { name: "Priya" },
      },
      { userId: quiet.id, kind: "paymentReceived", eventKey: "test:mixed:paid" },
      { userId: plain.id, kind: "jobStarted", eventKey: "test:mixed:started" },
      // The same event twice in one call is one notification.
      { userId: plain.id, kind: "paymentReceived", eventKey: "test:mixed:paid", emailable: false },
      { userId: plain.id, kind: "paymentReceived", eventKey: "test:mixed:paid" },
    ]);

    const rows = await db.query(
      `select id, user_id, kind, push, body from notifications where event_key like 'test:mixed:%' order by created_at, id`,
    );
    const stored = new Map(rows.rows.map((row) => [`${row.user_id} ${row.kind}`, row]));
    expect(rows.rowCount).toBe(5);
    expect(ids).toEqual([
      stored.get(`${quiet.id} bookingAccepted`)?.id,
      stored.get(`${plain.id} bookingAccepted`)?.id,
      stored.get(`${quiet.id} paymentReceived`)?.id,
      stored.get(`${plain.id} paymentReceived`)?.id,
    ]);
    expect(stored.get(`${plain.id} jobStarted`)?.id).toBe(earlier);
    expect(stored.get(`${quiet.id} bookingAccepted`)).toMatchObject({ push: false });
    expect(stored.get(`${plain.id} bookingAccepted`)).toMatchObject({
      push: true,
      body: "Priya accepted your booking. Pay to secure it.",
    });
    expect(await pushJobs(ids)).toBe(4);
    const mail = await db.query(
      `select "to", subject from pending_emails where "to" = any($1) and subject like 'JobSphere: %' order by subject`,
      [[quiet.email, plain.email, gone.email]],
    );
    // Quinn chose email for payments only; Pat keeps the defaults, but the first of the twins said no email.
    expect(mail.rows).toEqual([
      { to: plain.email, subject: "JobSphere: Booking confirmed" },
      { to: quiet.email, subject: "JobSphere: Payment received" },
    ]);
  });

  it("rolls the inbox row and its push job back with a failed step, and stores them once when the retry succeeds", async () => {
    const unlucky = await register(app, "customer", { name: "Fay Unlucky" });
    await db.query(
      `create function fail_notification_email() returns trigger language plpgsql as $$
       begin if new."to" = '${unlucky.email}' then raise exception 'mail store unavailable'; end if; return new; end $$;
       create trigger fail_notification_email before insert on pending_emails
         for each row execute function fail_notification_email();`,
    );
    let dropped = false;
    const drop = async () => {
      if (dropped) return;
      dropped = true;
      await db.query(
        "drop trigger fail_notification_email on pending_emails; drop function fail_notification_email();",
      );
    };
    try {
      const booked = await app.request("POST", "/api/v1/bookings", {
        token: unlucky.accessToken,
        body: bookingBody(contractor.id),
      });
      await app.request("POST", `/api/v1/bookings/${booked.body.id}/accept`, {
        token: contractor.accessToken,
      });
      const key = `booking:${booked.body.id}:accepted`;
      // The email step failed after the row and the push job were written: neither is left behind.
      await until("the failed delivery", async () => {
        const job = await db.query(
          "select 1 from pgboss.job where name = 'booking.changed' and data->>'bookingId' = $1 and data->>'to' = 'accepted' and state = 'retry'",
          [booked.body.id],
        );
        return job.rowCount === 1 ? true : undefined;
      });
      expect((await db.query("select 1 from notifications where event_key = $1", [key])).rowCount).toBe(0);
      await drop();
      expect(await finishedPushJob(db, key)).toMatchObject({ state: "completed" });
      const rows = await db.query("select id from notifications where event_key = $1", [key]);
      expect(rows.rowCount).toBe(1);
      expect(await pushJobs(rows.rows.map((row) => row.id))).toBe(1);
    } finally {
      await drop();
    }
  });

  it("follows the preferences: a PUT of what GET answered round-trips, and push off sends nothing", async () => {
    const prefs = await app.request("GET", "/api/v1/notifications/preferences", {
      token: customer.accessToken,
    });
    expect(prefs.status).toBe(200);
    expect(prefs.body.preferences).toContainEqual({ kind: "bookingAccepted", push: true, email: true });
    expect(prefs.body.preferences).toContainEqual({ kind: "newMessage", push: true, email: null });
    const same = await app.request("PUT", "/api/v1/notifications/preferences", {
      token: customer.accessToken,
      body: prefs.body,
    });
    expect(same.status).toBe(200);
    expect(same.body).toEqual(prefs.body);

    const changed = structuredClone(prefs.body);
    for (const preference of changed.preferences) {
      if (preference.kind === "bookingDeclined") preference.push = false;
      if (preference.kind === "bookingAccepted") preference.email = false;
    }
    const put = await app.request("PUT", "/api/v1/notifications/preferences", {
      token: customer.accessToken,
      body: changed,
    });
    expect(put.body).toEqual(changed);
    expect(
      (await app.request("GET", "/api/v1/notifications/preferences", { token: customer.accessToken })).body,
    ).toEqual(changed);

    // Malformed preferences are refused, naming the field.
    const wrong = await app.request("PUT", "/api/v1/notifications/preferences", {
      token: customer.accessToken,
      body: {
        preferences: [
          { kind: "newMessage", push: true, email: true },
          { kind: "bookingDeclined", push: true, email: null },
          { kind: "bookingDeclined", push: true, email: null },
        ],
      },
    });
    expect(wrong.status).toBe(400);
    expect(wrong.body.errors.map((error: { path: string }) => error.path).sort()).toEqual([
      "preferences.0.email",
      "preferences.2.kind",
    ]);

    expect((await register_device(customer, "android-token-alice", "android")).status).toBe(201);
    const before = sns.requests.length;
    const booked = await app.request("POST", "/api/v1/bookings", {
      token: customer.accessToken,
      body: bookingBody(contractor.id),
    });
    await app.request("POST", `/api/v1/bookings/${booked.body.id}/decline`, {
      token: contractor.accessToken,
    });
    const declined = await until("the declined notification", async () => {
      const items = (await inboxOf(app, customer).list()).body.items;
      return items.find((item: { kind: string }) => item.kind === "bookingDeclined");
    });
    expect(declined.data.bookingId).toBe(booked.body.id);
    // Its push job ran (it emits notification:new) and sent nothing.
    expect(await finishedPushJob(db, `booking:${booked.body.id}:declined`)).toMatchObject({
      state: "completed",
    });
    expect(
      sns.requests.slice(before).filter((request) => request.params.Token === "android-token-alice"),
    ).toEqual([]);
    await app.request("DELETE", "/api/v1/devices/android-token-alice", { token: customer.accessToken });
  });

  it("emails a confirmed booking to a customer who keeps email on, and not to one who turned it off", async () => {
    const mailFolder = join(app.config.dataDir, "mail");
    /** The texts of the emails written for `email` whose subject is `subject`. */
    const mailsTo = async (email: string, subject: string) => {
      const files = (await readdir(mailFolder).catch(() => [] as string[])).filter((file) =>
        file.endsWith(`-${email}.txt`),
      );
      const texts = await Promise.all(files.map((file) => readFile(join(mailFolder, file), "utf8")));
      return texts.filter((text) => text.includes(`Subject: ${subject}\n`));
    };
    const keeps = await register(app, "customer", { name: "Dana Keeps" });
    const declines = await register(app, "customer", { name: "Eli Declines" });
    await app.request("PUT", "/api/v1/notifications/preferences", {
      token: declines.accessToken,
      body: { preferences: [{ kind: "bookingAccepted", push: true, email: false }] },
    });
    for (const who of [keeps, declines]) {
      const booked = await app.request("POST", "/api/v1/bookings", {
        token: who.accessToken,
        body: bookingBody(contractor.id),
      });
      await app.request("POST", `/api/v1/bookings/${booked.body.id}/accept`, {
        token: contractor.accessToken,
      });
      await finishedPushJob(db, `booking:${booked.body.id}:accepted`);
    }
    const [mail] = await until("the email", async () => {
      const found = await mailsTo(keeps.email, "JobSphere: Booking confirmed");
      return found.length > 0 ? found : undefined;
    });
    expect(mail).toContain("Hello Dana Keeps,");
    expect(mail).toContain('Priya Patel accepted your booking "Replace the fuse board". Pay to secure it.');
    // Its email would have been enqueued with the notification, in the same transaction.
    const pending = await db.query('select count(*) from pending_emails where "to" = $1', [declines.email]);
    expect(Number(pending.rows[0].count)).toBe(0);
    expect(await mailsTo(declines.email, "JobSphere: Booking confirmed")).toEqual([]);
    expect((await inboxOf(app, declines).list()).body.items).toMatchObject([{ kind: "bookingAccepted" }]);
  });

  it("removes a device whose endpoint SNS disabled, and its endpoint", async () => {
    const someone = await register(app, "customer");
    await register_device(someone, "stale-ios-token", "ios");
    sns.disabled.add("stale-ios-token");
    await app.server.notifications.notifyMoneyEvent({
      type: "payment.received",
      bookingId: "0193a2b4-1c2d-7e3f-8a4b-5c6d7e8f9a0b",
      customerId: someone.id,
      contractorId: contractor.id,
      amount: { amount: 24000, currency: "gbp" },
    });
    await until("the device to be removed", async () => {
      const left = await db.query("select 1 from devices where token = 'stale-ios-token'");
      return left.rowCount === 0 ? true : undefined;
    });
    expect(sns.requests.filter((request) => request.action === "DeleteEndpoint")).toHaveLength(1);
    const items = (await inboxOf(app, someone).list()).body.items;
    expect(items).toMatchObject([{ kind: "paymentReceived", body: expect.stringContaining("£240.00") }]);
  });

  it("updates a token's SNS endpoint when the token moves to another user", async () => {
    const seller = await register(app, "customer");
    const buyer = await register(app, "customer");
    await register_device(seller, "resold-phone-token", "android");
    await app.server.notifications.notify([
      { userId: seller.id, kind: "jobStarted", eventKey: "test:seller" },
    ]);
    await finishedPushJob(db, "test:seller");
    const [arn] = [...sns.endpoints].find(([, endpoint]) => endpoint.token === "resold-phone-token") ?? [];
    expect(sns.endpoints.get(arn ?? "")?.userData).toBe(seller.id);

    await register_device(buyer, "resold-phone-token", "android");
    const before = sns.requests.length;
    await app.server.notifications.notify([{ userId: buyer.id, kind: "jobStarted", eventKey: "test:buyer" }]);
    expect(await finishedPushJob(db, "test:buyer")).toEqual({ state: "completed", retry_count: 0 });
    expect(sns.requests.slice(before).map((request) => request.action)).toEqual([
      "CreatePlatformEndpoint",
      "SetEndpointAttributes",
      "Publish",
    ]);
    expect(sns.requests.at(-1)?.params.TargetArn).toBe(arn);
    expect(sns.endpoints.get(arn ?? "")).toMatchObject({ userData: buyer.id, enabled: true });
    const row = await db.query(
      "select user_id, sns_endpoint_arn from devices where token = 'resold-phone-token'",
    );
    expect(row.rows).toEqual([{ user_id: buyer.id, sns_endpoint_arn: arn }]);
  });

  it("registers devices per user: re-registering moves the token, and only its owner may remove it", async () => {
    const first = await register(app, "customer");
    const second = await register(app, "customer");
    expect((await register_device(first, "shared-phone-token", "android")).body).toMatchObject({
      token: "shared-phone-token",
      platform: "android",
    });
    expect((await register_device(second, "shared-phone-token", "android")).status).toBe(201);
    const owner = await db.query("select user_id from devices where token = 'shared-phone-token'");
    expect(owner.rows).toEqual([{ user_id: second.id }]);
    const theirs = await app.request("DELETE", "/api/v1/devices/shared-phone-token", {
      token: first.accessToken,
    });
    expect(theirs.status).toBe(404);
    expect(theirs.body.code).toBe("device.not_found");
    expect(
      (await app.request("DELETE", "/api/v1/devices/shared-phone-token", { token: second.accessToken }))
        .status,
    ).toBe(204);

    for (const token of ["with\u0000nul", "with space", "", "x".repeat(4097)]) {
      const refused = await register_device(first, token, "android");
      expect(refused.status, JSON.stringify(token.slice(0, 20))).toBe(400);
      expect(refused.body.code).toBe("validation.failed");
    }
    expect((await register_device(first, "token", "blackberry")).status).toBe(400);
    expect((await app.request("DELETE", "/api/v1/devices/a%00b", { token: first.accessToken })).status).toBe(
      400,
    );
    expect(
      (await app.request("POST", "/api/v1/devices", { body: { token: "t", platform: "ios" } })).status,
    ).toBe(401);
  });

  it("pages the inbox, marks one or all read, and ignores ids of other users", async () => {
    const reader = await register(app, "contractor");
    const other = await register(app, "customer");
    for (let index = 0; index < 5; index++) {
      await app.server.notifications.notifyMoneyEvent({
        type: "withdrawal.paid",
        withdrawalId: `wd_${index}`,
        contractorId: reader.id,
        amount: { amount: 1000 * (index + 1), currency: "usd" },
      });
    }
    await app.server.notifications.notifyMoneyEvent({
      type: "withdrawal.failed",
      withdrawalId: "wd_other",
      contractorId: other.id,
      amount: { amount: 500, currency: "usd" },
      reason: "the bank refused it",
    });
    const inbox = inboxOf(app, reader);
    const first = await inbox.list("?limit=2");
    expect(first.body.items.map((item: { body: string }) => item.body)).toEqual([
      "Your withdrawal of $50.00 was paid out to your bank account.",
      "Your withdrawal of $40.00 was paid out to your bank account.",
    ]);
    const second = await inbox.list(`?limit=2&cursor=${first.body.nextCursor}`);
    const third = await inbox.list(`?limit=2&cursor=${second.body.nextCursor}`);
    expect(third.body).toMatchObject({ nextCursor: null });
    const all = [...first.body.items, ...second.body.items, ...third.body.items];
    expect(new Set(all.map((item: { id: string }) => item.id)).size).toBe(5);
    expect((await inbox.list("?cursor=bm90LWEtY3Vyc29y")).status).toBe(400);
    expect((await inbox.list(`?unread=true&cursor=${first.body.nextCursor}`)).status).toBe(400);

    const otherItem = (await inboxOf(app, other).list()).body.items[0];
    expect(otherItem.body).toBe(
      "Your withdrawal of $5.00 could not be paid out: the bank refused it. The amount is available again.",
    );
    const marked = await inbox.read({ ids: [first.body.items[0].id, otherItem.id] });
    expect(marked.body).toEqual({ unreadCount: 4 });
    expect(await inboxOf(app, other).unread()).toBe(1);
    expect((await inbox.list("?unread=true")).body.items).toHaveLength(4);
    expect((await inbox.read({ ids: [] })).status).toBe(400);
    expect((await inbox.read({ ids: ["x"], all: true })).status).toBe(400);
    expect((await inbox.read({ all: false })).status).toBe(400);
    expect((await inbox.read({ all: true })).body).toEqual({ unreadCount: 0 });
    expect(
      (await inbox.list()).body.items.every((item: { readAt: string | null }) => item.readAt !== null),
    ).toBe(true);
  });

  it("tells a customer of a new quote and the contractor of its acceptance, in the same transaction as each", async () => {
    const job = await app.request("POST", "/api/v1/jobs", {
      token: customer.accessToken,
      body: {
        title: "Rewire the garden shed",
        description: "Two sockets and a light.",
        categorySlug: "electrician",
        location: { lat: 51.52, lng: -0.15, address: "221B Baker Street, London" },
        preferredStart: new Date(Date.now() + 2 * DAY_MS).toISOString(),
      },
    });
    expect(job.status).toBe(201);
    const quote = await app.request("POST", `/api/v1/jobs/${job.body.id}/quotes`, {
      token: contractor.accessToken,
      body: { price: { amount: 15000, currency: "gbp" }, message: "Can do it Friday." },
    });
    expect(quote.status).toBe(201);
    const told = await db.query("select kind, body, data from notifications where event_key = $1", [
      `quote:${quote.body.id}:created`,
    ]);
    expect(told.rows).toEqual([
      {
        kind: "newQuote",
        body: 'Priya Patel quoted £150.00 for "Rewire the garden shed".',
        data: { kind: "newQuote", jobId: job.body.id, quoteId: quote.body.id },
      },
    ]);
    const accepted = await app.request("POST", `/api/v1/jobs/${job.body.id}/quotes/${quote.body.id}/accept`, {
      token: customer.accessToken,
    });
    expect(accepted.status).toBe(201);
    const contractorTold = await db.query(
      "select kind, data from notifications where user_id = $1 and kind = $2",
      [contractor.id, "quoteAccepted"],
    );
    expect(contractorTold.rows).toEqual([
      {
        kind: "quoteAccepted",
        data: {
          kind: "quoteAccepted",
          jobId: job.body.id,
          quoteId: quote.body.id,
          bookingId: accepted.body.id,
        },
      },
    ]);
  });

  it("erases a deleted account's inbox, devices and preferences, and tells it nothing more", async () => {
    const leaving = await register(app, "customer");
    await register_device(leaving, "leaving-token", "ios");
    await app.request("PUT", "/api/v1/notifications/preferences", {
      token: leaving.accessToken,
      body: { preferences: [{ kind: "jobStarted", push: false, email: null }] },
    });
    await app.server.notifications.notify([
      { userId: leaving.id, kind: "jobStarted", eventKey: "test:leaving" },
    ]);
    const deleted = await app.request("DELETE", "/api/v1/me", {
      token: leaving.accessToken,
      body: { password: leaving.password },
    });
    expect(deleted.status).toBe(204);
    for (const table of ["notifications", "devices", "notification_preferences"]) {
      const left = await db.query(`select 1 from ${table} where user_id = $1`, [leaving.id]);
      expect(left.rowCount, table).toBe(0);
    }
    expect(
      await app.server.notifications.notify([
        { userId: leaving.id, kind: "jobCompleted", eventKey: "test:gone" },
      ]),
    ).toEqual([]);
  });

  it("tells a contractor the verification decision", async () => {
    const applicant = await createContractor(app, "Omar Haddad");
    const file = await uploadedFileId(
      app,
      applicant.accessToken,
      "verification_document",
      samplePdf,
      "id.pdf",
    );
    const document = await app.request("POST", "/api/v1/contractors/me/verification", {
      token: applicant.accessToken,
      body: { fileIds: [file] },
    });
    expect(document.status).toBe(201);
    const decided = await app.request("POST", `/api/v1/admin/verifications/${document.body.id}/decision`, {
      token: admin.accessToken,
      body: { decision: "reject", reason: "The document is unreadable" },
    });
    expect(decided.status).toBe(200);
    const items = (await inboxOf(app, applicant).list()).body.items;
    expect(items).toMatchObject([
      {
        kind: "verificationDecided",
        title: "Verification declined",
        body: "Your verification request was declined: The document is unreadable. You may send new documents.",
      },
    ]);
  });
});

describe("notifications through FCM", () => {
  let app: TestServer;
  let fcm: Awaited<ReturnType<typeof startFcmDouble>>;
  let db: pg.Client;

  beforeAll(async () => {
    fcm = await startFcmDouble();
    app = await startTestServer(
      {
        PUSH_PROVIDER: "fcm",
        FCM_SERVICE_ACCOUNT: JSON.stringify(fcm.serviceAccount),
        PUSH_RETRY_DELAY: "1s",
      },
      { fcmHttpAgent: fcm.agent },
    );
    db = new pg.Client({ connectionString: app.database.url });
    await db.connect();
  });
  afterAll(async () => {
    await db.end();
    await app.close();
    await fcm.stop();
  });

  const registerDevice = (account: Account, token: string, platform: string) =>
    app.request("POST", "/api/v1/devices", { token: account.accessToken, body: { token, platform } });
  const sendsTo = (token: string) => fcm.sends.filter((send) => send.message.token === token);
  /** FCM answers the first send to `token` with a 500 (which firebase-admin does not retry), then 200s. */
  const failFirstSendTo = (token: string) => {
    let failed = false;
    fcm.answerWith((send) => {
      if (send.message.token !== token || failed) return { status: 200 };
      failed = true;
      return { status: 500 };
    });
  };

  it("sends one FCM HTTP v1 message per device with android and apns sections, authorised by the service account", async () => {
    const user = await register(app, "contractor");
    await registerDevice(user, "fcm-android-1", "android");
    await registerDevice(user, "fcm-ios-1", "ios");
    await app.server.notifications.notifyMoneyEvent({
      type: "withdrawal.paid",
      withdrawalId: "wd_fcm_1",
      contractorId: user.id,
      amount: { amount: 12345, currency: "eur" },
    });
    await until("both sends", async () =>
      sendsTo("fcm-android-1").length + sendsTo("fcm-ios-1").length === 2 ? true : undefined,
    );
    const [android] = sendsTo("fcm-android-1");
    expect(android).toMatchObject({
      host: "fcm.googleapis.com",
      path: "/v1/projects/jobsphere-test/messages:send",
      authorization: "Bearer ya29.double-token",
    });
    expect(android?.message).toMatchObject({
      token: "fcm-android-1",
      notification: {
        title: "Withdrawal paid",
        body: "Your withdrawal of €123.45 was paid out to your bank account.",
      },
      data: { kind: "withdrawalPaid", withdrawalId: "wd_fcm_1" },
      android: { priority: "high", notification: { channel_id: "jobsphere" } },
      apns: { headers: { "apns-priority": "10" }, payload: { aps: { sound: "default" } } },
    });
    expect(fcm.tokenRequests[0]).toContain(
      "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer",
    );
  });

  it("retries a push the provider failed, sending again only to the device it did not reach", async () => {
    const user = await register(app, "customer");
    await registerDevice(user, "fcm-flaky", "android");
    await registerDevice(user, "fcm-steady", "ios");
    failFirstSendTo("fcm-flaky");
    try {
      await app.server.notifications.notify([
        { userId: user.id, kind: "jobStarted", eventKey: "test:retry", facts: { name: "Priya Patel" } },
      ]);
      await until("the retried send", async () => (sendsTo("fcm-flaky").length === 2 ? true : undefined));
      expect(await finishedPushJob(db, "test:retry")).toEqual({ state: "completed", retry_count: 1 });
      expect(sendsTo("fcm-steady")).toHaveLength(1);
    } finally {
      fcm.answerWith(() => ({ status: 200 }));
    }
  });

  it("pushes a burst of notifications for many people each to their own devices once, retrying only the one that failed", async () => {
    const people = await Promise.all(Array.from({ length: 12 }, () => register(app, "customer")));
    await Promise.all(people.map((person, index) => registerDevice(person, `fcm-burst-${index}`, "android")));
    // Person 3 turned pushes of this kind off: their notification is stored, and nothing reaches their phone.
    const quiet = await app.request("PUT", "/api/v1/notifications/preferences", {
      token: people[3]?.accessToken,
      body: { preferences: [{ kind: "jobStarted", push: false, email: null }] },
    });
    expect(quiet.status).toBe(200);
    failFirstSendTo("fcm-burst-7");
    try {
      // One call, so the push jobs are queued together and fetched as one batch.
      await app.server.notifications.notify(
        people.map((person, index) => ({
          userId: person.id,
          kind: "jobStarted" as const,
          eventKey: "test:burst-push",
          facts: { name: `Worker ${index}` },
        })),
      );
      for (const [index] of people.entries()) {
        const key = "test:burst-push";
        await until(`person ${index}'s job`, async () => {
          const job = await db.query(
            `select j.state, j.retry_count from pgboss.job j join notifications n on n.id::text = j.data->>'notificationId'
              where j.name = 'notifications.push' and n.event_key = $1 and n.user_id = $2`,
            [key, people[index]?.id],
          );
          const row = job.rows[0];
          if (row?.state !== "completed") return undefined;
          expect(row.retry_count).toBe(index === 7 ? 1 : 0);
          return true;
        });
      }
      for (const [index] of people.entries()) {
        const sends = sendsTo(`fcm-burst-${index}`);
        expect(sends, `person ${index}`).toHaveLength(index === 3 ? 0 : index === 7 ? 2 : 1);
        for (const send of sends) expect(send.message.notification?.body).toContain(`Worker ${index}`);
      }
    } finally {
      fcm.answerWith(() => ({ status: 200 }));
    }
  });

  it("removes a device FCM reports UNREGISTERED, and keeps the others", async () => {
    const user = await register(app, "customer");
    await registerDevice(user, "fcm-uninstalled", "android");
    await registerDevice(user, "fcm-installed", "android");
    fcm.answerWith((send) =>
      send.message.token === "fcm-uninstalled" ? { status: 404, errorCode: "UNREGISTERED" } : { status: 200 },
    );
    try {
      await app.server.notifications.notify([
        { userId: user.id, kind: "jobCompleted", eventKey: "test:unregistered" },
      ]);
      // A removed device is no failure: the job completes at its first attempt.
      expect(await finishedPushJob(db, "test:unregistered")).toEqual({ state: "completed", retry_count: 0 });
      expect((await db.query("select token from devices where user_id = $1", [user.id])).rows).toEqual([
        { token: "fcm-installed" },
      ]);
      expect(sendsTo("fcm-uninstalled")).toHaveLength(1);
      expect(sendsTo("fcm-installed")).toHaveLength(1);
    } finally {
      fcm.answerWith(() => ({ status: 200 }));
    }
  });

  it("collapses chat pushes per conversation and skips them while the recipient has the conversation open", async () => {
    const sender = await register(app, "customer", { name: "Alice Brown" });
    const recipient = await createContractor(app);
    await registerDevice(recipient, "fcm-chat", "android");
    const opened = await app.request("POST", "/api/v1/conversations", {
      token: sender.accessToken,
      body: { participantId: recipient.id },
    });
    expect(opened.status, JSON.stringify(opened.body)).toBe(200);
    const conversationId: string = opened.body.id;
    const socket: Socket = await openSocket(app.url, recipient.accessToken);
    const received: { notification: { kind: string } }[] = [];
    socket.on("notification:new", (payload) => received.push(payload));
    try {
      await app.server.notifications.notifyMessage({
        messageId: "0193a2b4-0000-7000-8000-000000000001",
        conversationId,
        senderId: sender.id,
        recipientIds: [recipient.id],
        text: "Is Friday fine?",
      });
      const [first] = await until("the first chat push", async () => {
        const found = sendsTo("fcm-chat");
        return found.length === 1 ? found : undefined;
      });
      expect(first?.message).toMatchObject({
        notification: { title: "Alice Brown", body: "Is Friday fine?" },
        data: { kind: "newMessage", conversationId },
        android: {
          collapse_key: `conversation:${conversationId}`,
          notification: { tag: `conversation:${conversationId}` },
        },
        apns: { headers: { "apns-collapse-id": `conversation:${conversationId}` } },
      });

      // The recipient opens the conversation on screen; a stranger cannot open it.
      expect(await ask(socket, "conversation:open", { conversationId })).toEqual({ ok: true });
      const stranger: Socket = await openSocket(app.url, (await register(app, "customer")).accessToken);
      try {
        expect(await ask(stranger, "conversation:open", { conversationId })).toMatchObject({
          error: { code: "chat.not_found", status: 404 },
        });
        expect(await ask(stranger, "conversation:open", { conversationId: "x\u0000" })).toMatchObject({
          error: { status: 400 },
        });
      } finally {
        stranger.close();
      }
      await app.server.notifications.notifyMessage({
        messageId: "0193a2b4-0000-7000-8000-000000000002",
        conversationId,
        senderId: sender.id,
        recipientIds: [recipient.id],
        text: "Or Saturday?",
      });
      await until("the second notification:new", async () => (received.length === 2 ? true : undefined));
      expect(await finishedPushJob(db, "message:0193a2b4-0000-7000-8000-000000000002")).toEqual({
        state: "completed",
        retry_count: 0,
      });
      expect(sendsTo("fcm-chat")).toHaveLength(1);
      expect(received.map((payload) => payload.notification.kind)).toEqual(["newMessage", "newMessage"]);

      // Closed again: the next message is pushed.
      expect(await ask(socket, "conversation:close", { conversationId })).toEqual({ ok: true });
      await app.server.notifications.notifyMessage({
        messageId: "0193a2b4-0000-7000-8000-000000000003",
        conversationId,
        senderId: sender.id,
        recipientIds: [recipient.id],
        text: "Sunday then",
      });
      await until("the third chat push", async () => (sendsTo("fcm-chat").length === 2 ? true : undefined));
    } finally {
      socket.close();
    }
  });
});

describe("push settings", () => {
  const base = { NODE_ENV: "test" as const };
  const key = { project_id: "p", client_email: "push@p.iam.gserviceaccount.com", private_key: "-----BEGIN…" };

  it("reads the FCM key from its JSON or its file, and refuses what cannot work, naming the variable", async () => {
    expect(
      loadConfig({ ...base, PUSH_PROVIDER: "fcm", FCM_SERVICE_ACCOUNT: JSON.stringify(key) }).push.fcm,
    ).toEqual({
      serviceAccount: { projectId: "p", clientEmail: key.client_email, privateKey: key.private_key },
    });
    const folder = await mkdtemp(join(tmpdir(), "jobsphere-fcm-"));
    try {
      const file = join(folder, "key.json");
      await writeFile(file, JSON.stringify(key));
      expect(
        loadConfig({ ...base, PUSH_PROVIDER: "fcm", FCM_SERVICE_ACCOUNT: file }).push.fcm.serviceAccount
          ?.projectId,
      ).toBe("p");
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
    expect(loadConfig(base).push.provider).toBe("log");
    expect(() => loadConfig({ ...base, PUSH_PROVIDER: "fcm" })).toThrow(
      "FCM_SERVICE_ACCOUNT is required when PUSH_PROVIDER=fcm",
    );
    expect(() => loadConfig({ ...base, FCM_SERVICE_ACCOUNT: '{"project_id": "p"}' })).toThrow(
      "FCM_SERVICE_ACCOUNT lacks project_id, client_email or private_key",
    );
    // A secret: the message never shows it.
    expect(() => loadConfig({ ...base, FCM_SERVICE_ACCOUNT: "{not json" })).toThrow(
      /^Invalid configuration: FCM_SERVICE_ACCOUNT is not a service account key \(JSON\)$/,
    );
    expect(() => loadConfig({ ...base, FCM_SERVICE_ACCOUNT: "/nowhere/key.json" })).toThrow("names no file");
    expect(() => loadConfig({ ...base, PUSH_PROVIDER: "sns" })).toThrow(
      "PUSH_PROVIDER=sns needs SNS_ANDROID_APPLICATION_ARN or SNS_IOS_APPLICATION_ARN",
    );
    expect(() => loadConfig({ ...base, PUSH_PROVIDER: "apns" })).toThrow("PUSH_PROVIDER");
    expect(() => loadConfig({ ...base, PUSH_RETRY_DELAY: "0s" })).toThrow("PUSH_RETRY_DELAY");
  });
});
