import { randomUUID } from "node:crypto";
import pg from "pg";
import type { Socket } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Account, register } from "../../../test/accounts.js";
import { ask, collect, settle } from "../../../test/chat.js";
import { createContractor } from "../../../test/fixtures.js";
import { startTestServer, type TestServer } from "../../../test/server.js";
import { openSocket } from "../../../test/sockets.js";

/**
 * Socket sends that arrive together share one statement (the rate limit's charges and the inserts):
 * these bursts check that every rule still holds message by message inside one batch.
 */
const messageLimit = 12;

interface Message {
  id: string;
  conversationId: string;
  text: string;
  clientMessageId: string | null;
}

interface AckAnswer {
  message?: Message;
  error?: { code: string; status: number; detail: string };
}

describe("chat sends batched together", () => {
  let app: TestServer;
  let sql: pg.Client;
  const sockets: Socket[] = [];

  const connect = async (account: Account) => {
    const socket = await openSocket(app.url, account.accessToken);
    sockets.push(socket);
    return socket;
  };

  async function open(customer: Account, contractorId: string): Promise<string> {
    const opened = await app.request("POST", "/api/v1/conversations", {
      token: customer.accessToken,
      body: { participantId: contractorId },
    });
    expect(opened.status).toBe(200);
    return opened.body.id as string;
  }

  /** The conversation's history, oldest first, with each message's number. */
  async function stored(conversationId: string) {
    const { rows } = await sql.query<{ id: string; seq: number; text: string }>(
      "select id, seq, text from messages where conversation_id = $1 order by seq",
      [conversationId],
    );
    return rows;
  }

  /** A customer on two devices in a conversation with Tom, whose one device collects what it hears. */
  async function customerWithTwoDevices() {
    const customer = await register(app, "customer");
    const contractor = await createContractor(app, "Tom Walker");
    const conversationId = await open(customer, contractor.id);
    const [phone, tablet] = [await connect(customer), await connect(customer)];
    const heard = collect<{ message: Message }>(await connect(contractor), "message:new");
    return { customer, conversationId, phone, tablet, heard };
  }

  const send = (socket: Socket, conversationId: string, text: string, clientMessageId = randomUUID()) =>
    ask<AckAnswer>(socket, "message:send", { conversationId, text, clientMessageId });

  beforeAll(async () => {
    app = await startTestServer({ LIMIT_CHAT_MESSAGES: `${messageLimit}/1h` });
    sql = new pg.Client({ connectionString: app.database.url });
    await sql.connect();
  });
  afterAll(async () => {
    for (const socket of sockets) socket.close();
    await sql.end();
    await app.close();
  });

  it("a burst of one user's messages over several devices and conversations passes the limit by none", async () => {
    const customer = await register(app, "customer");
    const contractors = await Promise.all([1, 2, 3].map((n) => createContractor(app, `Pro ${n}`)));
    const conversations = await Promise.all(contractors.map((contractor) => open(customer, contractor.id)));
    const devices = await Promise.all([1, 2, 3].map(() => connect(customer)));

    const answers = await Promise.all(
      Array.from({ length: 45 }, (_, index) =>
        send(
          devices[index % 3] as Socket,
          conversations[index % conversations.length] as string,
          `burst ${index}`,
        ),
      ),
    );
    const accepted = answers.filter((answer) => answer.message);
    expect(accepted).toHaveLength(messageLimit);
    expect(answers.filter((answer) => answer.error?.code === "chat.rate_limited")).toHaveLength(
      45 - messageLimit,
    );
    // What was acknowledged is what is stored, numbered without gaps in each conversation.
    const rows = [];
    for (const conversationId of conversations) rows.push(...(await stored(conversationId)));
    expect(rows.map((row) => row.id).sort()).toEqual(accepted.map((answer) => answer.message?.id).sort());
    for (const conversationId of conversations) {
      const seqs = (await stored(conversationId)).map((row) => row.seq);
      expect(seqs).toEqual(seqs.map((_, index) => index + 1));
    }
    // The refused sends used up nothing: once the window is full, it stays exactly full.
    const more = await send(devices[0] as Socket, conversations[0] as string, "one more");
    expect(more.error?.code).toBe("chat.rate_limited");
  });

  it("keeps each socket's order and numbers messages per conversation in the order they arrived", async () => {
    const customer = await register(app, "customer");
    const contractor = await createContractor(app, "Tom Walker");
    const conversationId = await open(customer, contractor.id);
    const [maria, tom] = [await connect(customer), await connect(contractor)];
    const heard = collect<{ message: Message }>(tom, "message:new");

    // Both sides at once: each side's messages in the order it sent them, in one numbering.
    const fromMaria = Array.from({ length: 5 }, (_, index) => `maria ${index}`);
    const fromTom = Array.from({ length: 5 }, (_, index) => `tom ${index}`);
    const answers = await Promise.all([
      ...fromMaria.map((text) => send(maria, conversationId, text)),
      ...fromTom.map((text) => send(tom, conversationId, text)),
    ]);
    expect(answers.every((answer) => answer.message)).toBe(true);
    const texts = (await stored(conversationId)).map((row) => row.text);
    expect(texts.filter((text) => text.startsWith("maria"))).toEqual(fromMaria);
    expect(texts.filter((text) => text.startsWith("tom"))).toEqual(fromTom);
    expect((await stored(conversationId)).map((row) => row.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    // Tom's socket hears Maria's messages in her order, once each.
    await settle(300);
    expect(heard.map((event) => event.message.text)).toEqual(fromMaria);
  });

  it("one clientMessageId sent many times in one burst stores one message, charged once", async () => {
    const { conversationId, phone, tablet, heard } = await customerWithTwoDevices();
    const clientMessageId = randomUUID();

    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, index) =>
        send(index % 2 ? phone : tablet, conversationId, "Same message", clientMessageId),
      ),
    );
    const ids = new Set(answers.map((answer) => answer.message?.id));
    expect(ids.size).toBe(1);
    expect([...ids][0]).toBeDefined();
    expect(await stored(conversationId)).toHaveLength(1);
    await settle(300);
    expect(heard).toHaveLength(1);
    // The resends were given their charges back: the rest of the window is still there to use.
    const rest = await Promise.all(
      Array.from({ length: messageLimit - 1 }, (_, index) => send(phone, conversationId, `next ${index}`)),
    );
    expect(rest.every((answer) => answer.message)).toBe(true);
  });

  it("a batch stored but whose refused charges cannot be given back still answers each send as stored", async () => {
    const { customer, conversationId, phone, tablet, heard } = await customerWithTwoDevices();
    const key = `chat_message_user:${customer.id}`;
    // Giving points back fails, as a database connection lost just after the batch's commit would make it.
    await sql.query(`
      create function refuse_give_back() returns trigger language plpgsql as $$
      begin
        if new.key = '${key}' and new.points < old.points then raise exception 'refused for the test'; end if;
        return new;
      end $$;
      create trigger refuse_give_back before update on rate_limits for each row execute function refuse_give_back();`);
    try {
      const answers = await Promise.all(
        Array.from({ length: messageLimit + 8 }, (_, index) =>
          send(index % 2 ? phone : tablet, conversationId, `burst ${index}`),
        ),
      );
      const accepted = answers.filter((answer) => answer.message);
      expect(accepted).toHaveLength(messageLimit);
      expect(answers.filter((answer) => answer.error?.code === "chat.rate_limited")).toHaveLength(8);
      // Every acknowledged message is stored once and delivered once; nothing was stored a second time.
      expect((await stored(conversationId)).map((row) => row.id).sort()).toEqual(
        accepted.map((answer) => answer.message?.id).sort(),
      );
      await settle(300);
      expect(heard.map((event) => event.message.id).sort()).toEqual(
        accepted.map((answer) => answer.message?.id).sort(),
      );
    } finally {
      await sql.query("drop trigger refuse_give_back on rate_limits; drop function refuse_give_back();");
    }
  });

  it("a message refused inside a burst fails alone; the others are stored and delivered", async () => {
    const customer = await register(app, "customer");
    const contractor = await createContractor(app, "Tom Walker");
    const conversationId = await open(customer, contractor.id);
    const stranger = await register(app, "customer");
    const theirs = await open(stranger, (await createContractor(app, "Ann Baker")).id);
    const maria = await connect(customer);

    // A message the database refuses on its own (as a failed disk or a constraint would) makes its whole
    // statement fail: the batch is then stored one message at a time.
    await sql.query(`
      create function refuse_poison() returns trigger language plpgsql as $$
      begin
        if new.text = 'poison' then raise exception 'refused for the test'; end if;
        return new;
      end $$;
      create trigger refuse_poison before insert on messages for each row execute function refuse_poison();`);
    try {
      const [first, notTheirs, poison, last] = await Promise.all([
        send(maria, conversationId, "first"),
        send(maria, theirs, "not my conversation"),
        send(maria, conversationId, "poison"),
        send(maria, conversationId, "last"),
      ]);
      expect(first.message?.text).toBe("first");
      expect(last.message?.text).toBe("last");
      expect(notTheirs.error?.code).toBe("chat.not_found");
      expect(poison.error).toMatchObject({ code: "internal", status: 500 });
      expect((await stored(conversationId)).map((row) => row.text)).toEqual(["first", "last"]);
      expect(await stored(theirs)).toEqual([]);
      // Only the two stored messages count against the sender's limit: the failed batch's charges rolled
      // back with it, and the messages that then failed alone gave theirs back.
      const { rows } = await sql.query("select points from rate_limits where key = $1", [
        `chat_message_user:${customer.id}`,
      ]);
      expect(rows).toEqual([{ points: 2 }]);
    } finally {
      await sql.query("drop trigger refuse_poison on messages; drop function refuse_poison();");
    }
  });
});
