import { randomUUID } from "node:crypto";
import type { Socket } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Account, login, register, strongPassword } from "../../../test/accounts.js";
import { ask, collect, next, settle } from "../../../test/chat.js";
import { TestClock } from "../../../test/clock.js";
import { createContractor, pngImage, samplePdf, uploadedFileId } from "../../../test/fixtures.js";
import { startTestServer, type TestServer } from "../../../test/server.js";
import { openSocket } from "../../../test/sockets.js";

const messageLimit = 30;

interface Message {
  id: string;
  conversationId: string;
  senderId: string;
  text: string;
  attachments: { id: string; url: string; contentType: string; size: number }[];
  clientMessageId: string | null;
}

/** What `check` finds once the server's queues have caught up (a generous bound for a loaded machine). */
async function eventually<T>(check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const found = await check();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error("timed out waiting for the queue");
    await settle(100);
  }
}

interface AckAnswer {
  message?: Message;
  error?: { code: string; status: number; detail: string };
}

describe("chat", () => {
  const clock = new TestClock();
  let app: TestServer;
  let admin: Account;
  const sockets: Socket[] = [];

  const connect = async (account: Account) => {
    const socket = await openSocket(app.url, account.accessToken);
    sockets.push(socket);
    return socket;
  };

  /** A fresh customer and contractor with their conversation. */
  async function pair() {
    const customer = await register(app, "customer", { name: "Maria Lopez" });
    const contractor = await createContractor(app, "Tom Walker");
    const opened = await app.request("POST", "/api/v1/conversations", {
      token: customer.accessToken,
      body: { participantId: contractor.id },
    });
    expect(opened.status).toBe(200);
    return { customer, contractor, conversationId: opened.body.id as string };
  }

  async function sendRest(account: Account, conversationId: string, body: Record<string, unknown>) {
    return app.request("POST", `/api/v1/conversations/${conversationId}/messages`, {
      token: account.accessToken,
      body,
    });
  }

  async function conversationOf(account: Account, conversationId: string) {
    const list = await app.request("GET", "/api/v1/conversations?limit=100", { token: account.accessToken });
    expect(list.status).toBe(200);
    return list.body.items.find((item: { id: string }) => item.id === conversationId);
  }

  beforeAll(async () => {
    app = await startTestServer(
      {
        ADMIN_EMAIL: "root@example.com",
        ADMIN_PASSWORD: strongPassword,
        LIMIT_CHAT_MESSAGES: `${messageLimit}/1h`,
        CHAT_TYPING_THROTTLE_MS: "60000",
      },
      { clock },
    );
    admin = await login(app, "root@example.com", strongPassword);
  });
  afterAll(async () => {
    for (const socket of sockets) socket.close();
    await app.close();
  });

  it("two users exchange messages with acks; every other device of both sides receives them", async () => {
    const { customer, contractor, conversationId } = await pair();
    const phone = await connect(customer);
    const tablet = await connect(customer);
    const tom = await connect(contractor);
    const echoedToSender = collect<{ message: Message }>(phone, "message:new");

    const arrives = next<{ message: Message }>(tom, "message:new");
    const onTablet = next<{ message: Message }>(tablet, "message:new");
    const answer = await ask<AckAnswer>(phone, "message:send", {
      conversationId,
      text: "  Hi Tom, is Wednesday morning fine?  ",
      clientMessageId: randomUUID(),
    });
    expect(answer.error).toBeUndefined();
    expect(answer.message).toMatchObject({
      conversationId,
      senderId: customer.id,
      text: "Hi Tom, is Wednesday morning fine?",
      attachments: [],
    });
    expect((await arrives).message).toEqual(answer.message);
    expect((await onTablet).message).toEqual(answer.message);

    const back = next<{ message: Message }>(phone, "message:new");
    const reply = await ask<AckAnswer>(tom, "message:send", {
      conversationId,
      text: "Wednesday at 9 works.",
      clientMessageId: randomUUID(),
    });
    expect((await back).message).toEqual(reply.message);

    // The ack was the stored message: history has both, newest first.
    const history = await app.request("GET", `/api/v1/conversations/${conversationId}/messages`, {
      token: contractor.accessToken,
    });
    expect(history.body.items.map((item: Message) => item.id)).toEqual([
      reply.message?.id,
      answer.message?.id,
    ]);
    await settle(200);
    // The sending device got its ack, not an echo of its own message.
    expect(echoedToSender.map((event) => event.message.id)).toEqual([reply.message?.id]);
  });

  it("a quote, and a booking request, each open the pair's conversation, which lists their bookings", async () => {
    const customer = await register(app, "customer");
    const plumber = await createContractor(app, "Tom Walker", {
      headline: "Emergency plumber",
      bio: "Leaks, drains and boilers.",
      categorySlugs: ["plumber"],
      hourlyRate: { amount: 6000, currency: "gbp" },
      serviceArea: { lat: 51.51, lng: -0.13, radiusKm: 10 },
    });
    const bakerStreet = { lat: 51.5238, lng: -0.1586, address: "221B Baker Street, London NW1 6XE" };
    const start = new Date(Date.now() + 3 * 86_400_000);
    start.setUTCMinutes(0, 0, 0);
    const job = await app.request("POST", "/api/v1/jobs", {
      token: customer.accessToken,
      body: {
        title: "Fix a dripping kitchen tap",
        description: "The mixer tap drips constantly.",
        categorySlug: "plumber",
        location: bakerStreet,
        preferredStart: start.toISOString(),
      },
    });
    expect(job.status).toBe(201);
    const quote = await app.request("POST", `/api/v1/jobs/${job.body.id}/quotes`, {
      token: plumber.accessToken,
      body: { price: { amount: 9500, currency: "gbp" }, message: "Can do it on Wednesday." },
    });
    expect(quote.status).toBe(201);
    const opened = await eventually(async () => {
      const list = await app.request("GET", "/api/v1/conversations", { token: plumber.accessToken });
      return list.body.items.find((item: { customer: { id: string } }) => item.customer.id === customer.id);
    });
    expect(opened).toMatchObject({ contractor: { id: plumber.id, name: "Tom Walker" }, bookings: [] });

    const accepted = await app.request("POST", `/api/v1/jobs/${job.body.id}/quotes/${quote.body.id}/accept`, {
      token: customer.accessToken,
    });
    expect(accepted.status).toBe(201);
    const linked = await conversationOf(customer, opened.id);
    expect(linked.bookings).toEqual([
      { id: accepted.body.id, status: "accepted", scheduledStart: start.toISOString() },
    ]);

    // A direct booking request with a contractor the customer never wrote to.
    const electrician = await createContractor(app, "Priya Patel");
    const availability = await app.request("PUT", "/api/v1/contractors/me/availability", {
      token: electrician.accessToken,
      body: {
        timezone: "UTC",
        weekly: [0, 1, 2, 3, 4, 5, 6].map((day) => ({ day, start: "00:00", end: "24:00" })),
      },
    });
    expect(availability.status).toBe(200);
    const booking = await app.request("POST", "/api/v1/bookings", {
      token: customer.accessToken,
      body: {
        contractorId: electrician.id,
        categorySlug: "electrician",
        description: "Replace the fuse board",
        scheduledStart: start.toISOString(),
        location: bakerStreet,
        price: { amount: 24000, currency: "gbp" },
      },
    });
    expect(booking.status).toBe(201);
    const byBooking = await eventually(async () => {
      const list = await app.request("GET", "/api/v1/conversations", { token: electrician.accessToken });
      return list.body.items.find((item: { customer: { id: string } }) => item.customer.id === customer.id);
    });
    expect(byBooking.bookings).toEqual([
      { id: booking.body.id, status: "requested", scheduledStart: start.toISOString() },
    ]);
    const mine = await app.request("GET", "/api/v1/conversations", { token: customer.accessToken });
    expect(mine.body.items.map((item: { id: string }) => item.id).sort()).toEqual(
      [opened.id, byBooking.id].sort(),
    );
  });

  it("a message sent over REST reaches the recipient's socket and all of the sender's devices", async () => {
    const { customer, contractor, conversationId } = await pair();
    const tom = await connect(contractor);
    const phone = await connect(customer);
    const toTom = next<{ message: Message }>(tom, "message:new");
    const toPhone = next<{ message: Message }>(phone, "message:new");
    const sent = await sendRest(customer, conversationId, { text: "Sent from the web" });
    expect(sent.status).toBe(201);
    expect((await toTom).message.id).toBe(sent.body.id);
    expect((await toPhone).message.id).toBe(sent.body.id);
  });

  it("an Idempotency-Key replays the stored message over REST; the same key with another text is refused", async () => {
    const { customer, contractor, conversationId } = await pair();
    const send = (text: string) =>
      app.request("POST", `/api/v1/conversations/${conversationId}/messages`, {
        token: customer.accessToken,
        headers: { "idempotency-key": "send-once" },
        body: { text },
      });
    const first = await send("Running ten minutes late");
    expect(first.status).toBe(201);
    const again = await send("Running ten minutes late");
    expect(again.status).toBe(201);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.body.id).toBe(first.body.id);
    const other = await send("Something else");
    expect(other.status).toBe(409);
    const history = await app.request("GET", `/api/v1/conversations/${conversationId}/messages`, {
      token: contractor.accessToken,
    });
    expect(history.body.items.map((item: Message) => item.id)).toEqual([first.body.id]);
  });

  it("tells nobody of a message whose request rolls back: message:new waits for the commit", async () => {
    const { customer, contractor, conversationId } = await pair();
    const recipient = await connect(contractor);
    const heard = collect<{ message: Message }>(recipient, "message:new");
    const pool = app.server.database.pool;
    // The fault is at the last write of the request, the stored answer, after the message was inserted.
    await pool.query(`create function test_refuse_chat_answer() returns trigger language plpgsql as $$
      begin raise exception 'disk full'; end $$`);
    await pool.query(`create trigger test_refuse_chat_answer before insert on idempotency_keys for each row
      when (new.key = 'chat-answer-fails') execute function test_refuse_chat_answer()`);
    const send = () =>
      app.request("POST", `/api/v1/conversations/${conversationId}/messages`, {
        token: customer.accessToken,
        headers: { "idempotency-key": "chat-answer-fails" },
        body: { text: "Never happened" },
      });
    try {
      expect((await send()).status).toBe(500);
      // What a delivery would take, and more: nothing may arrive.
      await settle(500);
      expect(heard).toEqual([]);
      const history = await app.request("GET", `/api/v1/conversations/${conversationId}/messages`, {
        token: contractor.accessToken,
      });
      expect(history.body.items).toEqual([]);
    } finally {
      await pool.query("drop trigger test_refuse_chat_answer on idempotency_keys");
      await pool.query("drop function test_refuse_chat_answer()");
    }
    // The retry commits, and then the recipient hears of it, once.
    const retried = await send();
    expect(retried.status).toBe(201);
    await eventually(async () => (heard.length > 0 ? true : undefined));
    expect(heard.map((event) => event.message.id)).toEqual([retried.body.id]);
  });

  it("one conversation per pair: parallel opens from both sides give the same one; bad participants are refused", async () => {
    const customer = await register(app, "customer");
    const contractor = await createContractor(app);
    const opens = await Promise.all(
      Array.from({ length: 6 }, (_, index) =>
        index % 2 === 0
          ? app.request("POST", "/api/v1/conversations", {
              token: customer.accessToken,
              body: { participantId: contractor.id },
            })
          : app.request("POST", "/api/v1/conversations", {
              token: contractor.accessToken,
              body: { participantId: customer.id },
            }),
      ),
    );
    expect(opens.map((response) => response.status)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(new Set(opens.map((response) => response.body.id)).size).toBe(1);
    expect(opens[0]?.body).toMatchObject({
      customer: { id: customer.id },
      contractor: { id: contractor.id },
      lastMessage: null,
      unreadCount: 0,
    });

    const otherCustomer = await register(app, "customer");
    const sameRole = await app.request("POST", "/api/v1/conversations", {
      token: customer.accessToken,
      body: { participantId: otherCustomer.id },
    });
    expect(sameRole.status).toBe(422);
    expect(sameRole.body.code).toBe("chat.invalid_participant");
    const withSelf = await app.request("POST", "/api/v1/conversations", {
      token: customer.accessToken,
      body: { participantId: customer.id },
    });
    expect(withSelf.body.code).toBe("chat.invalid_participant");
    const nobody = await app.request("POST", "/api/v1/conversations", {
      token: customer.accessToken,
      body: { participantId: randomUUID() },
    });
    expect(nobody.status).toBe(404);
    expect(nobody.body.code).toBe("chat.participant_not_found");
    const byAdmin = await app.request("POST", "/api/v1/conversations", {
      token: admin.accessToken,
      body: { participantId: contractor.id },
    });
    expect(byAdmin.status).toBe(403);
  });

  it("history pages stay exact while messages arrive, and after= returns what a reconnecting client missed", async () => {
    const { customer, contractor, conversationId } = await pair();
    const sent: string[] = [];
    for (let index = 0; index < 20; index += 1) {
      const author = index % 2 === 0 ? customer : contractor;
      const response = await sendRest(author, conversationId, { text: `message ${index}` });
      expect(response.status).toBe(201);
      sent.push(response.body.id);
    }

    // Walk the history 6 at a time while the contractor keeps sending in parallel.
    const arriving = (async () => {
      const ids: string[] = [];
      for (let index = 0; index < 8; index += 1) {
        const response = await sendRest(contractor, conversationId, { text: `late ${index}` });
        ids.push(response.body.id);
      }
      return ids;
    })();
    const walked: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `?limit=6&cursor=${cursor}` : "?limit=6";
      const page = await app.request("GET", `/api/v1/conversations/${conversationId}/messages${query}`, {
        token: customer.accessToken,
      });
      expect(page.status).toBe(200);
      walked.push(...page.body.items.map((item: Message) => item.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    const late = await arriving;

    // No duplicate and no gap: everything sent before the walk began, in order, after whatever late
    // messages had already arrived when the first page was read.
    expect(new Set(walked).size).toBe(walked.length);
    const older = walked.filter((id) => sent.includes(id));
    expect(older).toEqual([...sent].reverse());
    expect(walked.filter((id) => !sent.includes(id)).every((id) => late.includes(id))).toBe(true);

    // A client that last saw message 19 catches up with the late ones, oldest first, in pages.
    const caughtUp: string[] = [];
    let after: string | null = `after=${sent[19]}&limit=3`;
    while (after) {
      const page = await app.request("GET", `/api/v1/conversations/${conversationId}/messages?${after}`, {
        token: customer.accessToken,
      });
      expect(page.status).toBe(200);
      caughtUp.push(...page.body.items.map((item: Message) => item.id));
      after = page.body.nextCursor ? `after=${sent[19]}&limit=3&cursor=${page.body.nextCursor}` : null;
    }
    expect(caughtUp).toEqual(late);

    const foreign = await app.request(
      "GET",
      `/api/v1/conversations/${conversationId}/messages?after=${randomUUID()}`,
      { token: customer.accessToken },
    );
    expect(foreign.status).toBe(404);
    expect(foreign.body.code).toBe("chat.message_not_found");
    for (const cursorValue of ["garbage", "eyJhIjoxfQ", Buffer.from('["x",1]').toString("base64url")]) {
      const bad = await app.request(
        "GET",
        `/api/v1/conversations/${conversationId}/messages?cursor=${cursorValue}`,
        { token: customer.accessToken },
      );
      expect(bad.status).toBe(400);
      expect(bad.body.code).toBe("pagination.invalid_cursor");
    }
  });

  it("read receipts reach the other side and unread counts drop; a receipt never moves back", async () => {
    const { customer, contractor, conversationId } = await pair();
    const ids: string[] = [];
    for (const text of ["one", "two", "three"]) {
      ids.push((await sendRest(customer, conversationId, { text })).body.id);
    }
    await sendRest(contractor, conversationId, { text: "my own" });
    expect((await conversationOf(contractor, conversationId)).unreadCount).toBe(3);
    expect((await conversationOf(customer, conversationId)).unreadCount).toBe(1);

    const phone = await connect(customer);
    const tom = await connect(contractor);
    const receipt = next<Record<string, unknown>>(phone, "message:read");
    const answer = await ask<Record<string, unknown>>(tom, "message:read", {
      conversationId,
      upToMessageId: ids[1],
    });
    expect(answer).toMatchObject({
      conversationId,
      userId: contractor.id,
      upToMessageId: ids[1],
      unreadCount: 1,
    });
    expect(await receipt).toEqual({
      conversationId,
      userId: contractor.id,
      upToMessageId: ids[1],
      readAt: answer.readAt,
    });
    expect((await conversationOf(contractor, conversationId)).unreadCount).toBe(1);
    expect((await conversationOf(customer, conversationId)).otherReadUpToMessageId).toBe(ids[1]);

    // Over REST, up to the last; then an older receipt (another device, late) changes nothing.
    const viaRest = await app.request("POST", `/api/v1/conversations/${conversationId}/read`, {
      token: contractor.accessToken,
      body: { upToMessageId: ids[2] },
    });
    expect(viaRest.status).toBe(200);
    expect(viaRest.body.unreadCount).toBe(0);
    const late = await app.request("POST", `/api/v1/conversations/${conversationId}/read`, {
      token: contractor.accessToken,
      body: { upToMessageId: ids[0] },
    });
    expect(late.body).toMatchObject({ upToMessageId: ids[2], unreadCount: 0 });
    expect((await conversationOf(contractor, conversationId)).unreadCount).toBe(0);

    const foreign = await app.request("POST", `/api/v1/conversations/${conversationId}/read`, {
      token: contractor.accessToken,
      body: { upToMessageId: randomUUID() },
    });
    expect(foreign.status).toBe(404);
    expect(foreign.body.code).toBe("chat.message_not_found");
  });

  it("attachments: the sender's chat files only; their URLs open for participants and admins, nobody else", async () => {
    const { customer, contractor, conversationId } = await pair();
    const stranger = await register(app, "customer");
    const photo = await uploadedFileId(
      app,
      customer.accessToken,
      "chat_attachment",
      await pngImage(),
      "sink.png",
    );
    const quote = await uploadedFileId(app, customer.accessToken, "chat_attachment", samplePdf, "quote.pdf");
    const phone = await connect(customer);
    const answer = await ask<AckAnswer>(phone, "message:send", {
      conversationId,
      attachmentFileIds: [photo, quote],
      clientMessageId: randomUUID(),
    });
    expect(answer.message?.text).toBe("");
    expect(answer.message?.attachments.map((file) => file.id)).toEqual([photo, quote]);

    const history = await app.request("GET", `/api/v1/conversations/${conversationId}/messages`, {
      token: contractor.accessToken,
    });
    const url: string = history.body.items[0].attachments[0].url;
    expect((await fetch(url)).status).toBe(200);
    for (const reader of [contractor, admin]) {
      expect((await app.request("GET", `/api/v1/files/${photo}`, { token: reader.accessToken })).status).toBe(
        200,
      );
    }
    expect((await app.request("GET", `/api/v1/files/${photo}`, { token: stranger.accessToken })).status).toBe(
      404,
    );

    // Another user's file, a file of another purpose, a file already sent: refused, nothing stored.
    const theirs = await uploadedFileId(app, contractor.accessToken, "chat_attachment", samplePdf, "x.pdf");
    const avatar = await uploadedFileId(app, customer.accessToken, "avatar", await pngImage(), "me.png");
    for (const [fileId, code] of [
      [theirs, "file.not_found"],
      [avatar, "file.wrong_purpose"],
      [photo, "file.already_attached"],
    ] as const) {
      const refused = await sendRest(customer, conversationId, {
        text: "see attached",
        attachmentFileIds: [fileId],
      });
      expect(refused.status).toBeGreaterThanOrEqual(400);
      expect(refused.body.code).toBe(code);
    }
    const after = await app.request("GET", `/api/v1/conversations/${conversationId}/messages`, {
      token: contractor.accessToken,
    });
    expect(after.body.items).toHaveLength(1);
  });

  it("a deleted account's messages lose their text and files; the other side keeps the conversation", async () => {
    const { customer, contractor, conversationId } = await pair();
    const photo = await uploadedFileId(
      app,
      customer.accessToken,
      "chat_attachment",
      await pngImage(),
      "tap.png",
    );
    const sent = await sendRest(customer, conversationId, {
      text: "Photo of the tap",
      attachmentFileIds: [photo],
    });
    expect(sent.status).toBe(201);
    const reply = await sendRest(contractor, conversationId, { text: "Got it" });
    const deleted = await app.request("DELETE", "/api/v1/me", {
      token: customer.accessToken,
      body: { password: customer.password },
    });
    expect(deleted.status).toBe(204);
    const history = await app.request("GET", `/api/v1/conversations/${conversationId}/messages`, {
      token: contractor.accessToken,
    });
    expect(history.body.items).toMatchObject([
      { id: reply.body.id, text: "Got it" },
      { id: sent.body.id, text: "", attachments: [] },
    ]);
  });

  it("a stranger gets chat.not_found on every event and 404 on every route; admins read but do not write", async () => {
    const { customer, conversationId } = await pair();
    await sendRest(customer, conversationId, { text: "private" });
    const stranger = await createContractor(app);
    const socket = await connect(stranger);
    for (const [event, payload] of [
      ["message:send", { conversationId, text: "let me in", clientMessageId: randomUUID() }],
      ["message:read", { conversationId, upToMessageId: randomUUID() }],
      ["typing:start", { conversationId }],
    ] as const) {
      const answer = await ask<AckAnswer>(socket, event, payload);
      expect(answer.error).toMatchObject({ code: "chat.not_found", status: 404 });
    }
    for (const [method, path, body] of [
      ["GET", `/api/v1/conversations/${conversationId}`, undefined],
      ["GET", `/api/v1/conversations/${conversationId}/messages`, undefined],
      ["POST", `/api/v1/conversations/${conversationId}/messages`, { text: "hi" }],
      ["POST", `/api/v1/conversations/${conversationId}/read`, { upToMessageId: randomUUID() }],
    ] as const) {
      const response = await app.request(method, path, { token: stranger.accessToken, body });
      expect(response.status).toBe(404);
      expect(response.body.code).toBe("chat.not_found");
    }
    expect((await conversationOf(stranger, conversationId)) ?? null).toBeNull();

    const read = await app.request("GET", `/api/v1/conversations/${conversationId}/messages`, {
      token: admin.accessToken,
    });
    expect(read.status).toBe(200);
    expect(read.body.items[0].text).toBe("private");
    const adminSocket = await connect(admin);
    const write = await ask<AckAnswer>(adminSocket, "message:send", {
      conversationId,
      text: "admin here",
      clientMessageId: randomUUID(),
    });
    expect(write.error?.code).toBe("chat.not_participant");
  });

  it("a resend storm of one clientMessageId stores one message and delivers it once", async () => {
    const { customer, contractor, conversationId } = await pair();
    const phone = await connect(customer);
    const tablet = await connect(customer);
    const tom = await connect(contractor);
    const delivered = collect<{ message: Message }>(tom, "message:new");
    const clientMessageId = randomUUID();
    const payload = { conversationId, text: "Are you still coming?", clientMessageId };
    const answers = await Promise.all([
      ...Array.from({ length: 8 }, () => ask<AckAnswer>(phone, "message:send", payload)),
      ...Array.from({ length: 8 }, () => ask<AckAnswer>(tablet, "message:send", payload)),
      ...Array.from({ length: 4 }, () =>
        sendRest(customer, conversationId, { text: payload.text, clientMessageId }).then((response) => ({
          message: response.body as Message,
        })),
      ),
    ]);
    const ids = new Set(answers.map((answer) => answer.message?.id));
    expect(ids.size).toBe(1);
    expect([...ids][0]).toMatch(/^[0-9a-f-]{36}$/);
    const history = await app.request("GET", `/api/v1/conversations/${conversationId}/messages`, {
      token: contractor.accessToken,
    });
    expect(history.body.items).toHaveLength(1);
    await settle(300);
    expect(delivered).toHaveLength(1);

    // The same id in another conversation is a client's mistake, said plainly.
    const other = await createContractor(app);
    const second = await app.request("POST", "/api/v1/conversations", {
      token: customer.accessToken,
      body: { participantId: other.id },
    });
    const reused = await ask<AckAnswer>(phone, "message:send", {
      ...payload,
      conversationId: second.body.id,
    });
    expect(reused.error?.code).toBe("chat.client_message_id_reused");
  });

  it("the message rate limit holds under a parallel burst, over sockets and REST together", async () => {
    const { customer, conversationId } = await pair();
    const phone = await connect(customer);
    const burst = 45;
    const answers = await Promise.all(
      Array.from({ length: burst }, (_, index) =>
        index % 3 === 0
          ? sendRest(customer, conversationId, { text: `burst ${index}` }).then((response) => ({
              ok: response.status === 201,
              code: response.body.code as string | undefined,
              status: response.status,
              retryAfter: response.headers.get("retry-after"),
            }))
          : ask<AckAnswer>(phone, "message:send", {
              conversationId,
              text: `burst ${index}`,
              clientMessageId: randomUUID(),
            }).then((answer) => ({
              ok: answer.message !== undefined,
              code: answer.error?.code,
              status: answer.error?.status ?? 201,
              retryAfter: "n/a",
            })),
      ),
    );
    expect(answers.filter((answer) => answer.ok)).toHaveLength(messageLimit);
    const refused = answers.filter((answer) => !answer.ok);
    expect(refused).toHaveLength(burst - messageLimit);
    expect(new Set(refused.map((answer) => answer.code))).toEqual(new Set(["chat.rate_limited"]));
    expect(refused.every((answer) => answer.status === 429)).toBe(true);
    expect(
      refused
        .filter((answer) => answer.retryAfter !== "n/a")
        .every((answer) => Number(answer.retryAfter) > 0),
    ).toBe(true);
    const history = await app.request("GET", `/api/v1/conversations/${conversationId}/messages?limit=100`, {
      token: customer.accessToken,
    });
    expect(history.body.items).toHaveLength(messageLimit);

    // At the limit, a resend of a stored message still gets its message (it costs nothing new); a new one waits.
    const storedOne = history.body.items.find((item: Message) => item.clientMessageId !== null) as Message;
    const resend = await ask<AckAnswer>(phone, "message:send", {
      conversationId,
      text: storedOne.text,
      clientMessageId: storedOne.clientMessageId,
    });
    expect(resend.message?.id).toBe(storedOne.id);
    const fresh = await ask<AckAnswer>(phone, "message:send", {
      conversationId,
      text: "one more",
      clientMessageId: randomUUID(),
    });
    expect(fresh.error?.code).toBe("chat.rate_limited");
  });

  it("malformed events and bodies get a clear validation error; a 1 MB socket payload closes only that socket", async () => {
    const { customer, conversationId } = await pair();
    const phone = await connect(customer);
    const cases: [unknown, string][] = [
      [{ conversationId: "not-an-id", text: "hi", clientMessageId: "a" }, "conversationId"],
      [{ conversationId, text: "bad \u0000 byte", clientMessageId: "b" }, "text"],
      [{ conversationId, text: "x".repeat(4001), clientMessageId: "c" }, "text"],
      [{ conversationId, text: "   ", clientMessageId: "d" }, "text"],
      [{ conversationId, text: "hi" }, "clientMessageId"],
      [{ conversationId, text: "hi", clientMessageId: "e", extra: 1 }, ""],
      ["just a string", ""],
    ];
    for (const [payload, path] of cases) {
      const answer = await ask<{ error: { code: string; errors: { path: string }[] } }>(
        phone,
        "message:send",
        payload,
      );
      expect(answer.error.code).toBe("validation.failed");
      if (path) expect(answer.error.errors.map((error) => error.path)).toContain(path);
    }
    const longest = await ask<AckAnswer>(phone, "message:send", {
      conversationId,
      text: `  ${"é".repeat(4000)}  `,
      clientMessageId: randomUUID(),
    });
    expect(longest.message?.text).toHaveLength(4000);

    const rest = await sendRest(customer, conversationId, { text: "bad \u0000 byte" });
    expect(rest.status).toBe(400);
    const badId = await app.request("GET", "/api/v1/conversations/not-an-id/messages", {
      token: customer.accessToken,
    });
    expect(badId.status).toBe(400);

    const bystander = await connect(customer);
    const closed = new Promise<string>((resolveClose) => phone.once("disconnect", resolveClose));
    phone.emit("message:send", {
      conversationId,
      text: "x".repeat(1_000_000),
      clientMessageId: randomUUID(),
    });
    expect(await closed).toBe("transport close");
    // Over REST, 1 MB of text is within the body limit and refused by its length; past the limit, 413.
    const long = await sendRest(customer, conversationId, { text: "x".repeat(1_000_000) });
    expect(long.status).toBe(400);
    expect(long.body.errors.map((error: { path: string }) => error.path)).toEqual(["text"]);
    const huge = await sendRest(customer, conversationId, { text: "x".repeat(2_000_000) });
    expect(huge.status).toBe(413);
    await settle(200);
    expect(bystander.connected).toBe(true);
    const history = await app.request("GET", `/api/v1/conversations/${conversationId}/messages`, {
      token: customer.accessToken,
    });
    expect(history.body.items).toHaveLength(1);
  });

  it("typing indicators reach the other side throttled, and stops follow starts", async () => {
    const { customer, contractor, conversationId } = await pair();
    const phone = await connect(customer);
    const tom = await connect(contractor);
    const updates = collect<Record<string, unknown>>(tom, "typing:update");
    for (let index = 0; index < 5; index += 1) await ask(phone, "typing:start", { conversationId });
    await ask(phone, "typing:stop", { conversationId });
    await ask(phone, "typing:stop", { conversationId });
    await ask(phone, "typing:start", { conversationId });
    await settle(300);
    expect(updates).toEqual([
      { conversationId, userId: customer.id, typing: true },
      { conversationId, userId: customer.id, typing: false },
      { conversationId, userId: customer.id, typing: true },
    ]);
  });

  it("a handshake with an expired token is refused, and logout-all closes the chat socket", async () => {
    const customer = await register(app);
    const socket = await connect(customer);
    const gone = new Promise<string>((resolveGone) => socket.once("disconnect", resolveGone));
    const out = await app.request("POST", "/api/v1/auth/logout-all", { token: customer.accessToken });
    expect(out.status).toBe(204);
    expect(await gone).toBe("io server disconnect");

    const later = await register(app);
    clock.advance((app.config.auth.accessTokenTtlSeconds + 5) * 1000);
    try {
      const refused = await openSocket(app.url, later.accessToken).then(
        (opened) => {
          opened.close();
          return undefined;
        },
        (error: Error & { data?: { code: string } }) => error,
      );
      expect(refused?.data?.code).toBe("auth.token_expired");
    } finally {
      clock.advance(-(app.config.auth.accessTokenTtlSeconds + 5) * 1000);
    }
  });
});
