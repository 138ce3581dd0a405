import { isDeepStrictEqual } from "node:util";
import fc from "fast-check";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { type Account, login, register } from "../../test/accounts.js";
import { TestClock } from "../../test/clock.js";
import { adminQuery } from "../../test/database.js";
import { startTestServer, type TestServer } from "../../test/server.js";
import { newId } from "../db/columns.js";
import { transaction } from "../db/transaction.js";
import type { TestRouteDeps } from "../server.js";
import type { ApiRouter } from "./api.js";
import { canonicalJson, type RequestIdentity, requestFingerprint } from "./idempotency.js";
import { Reply } from "./reply.js";

/** Rebuilds `value` with every object's keys in an order drawn from `seed`. */
function shuffleKeys(value: unknown, seed: number): unknown {
  let state = seed >>> 0 || 1;
  const next = () => {
    // xorshift32: enough to draw permutations reproducibly from fast-check's seed
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
  const walk = (item: unknown): unknown => {
    if (Array.isArray(item)) return item.map(walk);
    if (item === null || typeof item !== "object") return item;
    const entries = Object.entries(item);
    for (let i = entries.length - 1; i > 0; i--) {
      const j = Math.floor(next() * (i + 1));
      [entries[i], entries[j]] = [entries[j] as [string, unknown], entries[i] as [string, unknown]];
    }
    const copy: Record<string, unknown> = {};
    // defineProperty, so a "__proto__" key stays a plain key as JSON.parse makes it
    for (const [key, child] of entries) {
      Object.defineProperty(copy, key, {
        value: walk(child),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return copy;
  };
  return walk(value);
}

/** What the server sees: the body as a client would send it, parsed back. */
const asSent = (value: unknown, indent: string | number = 0): unknown =>
  JSON.parse(JSON.stringify(value, null, indent));

const request = (body: unknown, overrides: Partial<RequestIdentity> = {}): RequestIdentity => ({
  method: "POST",
  path: "/api/v1/bookings",
  caller: "0190f0a4-8a4b-7c3e-9e55-4a3d1c2b1a00",
  query: {},
  body,
  ...overrides,
});

describe("request fingerprint", () => {
  it("is the same for any key order and whitespace of the same body", () => {
    fc.assert(
      fc.property(
        fc.jsonValue(),
        fc.integer(),
        fc.constantFrom(0, 1, 2, "\t", " \n "),
        (value, seed, indent) => {
          const original = asSent(value);
          const reordered = asSent(shuffleKeys(original, seed), indent);
          expect(requestFingerprint(request(reordered))).toBe(requestFingerprint(request(original)));
        },
      ),
    );
  });

  it("changes when any value in the body changes", () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string(), fc.jsonValue(), { minKeys: 1 }),
        fc.nat(),
        fc.jsonValue(),
        (object, pick, replacement) => {
          const original = asSent(object) as Record<string, unknown>;
          const keys = Object.keys(original);
          const key = keys[pick % keys.length] as string;
          const changed = asSent({ ...original, [key]: replacement }) as Record<string, unknown>;
          fc.pre(!isDeepStrictEqual(changed[key], original[key]));
          expect(requestFingerprint(request(changed))).not.toBe(requestFingerprint(request(original)));
        },
      ),
    );
  });

  it("tells apart any two bodies that are not equal as JSON values", () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), (a, b) => {
        const [left, right] = [asSent(a), asSent(b)];
        fc.pre(!isDeepStrictEqual(left, right));
        expect(requestFingerprint(request(left))).not.toBe(requestFingerprint(request(right)));
      }),
    );
  });

  it("covers the method, the path, the caller and the query besides the body", () => {
    const body = { amount: 12500, currency: "usd" };
    const base = requestFingerprint(request(body));
    expect(requestFingerprint(request(body, { path: "/api/v1/withdrawals" }))).not.toBe(base);
    expect(requestFingerprint(request(body, { method: "PUT" }))).not.toBe(base);
    expect(requestFingerprint(request(body, { caller: "anonymous" }))).not.toBe(base);
    expect(requestFingerprint(request(body, { query: { dryRun: "true" } }))).not.toBe(base);
    // An array's order is part of its value, unlike an object's key order.
    expect(canonicalJson([1, 2])).not.toBe(canonicalJson([2, 1]));
    expect(canonicalJson({ b: [{ d: 1, c: 2 }], a: null })).toBe('{"a":null,"b":[{"c":2,"d":1}]}');
  });
});

const orderQueue = "test.order-placed";

/**
 * A module standing in for bookings and payments: its idempotent route writes a row and enqueues a job in a
 * transaction of its own, as a service does, and lets a test act after that write and before the answer.
 */
function ordersModule(hooks: { afterWrite?: (item: string) => Promise<void> }) {
  return async ({ pool, jobs }: TestRouteDeps) => {
    await pool.query(
      "create table test_orders (id uuid primary key, user_id uuid not null, item text not null, quantity int not null)",
    );
    await jobs.createQueue(orderQueue);
    return (api: ApiRouter) => {
      api.route({
        method: "post",
        path: "/test/orders",
        tags: ["Test"],
        summary: "Place an order (test only)",
        access: "user",
        idempotent: true,
        body: z.strictObject({
          item: z.string().min(1),
          quantity: z.number().int().positive(),
          details: z.record(z.string(), z.unknown()).optional(),
        }),
        response: {
          status: 201,
          description: "The order",
          schema: z.object({ id: z.string(), item: z.string(), quantity: z.number() }),
        },
        handler: async ({ user, body }) => {
          const id = newId();
          await transaction(pool, async (tx) => {
            await tx.executeSql(
              "insert into test_orders (id, user_id, item, quantity) values ($1, $2, $3, $4)",
              [id, user.id, body.item, body.quantity],
            );
            await jobs.send(orderQueue, { orderId: id, userId: user.id }, { db: tx });
          });
          await hooks.afterWrite?.(body.item);
          return new Reply(
            201,
            { id, item: body.item, quantity: body.quantity },
            { Location: `/api/v1/test/orders/${id}` },
          );
        },
      });
    };
  };
}

function deferred() {
  let resolve = () => {};
  const promise = new Promise<void>((settle) => {
    resolve = settle;
  });
  return { promise, resolve };
}

describe("Idempotency-Key on a route whose service writes in its own transaction", () => {
  let app: TestServer;
  let alice: Account;
  let bob: Account;
  const clock = new TestClock();
  const hooks: { afterWrite?: (item: string) => Promise<void> } = {};

  const order = (account: Account, key: string, body: unknown, rawBody?: string) =>
    app.request("POST", "/api/v1/test/orders", {
      token: account.accessToken,
      headers: { "idempotency-key": key, "content-type": "application/json" },
      ...(rawBody === undefined ? { body } : { rawBody }),
    });
  const sql = <Row extends Record<string, unknown>>(text: string, values: unknown[] = []) =>
    adminQuery<Row>(app.database.url, text, values);
  /** Orders and queued jobs of one user for one item: the business effects a retry must not repeat. */
  const effects = async (account: Account, item: string) => {
    const [orders] = await sql<{ count: number }>(
      "select count(*)::int as count from test_orders where user_id = $1 and item = $2",
      [account.id, item],
    );
    const [jobs] = await sql<{ count: number }>(
      `select count(*)::int as count from pgboss.job j join test_orders o on o.id = (j.data->>'orderId')::uuid
       where j.name = $1 and o.user_id = $2 and o.item = $3`,
      [orderQueue, account.id, item],
    );
    return { orders: orders?.count, jobs: jobs?.count };
  };

  beforeAll(async () => {
    app = await startTestServer({}, { clock, testRoutes: ordersModule(hooks) });
    alice = await register(app, "customer");
    bob = await register(app, "customer");
  });

  beforeEach(() => {
    delete hooks.afterWrite;
  });

  afterAll(async () => {
    await app?.close();
  });

  it("replays the answer, headers included, for the same body sent with its keys reordered and respaced", async () => {
    const first = await order(alice, "reorder-1", {
      item: "drill",
      quantity: 2,
      details: { colour: "red", gift: { wrap: true, note: "hi" } },
    });
    expect(first.status).toBe(201);
    expect(first.headers.get("idempotent-replayed")).toBeNull();
    const again = await order(
      alice,
      "reorder-1",
      undefined,
      '{\n  "details": { "gift": { "note": "hi", "wrap": true }, "colour": "red" },\n\t"quantity": 2, "item": "drill"\n}',
    );
    expect(again.status).toBe(201);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.body).toEqual(first.body);
    expect(again.headers.get("location")).toBe(`/api/v1/test/orders/${first.body.id}`);
    expect(await effects(alice, "drill")).toEqual({ orders: 1, jobs: 1 });
  });

  it("refuses the key with another body, and runs nothing for it", async () => {
    await order(alice, "reused-1", { item: "saw", quantity: 1 });
    const reused = await order(alice, "reused-1", { item: "saw", quantity: 3 });
    expect(reused.status).toBe(409);
    expect(reused.body.code).toBe("idempotency.key_reused");
    expect(await effects(alice, "saw")).toEqual({ orders: 1, jobs: 1 });
  });

  it("runs 20 concurrent requests with one key exactly once; the others are told to retry, then replay", async () => {
    const running = deferred();
    const entered = deferred();
    hooks.afterWrite = async () => {
      entered.resolve();
      await running.promise;
    };
    const body = { item: "burst-held", quantity: 1 };
    let answered = 0;
    const othersAnswered = deferred();
    const burst = Array.from({ length: 20 }, () =>
      order(alice, "burst-held", body).then((answer) => {
        answered += 1;
        if (answered === 19) othersAnswered.resolve();
        return answer;
      }),
    );
    await entered.promise;
    // Everything but the running request answers while it is still running: nobody waits on the lock.
    await othersAnswered.promise;
    expect(answered).toBe(19);
    running.resolve();
    const answers = await Promise.all(burst);
    const done = answers.filter((answer) => answer.status === 201);
    const busy = answers.filter((answer) => answer.status === 409);
    expect(done).toHaveLength(1);
    expect(busy).toHaveLength(19);
    for (const answer of busy) {
      expect(answer.body.code).toBe("idempotency.in_progress");
      expect(answer.headers.get("retry-after")).toBe("1");
    }
    const retry = await order(alice, "burst-held", body);
    expect(retry.status).toBe(201);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(retry.body).toEqual(done[0]?.body);
    expect(await effects(alice, "burst-held")).toEqual({ orders: 1, jobs: 1 });
  });

  it("runs an unsynchronised burst of 20 with one key exactly once", async () => {
    const body = { item: "burst-free", quantity: 4 };
    const answers = await Promise.all(Array.from({ length: 20 }, () => order(alice, "burst-free", body)));
    const fresh = answers.filter((a) => a.status === 201 && a.headers.get("idempotent-replayed") === null);
    expect(fresh).toHaveLength(1);
    for (const answer of answers) {
      if (answer.status === 201) expect(answer.body).toEqual(fresh[0]?.body);
      else expect(answer.body.code).toBe("idempotency.in_progress");
    }
    expect(await effects(alice, "burst-free")).toEqual({ orders: 1, jobs: 1 });
  });

  it("undoes the business write and its job when the request fails before its answer is stored; a retry runs once", async () => {
    hooks.afterWrite = async () => {
      throw new Error("the process fell over after the write");
    };
    const body = { item: "fault-after-write", quantity: 1 };
    const failed = await order(alice, "fault-1", body);
    expect(failed.status).toBe(500);
    expect(await effects(alice, "fault-after-write")).toEqual({ orders: 0, jobs: 0 });

    delete hooks.afterWrite;
    const retried = await order(alice, "fault-1", body);
    expect(retried.status).toBe(201);
    expect(retried.headers.get("idempotent-replayed")).toBeNull();
    const replayed = await order(alice, "fault-1", body);
    expect(replayed.headers.get("idempotent-replayed")).toBe("true");
    expect(replayed.body).toEqual(retried.body);
    expect(await effects(alice, "fault-after-write")).toEqual({ orders: 1, jobs: 1 });
  });

  it("undoes the business write when storing the answer itself fails", async () => {
    // The fault is in the database, at the very write that records the answer.
    await sql(`create function test_refuse_answer() returns trigger language plpgsql as $$
      begin raise exception 'disk full'; end $$`);
    await sql(`create trigger test_refuse_answer before insert on idempotency_keys for each row
      when (new.key = 'answer-fails') execute function test_refuse_answer()`);
    const body = { item: "fault-at-answer", quantity: 1 };
    try {
      const failed = await order(alice, "answer-fails", body);
      expect(failed.status).toBe(500);
      expect(await effects(alice, "fault-at-answer")).toEqual({ orders: 0, jobs: 0 });
    } finally {
      await sql("drop trigger test_refuse_answer on idempotency_keys");
    }
    const retried = await order(alice, "answer-fails", body);
    expect(retried.status).toBe(201);
    expect(await effects(alice, "fault-at-answer")).toEqual({ orders: 1, jobs: 1 });
  });

  it("frees the key, with nothing committed, when the connection of a running request dies", async () => {
    const running = deferred();
    const entered = deferred();
    hooks.afterWrite = async () => {
      entered.resolve();
      await running.promise;
    };
    const body = { item: "crash", quantity: 1 };
    const first = order(alice, "crash-1", body);
    await entered.promise;
    delete hooks.afterWrite;
    // What a crashed process looks like to PostgreSQL: its connection, and with it the lock, is gone.
    const killed = await sql<{ pid: number }>(
      `select pid from pg_locks where locktype = 'advisory' and granted
         and database = (select oid from pg_database where datname = current_database())`,
    );
    expect(killed).toHaveLength(1);
    await sql("select pg_terminate_backend($1)", [killed[0]?.pid]);
    const retried = await order(alice, "crash-1", body);
    expect(retried.status).toBe(201);
    expect(retried.headers.get("idempotent-replayed")).toBeNull();
    running.resolve();
    expect((await first).status).toBe(500);
    expect(await effects(alice, "crash")).toEqual({ orders: 1, jobs: 1 });
  });

  it("never lets a retry take over a request that runs past any lease", async () => {
    const running = deferred();
    const entered = deferred();
    hooks.afterWrite = async () => {
      entered.resolve();
      await running.promise;
    };
    const body = { item: "slow", quantity: 1 };
    const first = order(alice, "slow-1", body);
    await entered.promise;
    // Well past the 60 s lease the previous scheme gave an unfinished request.
    clock.advance(10 * 60 * 1000);
    const retry = await order(alice, "slow-1", body);
    expect(retry.status).toBe(409);
    expect(retry.body.code).toBe("idempotency.in_progress");
    running.resolve();
    expect((await first).status).toBe(201);
    expect(await effects(alice, "slow")).toEqual({ orders: 1, jobs: 1 });
  });

  it("keeps each user's keys apart: the same key from another user is another request", async () => {
    const fromAlice = await order(alice, "shared-key", { item: "ladder", quantity: 1 });
    const fromBob = await order(bob, "shared-key", { item: "ladder", quantity: 1 });
    const bobOther = await order(bob, "shared-key-2", { item: "ladder", quantity: 1 });
    expect(fromAlice.status).toBe(201);
    expect(fromBob.status).toBe(201);
    expect(fromBob.headers.get("idempotent-replayed")).toBeNull();
    expect(fromBob.body.id).not.toBe(fromAlice.body.id);
    expect(bobOther.status).toBe(201);
    const aliceWithBobsBody = await order(alice, "shared-key-2", { item: "ladder", quantity: 9 });
    expect(aliceWithBobsBody.status).toBe(201);
    expect(await effects(alice, "ladder")).toEqual({ orders: 2, jobs: 2 });
    expect(await effects(bob, "ladder")).toEqual({ orders: 2, jobs: 2 });
  });

  it("forgets an answer after its 24 hours, so the key then starts a new request", async () => {
    const body = { item: "expiring", quantity: 1 };
    const first = await order(alice, "expiring-1", body);
    clock.advance(24 * 60 * 60 * 1000 + 1000);
    // The day also outlived the access token; the same user signs in again.
    alice = await login(app, alice.email, alice.password);
    const later = await order(alice, "expiring-1", body);
    expect(later.status).toBe(201);
    expect(later.headers.get("idempotent-replayed")).toBeNull();
    expect(later.body.id).not.toBe(first.body.id);
    expect(await effects(alice, "expiring")).toEqual({ orders: 2, jobs: 2 });
  });
});
