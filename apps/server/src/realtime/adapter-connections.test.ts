import pg from "pg";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { settle } from "../../test/chat.js";
import { createTestDatabase, type TestDatabase } from "../../test/database.js";
import { adapterConnections } from "./adapter-connections.js";

/** The statement `@socket.io/postgres-adapter` publishes every packet with. */
const publish = "SELECT pg_notify($1, $2)";

describe("the Socket.IO adapter's NOTIFY batches", () => {
  let database: TestDatabase;
  let listener: pg.Client;
  const heard: { channel: string; payload: string }[] = [];

  /** What `channel` heard, once `count` notifications came (a generous bound for a loaded machine). */
  async function heardOn(channel: string, count: number): Promise<string[]> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const found = heard.filter((entry) => entry.channel === channel).map((entry) => entry.payload);
      if (found.length >= count) return found;
      if (Date.now() > deadline) throw new Error(`${channel} heard ${found.length} of ${count}`);
      await settle(20);
    }
  }

  beforeAll(async () => {
    database = await createTestDatabase();
    listener = new pg.Client({ connectionString: database.url });
    await listener.connect();
    listener.on("notification", (message) =>
      heard.push({ channel: message.channel, payload: message.payload ?? "" }),
    );
    for (const channel of ["in_order", "twins", "faults", "closing"])
      await listener.query(`listen ${channel}`);
  });
  afterAll(async () => {
    await listener.end();
    await database.drop();
  });

  const connections = () =>
    adapterConnections(database.url, { connectTimeoutMs: 10_000 }, pino({ level: "silent" }));

  it("delivers packets emitted at once in the order they were emitted", async () => {
    const adapter = connections();
    try {
      const payloads = Array.from({ length: 200 }, (_, index) => `packet ${index}`);
      await Promise.all(payloads.map((payload) => adapter.pool.query(publish, ["in_order", payload])));
      expect(await heardOn("in_order", 200)).toEqual(payloads);
    } finally {
      await adapter.close();
    }
  });

  it("delivers identical packets emitted at once as many times as they were emitted", async () => {
    const adapter = connections();
    try {
      const payloads = ["same", "same", "other", "same", "other"];
      await Promise.all(payloads.map((payload) => adapter.pool.query(publish, ["twins", payload])));
      // Nothing more than was emitted arrives, either.
      await settle(200);
      expect(await heardOn("twins", payloads.length)).toEqual(payloads);
    } finally {
      await adapter.close();
    }
  });

  it("refuses the packets of a failed batch and still sends the next", async () => {
    const adapter = connections();
    try {
      // The first goes alone; the next two wait for it and go together, in a batch PostgreSQL refuses
      // (a payload over its 8000-byte limit).
      const first = adapter.pool.query(publish, ["faults", "before"]);
      const tooLong = adapter.pool.query(publish, ["faults", "x".repeat(9000)]);
      const besideIt = adapter.pool.query(publish, ["faults", "beside"]);
      await first;
      await expect(tooLong).rejects.toThrow(/payload string too long/);
      await expect(besideIt).rejects.toThrow(/payload string too long/);
      await adapter.pool.query(publish, ["faults", "after"]);
      await settle(200);
      expect(await heardOn("faults", 2)).toEqual(["before", "after"]);
    } finally {
      await adapter.close();
    }
  });

  it("sends what is still waiting before its connection closes", async () => {
    const adapter = connections();
    const payloads = Array.from({ length: 20 }, (_, index) => `last ${index}`);
    const sent = payloads.map((payload) => adapter.pool.query(publish, ["closing", payload]));
    await adapter.close();
    await Promise.all(sent);
    expect(await heardOn("closing", 20)).toEqual(payloads);
    // Emitted once closed (a job finishing during shutdown): answered, not published, and no error to log.
    await expect(adapter.pool.query(publish, ["closing", "too late"])).resolves.toBeDefined();
    await settle(200);
    expect(await heardOn("closing", 20)).toEqual(payloads);
  });
});
