import { connect, createServer, type Server, type Socket } from "node:net";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Account, register } from "./accounts.js";
import { createTestDatabase, type TestDatabase } from "./database.js";
import { createContractor, sampleProfile } from "./fixtures.js";
import { startTestServer, type TestResponse, type TestServer } from "./server.js";

/**
 * A TCP relay between the server and its database, which the test can stop (connections refused, open ones
 * cut) or freeze (connections accepted and never answered), as a crashed or a stalled database host would.
 */
async function databaseRelay(targetUrl: string) {
  const target = new URL(targetUrl);
  let frozen = false;
  const sockets = new Set<Socket>();
  /** Connections accepted while frozen: cut on resume, so whoever waits on them (pg-boss) retries. */
  const stalled = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
  };
  const cutAll = () => {
    for (const socket of sockets) socket.destroy();
  };
  let server: Server | undefined;
  const listen = async (port: number) => {
    const relay = createServer((client) => {
      track(client);
      if (frozen) {
        stalled.add(client);
        return;
      }
      const upstream = connect(Number(target.port), target.hostname);
      track(upstream);
      client.pipe(upstream).pipe(client);
      client.on("close", () => upstream.destroy());
      upstream.on("close", () => client.destroy());
    });
    await new Promise<void>((listening) => relay.listen(port, "127.0.0.1", listening));
    server = relay;
    return (relay.address() as { port: number }).port;
  };
  const close = async () => {
    cutAll();
    const relay = server;
    server = undefined;
    if (relay) await new Promise<void>((closed) => relay.close(() => closed()));
  };
  const port = await listen(0);
  const url = new URL(targetUrl);
  url.port = String(port);
  return {
    url: url.toString(),
    /** The database host is gone: new connections are refused, open ones cut. */
    stop: close,
    /** The database host stalls: new connections are accepted and never answered, open ones cut. */
    freeze: () => {
      frozen = true;
      cutAll();
    },
    resume: async () => {
      frozen = false;
      for (const socket of stalled) socket.destroy();
      stalled.clear();
      if (!server) await listen(port);
    },
    close,
  };
}

function expectRetryable(response: TestResponse, code: string) {
  expect(response.status).toBe(503);
  expect(response.body.code).toBe(code);
  expect(Number(response.headers.get("retry-after"))).toBeGreaterThan(0);
  expect(response.headers.get("content-type")).toMatch(/application\/problem\+json/);
}

describe("a burst of expensive public searches", () => {
  let app: TestServer;
  let customer: Account;

  beforeAll(async () => {
    app = await startTestServer({
      DATABASE_POOL_SIZE: "6",
      PUBLIC_QUERY_CONCURRENCY: "2",
      PUBLIC_QUERY_QUEUE_MS: "300",
      DATABASE_CONNECT_TIMEOUT_MS: "3000",
    });
    customer = await register(app);
    for (let index = 0; index < 12; index += 1) {
      await createContractor(app, `Searchable ${index}`, {
        ...sampleProfile,
        serviceArea: { lat: 51.5 + index / 200, lng: -0.12, radiusKm: 20 },
      });
    }
  });
  afterAll(async () => {
    await app.close();
  });

  it("holds only its budget of connections: /me and /categories keep answering 200", async () => {
    const search = () => app.request("GET", "/api/v1/contractors?lat=51.5&lng=-0.1&radiusKm=30");
    expect((await search()).body.items.length).toBe(12);

    // Another session holds the profiles table, so every search waits on its lock the way a slow query
    // would, each holding a pooled connection while it waits.
    const blocker = new pg.Client({ connectionString: app.database.url });
    await blocker.connect();
    await blocker.query("begin");
    await blocker.query("lock table contractor_profiles in access exclusive mode");
    let searches: Promise<TestResponse[]> = Promise.resolve([]);
    try {
      searches = Promise.all(Array.from({ length: 100 }, search));
      // Give the burst time to reach the server and fill its budget.
      await new Promise((settle) => setTimeout(settle, 200));
      for (let round = 0; round < 3; round += 1) {
        const [me, categories] = await Promise.all([
          app.request("GET", "/api/v1/me", { token: customer.accessToken }),
          app.request("GET", "/api/v1/categories"),
        ]);
        expect(me.status).toBe(200);
        expect(categories.status).toBe(200);
      }
      await new Promise((settle) => setTimeout(settle, 400));
    } finally {
      await blocker.query("rollback");
      await blocker.end();
    }
    const answers = await searches;
    const statuses = answers.map((answer) => answer.status);
    // Two were running when the lock went; the rest waited their 300 ms and were told to come back.
    expect(statuses.filter((status) => status === 200).length).toBeGreaterThanOrEqual(2);
    const refused = answers.filter((answer) => answer.status !== 200);
    expect(refused.length).toBeGreaterThan(50);
    for (const answer of refused) expectRetryable(answer, "database.busy");
    // Once the burst is over, searching works again.
    expect((await search()).status).toBe(200);
  });
});

describe("a database that is gone", () => {
  let database: TestDatabase;
  let relay: Awaited<ReturnType<typeof databaseRelay>>;
  let app: TestServer;
  let customer: Account;

  beforeAll(async () => {
    database = await createTestDatabase();
    relay = await databaseRelay(database.url);
    app = await startTestServer(
      { DATABASE_URL: relay.url, DATABASE_CONNECT_TIMEOUT_MS: "1000", READINESS_TIMEOUT_MS: "1000" },
      { database },
    );
    customer = await register(app);
  });
  afterAll(async () => {
    await app.close();
    await relay.close();
    await database.drop();
  });

  it("answers 503 database.unavailable with Retry-After when the database refuses connections", async () => {
    await relay.stop();
    try {
      for (const [path, token] of [
        ["/api/v1/categories", undefined],
        ["/api/v1/me", customer.accessToken],
      ] as const) {
        const started = Date.now();
        const answer = await app.request("GET", path, token ? { token } : {});
        expectRetryable(answer, "database.unavailable");
        expect(Date.now() - started).toBeLessThan(2_000);
      }
      const ready = await app.request("GET", "/health/ready");
      expect(ready.status).toBe(503);
      expect(ready.body.checks.database).toBe("down");
    } finally {
      await relay.resume();
    }
    expect((await app.request("GET", "/api/v1/categories")).status).toBe(200);
  });

  it("answers 503 database.unavailable within the connect timeout when the database stalls", async () => {
    relay.freeze();
    try {
      // The first may meet a pooled connection the stall cut, and fail at once; the next must connect anew.
      expectRetryable(await app.request("GET", "/api/v1/categories"), "database.unavailable");
      const started = Date.now();
      const answer = await app.request("GET", "/api/v1/categories");
      const elapsed = Date.now() - started;
      expectRetryable(answer, "database.unavailable");
      // The connect timeout is 1 s: the answer waits for it, not for the stall to end.
      expect(elapsed).toBeGreaterThanOrEqual(900);
      expect(elapsed).toBeLessThan(3_000);
    } finally {
      await relay.resume();
    }
    expect((await app.request("GET", "/api/v1/categories")).status).toBe(200);
  });

  it("answers 503 database.unavailable to a query cut by an administrator's shutdown (57P01)", async () => {
    const blocker = new pg.Client({ connectionString: database.url });
    await blocker.connect();
    await blocker.query("begin");
    await blocker.query("lock table contractor_profiles in access exclusive mode");
    try {
      const search = app.request("GET", "/api/v1/contractors?lat=51.5&lng=-0.1");
      await new Promise((settle) => setTimeout(settle, 300));
      // What a fast shutdown does to every session but ours.
      await database.admin(
        "select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid not in (pg_backend_pid(), $2)",
        [database.name, (blocker as unknown as { processID: number }).processID],
      );
      expectRetryable(await search, "database.unavailable");
    } finally {
      await blocker.query("rollback");
      await blocker.end();
    }
    expect((await app.request("GET", "/api/v1/contractors?lat=51.5&lng=-0.1")).status).toBe(200);
  });
});

describe("readiness under load", () => {
  let app: TestServer;

  beforeAll(async () => {
    app = await startTestServer({ DATABASE_POOL_SIZE: "3", DATABASE_CONNECT_TIMEOUT_MS: "5000" });
  });
  afterAll(async () => {
    await app.close();
  });

  it("reports a saturated pool as busy, not as a database that is down, and stays ready", async () => {
    const { pool } = app.server.database;
    const held = await Promise.all([pool.connect(), pool.connect(), pool.connect()]);
    const waiter = pool.connect();
    try {
      const ready = await app.request("GET", "/health/ready");
      expect(ready.status).toBe(200);
      expect(ready.body.checks).toEqual({ database: "up", migrations: "applied", pool: "busy" });
      expect(ready.body.pool).toMatchObject({ max: 3, open: 3, idle: 0 });
      expect(ready.body.pool.waiting).toBeGreaterThanOrEqual(1);
    } finally {
      for (const client of held) client.release();
      (await waiter).release();
    }
    const calm = await app.request("GET", "/health/ready");
    expect(calm.body.checks.pool).toBe("free");
    expect(calm.body.pool.waiting).toBe(0);
  });
});
