import { randomUUID } from "node:crypto";
import pg from "pg";
import type { Socket } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Account, login, register } from "../../../test/accounts.js";
import { ask, settle } from "../../../test/chat.js";
import { createTestDatabase, type TestDatabase } from "../../../test/database.js";
import { createContractor } from "../../../test/fixtures.js";
import { capturedLogger } from "../../../test/logs.js";
import { startTestServer, type TestServer } from "../../../test/server.js";
import { openSocket } from "../../../test/sockets.js";

/** Short enough for a test, long enough for a burst of sends on a loaded machine to fall inside it. */
const pushDelayMs = 1500;

interface Notification {
  kind: string;
  title: string;
  body: string;
  data: { conversationId?: string };
}

async function inboxOf(app: TestServer, account: Account): Promise<Notification[]> {
  const page = await app.request("GET", "/api/v1/notifications?limit=100", { token: account.accessToken });
  expect(page.status).toBe(200);
  return page.body.items as Notification[];
}

/** The inbox once it holds `count` chat notifications (a generous bound for a loaded machine). */
async function chatNotifications(app: TestServer, account: Account, count: number): Promise<Notification[]> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const found = (await inboxOf(app, account)).filter((item) => item.kind === "newMessage");
    if (found.length >= count) return found;
    if (Date.now() > deadline) throw new Error(`${found.length} chat notifications, not ${count}`);
    await settle(100);
  }
}

async function open(app: TestServer, customer: Account, contractorId: string): Promise<string> {
  const opened = await app.request("POST", "/api/v1/conversations", {
    token: customer.accessToken,
    body: { participantId: contractorId },
  });
  expect(opened.status).toBe(200);
  return opened.body.id as string;
}

describe("chat notifications", () => {
  let database: TestDatabase;
  let app: TestServer;
  const sockets: Socket[] = [];
  const logs = capturedLogger();

  beforeAll(async () => {
    database = await createTestDatabase();
    app = await startTestServer(
      { CHAT_PUSH_DELAY_MS: String(pushDelayMs) },
      { database, logger: logs.logger },
    );
  });
  afterAll(async () => {
    for (const socket of sockets) socket.close();
    await app.close();
    await database.drop();
  });

  it("tells a recipient once per conversation for a burst of messages, with the latest, and again for a later one", async () => {
    const customer = await register(app, "customer", { name: "Maria Lopez" });
    const tom = await createContractor(app, "Tom Walker");
    const ann = await createContractor(app, "Ann Baker");
    const withTom = await open(app, customer, tom.id);
    const withAnn = await open(app, customer, ann.id);
    const phone = await openSocket(app.url, customer.accessToken);
    sockets.push(phone);

    // Sent at once: each is stored and acknowledged; the recipients' notifications wait.
    const burst = ["Are you free on Friday?", "Or Saturday morning?", "The boiler is leaking again."];
    const answers = await Promise.all(
      burst.flatMap((text) =>
        [withTom, withAnn].map((conversationId) =>
          ask<{ message?: { id: string } }>(phone, "message:send", {
            conversationId,
            text,
            clientMessageId: randomUUID(),
          }),
        ),
      ),
    );
    expect(answers.every((answer) => answer.message)).toBe(true);

    const [toTom] = await chatNotifications(app, tom, 1);
    const [toAnn] = await chatNotifications(app, ann, 1);
    // The sends ran in parallel, so which came last is the server's order: the latest stored message.
    const last = async (account: Account, conversationId: string) => {
      const page = await app.request("GET", `/api/v1/conversations/${conversationId}/messages?limit=1`, {
        token: account.accessToken,
      });
      return page.body.items[0].text as string;
    };
    expect(toTom).toMatchObject({
      title: "Maria Lopez",
      body: await last(tom, withTom),
      data: { conversationId: withTom },
    });
    expect(toAnn).toMatchObject({ body: await last(ann, withAnn), data: { conversationId: withAnn } });
    // Nothing more comes of the burst once its wait is over.
    await settle(pushDelayMs + 500);
    expect((await inboxOf(app, tom)).filter((item) => item.kind === "newMessage")).toHaveLength(1);
    expect((await inboxOf(app, customer)).filter((item) => item.kind === "newMessage")).toHaveLength(0);

    const later = await ask<{ message?: unknown }>(phone, "message:send", {
      conversationId: withTom,
      text: "Never mind, it stopped.",
      clientMessageId: randomUUID(),
    });
    expect(later.message).toBeDefined();
    const both = await chatNotifications(app, tom, 2);
    expect(both.map((item) => item.body)).toEqual(["Never mind, it stopped.", toTom?.body]);
  });

  it("stores the other recipients' notifications when one of them cannot be stored", async () => {
    const customer = await register(app, "customer", { name: "Maria Lopez" });
    const tom = await createContractor(app, "Tom Walker");
    const ann = await createContractor(app, "Ann Baker");
    const bob = await createContractor(app, "Bob Slow");
    const withTom = await open(app, customer, tom.id);
    const withAnn = await open(app, customer, ann.id);
    const withBob = await open(app, customer, bob.id);
    const phone = await openSocket(app.url, customer.accessToken);
    sockets.push(phone);
    const sql = new pg.Client({ connectionString: database.url });
    await sql.connect();
    // Tom's notification fails as a full disk or a broken row would. Bob's, whose wait ends first, takes a
    // while to store, so Tom's and Ann's, ending meanwhile, are stored together after it.
    await sql.query(`
      create function refuse_poison() returns trigger language plpgsql as $$
      begin
        if new.body = 'poison' then raise exception 'refused for the test'; end if;
        if new.body = 'slow' then perform pg_sleep(0.5); end if;
        return new;
      end $$;
      create trigger refuse_poison before insert on notifications for each row execute function refuse_poison();`);
    try {
      const first = await ask<{ message?: unknown }>(phone, "message:send", {
        conversationId: withBob,
        text: "slow",
        clientMessageId: randomUUID(),
      });
      expect(first.message).toBeDefined();
      const sent = await Promise.all([
        ask<{ message?: { id: string } }>(phone, "message:send", {
          conversationId: withTom,
          text: "poison",
          clientMessageId: randomUUID(),
        }),
        ask<{ message?: unknown }>(phone, "message:send", {
          conversationId: withAnn,
          text: "See you Monday.",
          clientMessageId: randomUUID(),
        }),
      ]);
      expect(sent.every((answer) => answer.message)).toBe(true);
      const [toAnn] = await chatNotifications(app, ann, 1);
      expect(toAnn).toMatchObject({ body: "See you Monday.", data: { conversationId: withAnn } });
      expect(await chatNotifications(app, bob, 1)).toHaveLength(1);
      await settle(500);
      expect((await inboxOf(app, tom)).filter((item) => item.kind === "newMessage")).toEqual([]);
      // The notice that could not be stored is logged, once, naming its recipient and message.
      expect(logs.entries("a chat notification could not be stored")).toEqual([
        expect.objectContaining({ level: 50, recipientId: tom.id, messageId: sent[0]?.message?.id }),
      ]);
    } finally {
      await sql.query("drop trigger refuse_poison on notifications; drop function refuse_poison();");
      await sql.end();
    }
  });

  it("stores the notifications still waiting when the server shuts down", async () => {
    const waiting = await startTestServer({ CHAT_PUSH_DELAY_MS: "60000" }, { database });
    let closed = false;
    try {
      const customer = await register(waiting, "customer", { name: "Maria Lopez" });
      const tom = await createContractor(waiting, "Tom Walker");
      const conversationId = await open(waiting, customer, tom.id);
      const sent = await waiting.request("POST", `/api/v1/conversations/${conversationId}/messages`, {
        token: customer.accessToken,
        body: { text: "See you at nine." },
      });
      expect(sent.status).toBe(201);
      expect(await inboxOf(waiting, tom)).toEqual([]);
      await waiting.close();
      closed = true;
      // Read through the other server, on the same database (its own signing key: a new sign-in).
      const [told] = await chatNotifications(app, await login(app, tom.email, tom.password), 1);
      expect(told).toMatchObject({ body: "See you at nine.", data: { conversationId } });
    } finally {
      if (!closed) await waiting.close();
    }
  });
});
