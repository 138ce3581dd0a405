import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createApp } from "../src/app.js";
import { loadConfig } from "../src/config.js";
import { connectDatabase, type DatabaseHandle } from "../src/db/client.js";
import type { ApiRouter } from "../src/http/api.js";
import { AppError, coreErrors } from "../src/http/errors.js";
import { createIdempotencyStore } from "../src/http/idempotency.js";
import { decodeCursor, pageQuery, pageSchema, toPage } from "../src/http/pagination.js";
import { type Account, login, register, strongPassword } from "./accounts.js";
import { forgeCursor } from "./cursors.js";
import { createTestDatabase, type TestDatabase } from "./database.js";
import { sampleProfile } from "./fixtures.js";
import { httpRequest, startTestServer, type TestResponse, type TestServer } from "./server.js";

/** A small module exercising the HTTP core the way real modules use it. */
function widgetsModule(state: { calls: number; gate?: Promise<void> }) {
  const widget = z.object({ id: z.number(), name: z.string(), size: z.number(), call: z.number() });
  const numbers = Array.from({ length: 45 }, (_, index) => index + 1);
  return (api: ApiRouter) => {
    api.route({
      method: "post",
      path: "/widgets",
      tags: ["Test"],
      summary: "Create a widget",
      access: "public",
      idempotent: true,
      body: z.strictObject({ name: z.string().min(1), size: z.number().int().positive() }),
      response: { status: 201, description: "Created", schema: widget },
      handler: async ({ body }) => {
        state.calls += 1;
        const call = state.calls;
        if (state.gate) await state.gate;
        if (body.name === "refused") throw new AppError(coreErrors.notFound, "no such thing");
        return { id: call * 10, name: body.name, size: body.size, call };
      },
    });
    api.route({
      method: "get",
      path: "/numbers",
      tags: ["Test"],
      summary: "Numbers, paged",
      access: "public",
      query: pageQuery,
      response: { status: 200, description: "A page", schema: pageSchema(z.number()) },
      handler: async ({ query }) => {
        const after = query.cursor ? Number(decodeCursor({ ...query, cursor: query.cursor }, 1)[0]) : 0;
        const rows = numbers.filter((n) => n > after).slice(0, query.limit + 1);
        return toPage(
          rows,
          query,
          (n) => [n],
          (n) => n,
        );
      },
    });
    api.route({
      method: "get",
      path: "/boom",
      tags: ["Test"],
      summary: "Fails unexpectedly",
      access: "public",
      response: { status: 200, description: "never" },
      handler: async () => {
        throw new Error('relation "secret_table" does not exist at /srv/app/query.ts:12');
      },
    });
  };
}

describe("HTTP core", () => {
  let database: TestDatabase;
  let handle: DatabaseHandle;
  let server: Server;
  let base: string;
  const state: { calls: number; gate?: Promise<void> } = { calls: 0 };
  const call = (method: string, path: string, options?: Parameters<typeof httpRequest>[3]) =>
    httpRequest(base, method, path, options);

  beforeAll(async () => {
    database = await createTestDatabase();
    handle = connectDatabase(database.url);
    const app = createApp({
      config: loadConfig({ NODE_ENV: "test", BODY_LIMIT: "2kb", CORS_ORIGINS: "https://admin.example.com" }),
      logger: pino({ level: "silent" }),
      db: handle.db,
      pool: handle.pool,
      authenticator: {
        authenticate: async () => {
          throw new AppError(coreErrors.unauthenticated, "no accounts here");
        },
        errors: [],
      },
      idempotency: createIdempotencyStore(handle.pool),
      modules: [widgetsModule(state)],
    });
    server = createServer(app.express).listen(0, "127.0.0.1");
    await once(server, "listening");
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.close();
    await handle.close();
    await database.drop();
  });

  it("answers an unknown route with a 404 problem", async () => {
    const response = await call("GET", "/api/v1/nothing-here");
    expect(response.status).toBe(404);
    expect(response.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({
      type: "urn:jobsphere:problem:route.not_found",
      status: 404,
      code: "route.not_found",
      detail: "No route GET /api/v1/nothing-here",
    });
    expect(response.body.requestId).toBe(response.headers.get("x-request-id"));
  });

  it("answers malformed JSON with 400 request.malformed_json", async () => {
    const response = await call("POST", "/api/v1/widgets", {
      rawBody: '{"name": "a",',
      headers: { "content-type": "application/json" },
    });
    expect(response.status).toBe(400);
    expect(response.body.code).toBe("request.malformed_json");
    expect(JSON.stringify(response.body)).not.toMatch(/SyntaxError|at JSON\.parse/);
  });

  it("lists every invalid and unknown field", async () => {
    const response = await call("POST", "/api/v1/widgets", { body: { name: "", size: -2, colour: "red" } });
    expect(response.status).toBe(400);
    expect(response.body.code).toBe("validation.failed");
    const paths = response.body.errors.map((error: { path: string }) => error.path);
    expect(paths).toEqual(expect.arrayContaining(["name", "size"]));
    expect(response.body.errors).toContainEqual({
      path: "colour",
      code: "unknown_field",
      message: "is not a field of this request",
      in: "body",
    });
  });

  it("refuses a body that is not JSON with 415", async () => {
    const response = await call("POST", "/api/v1/widgets", {
      rawBody: "name=a&size=1",
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(response.status).toBe(415);
    expect(response.body.code).toBe("request.unsupported_media_type");
  });

  it("refuses a body over the size limit with 413", async () => {
    const response = await call("POST", "/api/v1/widgets", { body: { name: "x".repeat(5000), size: 1 } });
    expect(response.status).toBe(413);
    expect(response.body.code).toBe("request.too_large");
  });

  it("hides the internals of an unexpected failure", async () => {
    const response = await call("GET", "/api/v1/boom", { headers: { "x-request-id": "trace-me-42" } });
    expect(response.status).toBe(500);
    expect(response.body).toMatchObject({ code: "internal", requestId: "trace-me-42" });
    expect(JSON.stringify(response.body)).not.toMatch(/secret_table|query\.ts|at /);
  });

  it("validates query parameters and caps page sizes", async () => {
    const tooBig = await call("GET", "/api/v1/numbers?limit=101");
    expect(tooBig.status).toBe(400);
    expect(tooBig.body.errors).toEqual([expect.objectContaining({ path: "limit", in: "query" })]);
    const badCursor = await call("GET", "/api/v1/numbers?cursor=not-ours");
    expect(badCursor.status).toBe(400);
    expect(badCursor.body.code).toBe("pagination.invalid_cursor");
  });

  it("walks a list page by page, every item exactly once", async () => {
    const seen: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = cursor ? `?limit=20&cursor=${cursor}` : "?limit=20";
      const response = await call("GET", `/api/v1/numbers${query}`);
      expect(response.status).toBe(200);
      seen.push(...response.body.items);
      cursor = response.body.nextCursor;
      pages += 1;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual(Array.from({ length: 45 }, (_, index) => index + 1));
  });

  it("allows CORS only from configured origins", async () => {
    const allowed = await call("GET", "/health/live", { headers: { origin: "https://admin.example.com" } });
    expect(allowed.headers.get("access-control-allow-origin")).toBe("https://admin.example.com");
    const other = await call("GET", "/health/live", { headers: { origin: "https://evil.example.com" } });
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
  });

  describe("Idempotency-Key", () => {
    it("replays the first answer for the same key and body, without running the action again", async () => {
      const before = state.calls;
      const first = await call("POST", "/api/v1/widgets", {
        body: { name: "drill", size: 3 },
        headers: { "idempotency-key": "key-replay-1" },
      });
      expect(first.status).toBe(201);
      const second = await call("POST", "/api/v1/widgets", {
        body: { name: "drill", size: 3 },
        headers: { "idempotency-key": "key-replay-1" },
      });
      expect(second.status).toBe(201);
      expect(second.body).toEqual(first.body);
      expect(second.headers.get("idempotent-replayed")).toBe("true");
      expect(state.calls).toBe(before + 1);
    });

    it("refuses the same key with another body with 409 idempotency.key_reused", async () => {
      await call("POST", "/api/v1/widgets", {
        body: { name: "saw", size: 1 },
        headers: { "idempotency-key": "key-2" },
      });
      const reused = await call("POST", "/api/v1/widgets", {
        body: { name: "saw", size: 2 },
        headers: { "idempotency-key": "key-2" },
      });
      expect(reused.status).toBe(409);
      expect(reused.body.code).toBe("idempotency.key_reused");
    });

    it("answers 409 idempotency.in_progress while the first request is still running", async () => {
      let release = () => {};
      state.gate = new Promise<void>((resolveGate) => {
        release = resolveGate;
      });
      const first = call("POST", "/api/v1/widgets", {
        body: { name: "slow", size: 1 },
        headers: { "idempotency-key": "key-3" },
      });
      await new Promise((resolveWait) => setTimeout(resolveWait, 200));
      const concurrent = await call("POST", "/api/v1/widgets", {
        body: { name: "slow", size: 1 },
        headers: { "idempotency-key": "key-3" },
      });
      expect(concurrent.status).toBe(409);
      expect(concurrent.body.code).toBe("idempotency.in_progress");
      expect(concurrent.headers.get("retry-after")).toBe("1");
      release();
      state.gate = undefined;
      expect((await first).status).toBe(201);
    });

    it("does not keep a refused answer, so the key can be retried", async () => {
      const refused = await call("POST", "/api/v1/widgets", {
        body: { name: "refused", size: 1 },
        headers: { "idempotency-key": "key-4" },
      });
      expect(refused.status).toBe(404);
      const other = await call("POST", "/api/v1/widgets", {
        body: { name: "hammer", size: 1 },
        headers: { "idempotency-key": "key-4" },
      });
      expect(other.status).toBe(201);
    });

    it("rejects a malformed key", async () => {
      const response = await call("POST", "/api/v1/widgets", {
        body: { name: "nail", size: 1 },
        headers: { "idempotency-key": "x".repeat(300) },
      });
      expect(response.status).toBe(400);
      expect(response.body.code).toBe("idempotency.invalid_key");
    });
  });
});

describe("input holding NUL characters", () => {
  let app: TestServer;
  let customer: Account;
  let contractor: Account;

  beforeAll(async () => {
    app = await startTestServer();
    customer = await register(app, "customer");
    contractor = await register(app, "contractor");
  });
  afterAll(async () => {
    await app.close();
  });

  /** The answer must be a 400 validation.failed naming exactly this field, not a 500 from the database. */
  function expectNamed(response: TestResponse, path: string, location: string) {
    expect(response.status, JSON.stringify(response.body)).toBe(400);
    expect(response.body.code).toBe("validation.failed");
    expect(response.body.errors).toEqual([expect.objectContaining({ path, in: location })]);
    expect(response.body.detail).toContain(path);
  }

  it("refuses NUL in the name at registration", async () => {
    const response = await app.request("POST", "/api/v1/auth/register", {
      body: { email: "nul@example.com", password: strongPassword, name: "Eve\u0000", role: "customer" },
    });
    expectNamed(response, "name", "body");
    const login = await app.request("POST", "/api/v1/auth/login", {
      body: { email: "nul@example.com", password: strongPassword },
    });
    expect(login.status).toBe(401);
  });

  it("refuses NUL in PATCH /me and keeps the stored name", async () => {
    const response = await app.request("PATCH", "/api/v1/me", {
      token: customer.accessToken,
      body: { name: "Mallory\u0000Robert'); drop table users;--" },
    });
    expectNamed(response, "name", "body");
    const me = await app.request("GET", "/api/v1/me", { token: customer.accessToken });
    expect(me.body.name).toBe("Test customer");
  });

  it("refuses NUL in a contractor's bio and in one of the category slugs", async () => {
    const bio = await app.request("PUT", "/api/v1/contractors/me/profile", {
      token: contractor.accessToken,
      body: { ...sampleProfile, bio: "Fuse boards\u0000" },
    });
    expectNamed(bio, "bio", "body");
    const slugs = await app.request("PUT", "/api/v1/contractors/me/profile", {
      token: contractor.accessToken,
      body: { ...sampleProfile, categorySlugs: ["plumber", "electrician\u0000"] },
    });
    expectNamed(slugs, "categorySlugs.1", "body");
  });

  it("refuses NUL in the customer's address", async () => {
    const response = await app.request("PUT", "/api/v1/customers/me/profile", {
      token: customer.accessToken,
      body: { defaultAddress: "12 Baker\u0000 Street" },
    });
    expectNamed(response, "defaultAddress", "body");
  });

  it("refuses NUL in search words and category, raw or percent-encoded", async () => {
    expectNamed(await app.request("GET", "/api/v1/contractors?q=plumb%00er"), "q", "query");
    expectNamed(await app.request("GET", "/api/v1/contractors?category=electrician%00"), "category", "query");
    expectNamed(await app.request("GET", "/api/v1/contractors?q=%00"), "q", "query");
  });

  it("names a NUL hidden in a field name, and every field holding one", async () => {
    const key = await app.request("PATCH", "/api/v1/me", {
      token: customer.accessToken,
      body: { "na\u0000me": "x" },
    });
    expectNamed(key, "na\\u0000me", "body");
    const several = await app.request("PUT", "/api/v1/contractors/me/profile", {
      token: contractor.accessToken,
      body: { ...sampleProfile, headline: "\u0000Electrician", bio: "a\u0000" },
    });
    expect(several.status).toBe(400);
    expect(several.body.errors.map((error: { path: string }) => error.path)).toEqual(["bio", "headline"]);
  });

  it("answers a deeply nested body with 400, not a crash", async () => {
    const depth = 100_000;
    const response = await app.request("PATCH", "/api/v1/me", {
      token: customer.accessToken,
      // JSON's own escape for NUL, deep inside nested arrays.
      rawBody: `${"[".repeat(depth)}"\\u0000"${"]".repeat(depth)}`,
      headers: { "content-type": "application/json" },
    });
    expect(response.status).toBe(400);
    expect(response.body.code).toBe("validation.failed");
  });
});

describe("cursors of /admin/users", () => {
  let app: TestServer;
  let admin: Account;

  beforeAll(async () => {
    app = await startTestServer({ ADMIN_EMAIL: "root@example.com", ADMIN_PASSWORD: strongPassword });
    admin = await login(app, "root@example.com", strongPassword);
    for (let index = 0; index < 3; index += 1) await register(app, "customer");
  });
  afterAll(async () => {
    await app.close();
  });

  const base64 = (text: string) => Buffer.from(text).toString("base64url");

  it.each([
    ["not base64", "not-a-cursor!!"],
    ["base64 of text that is not JSON", base64("{garbage")],
    ["base64 of JSON that is not a list", base64('{"id":"x"}')],
    ["a part that is not a user id", forgeCursor({}, ["not-a-uuid"])],
    ["a number where the id goes", forgeCursor({}, [42])],
    ["one part too many", forgeCursor({}, ["0190a3c4-0000-7000-8000-000000000000", 1])],
    ["a NUL inside the encoded id", forgeCursor({}, ["0190a3c4-0000-7000-8000-00000000000\u0000"])],
    ["SQL inside the encoded id", forgeCursor({}, ["' or 1=1 --"])],
    [
      "a cursor without the digest of its filters",
      base64(JSON.stringify(["0190a3c4-0000-7000-8000-000000000000"])),
    ],
    ["a cursor of another filter", forgeCursor({ role: "admin" }, ["0190a3c4-0000-7000-8000-000000000000"])],
    ["a very long cursor", "A".repeat(5000)],
  ])("answers %s with 400 pagination.invalid_cursor", async (_name, cursor) => {
    const response = await app.request("GET", `/api/v1/admin/users?cursor=${encodeURIComponent(cursor)}`, {
      token: admin.accessToken,
    });
    expect(response.status, JSON.stringify(response.body)).toBe(400);
    expect(response.body.code).toBe("pagination.invalid_cursor");
    expect(response.body.errors).toEqual([
      { path: "cursor", code: "invalid_value", message: expect.any(String), in: "query" },
    ]);
  });

  it("answers a raw NUL in the cursor with a 400 naming it", async () => {
    const response = await app.request("GET", "/api/v1/admin/users?cursor=abc%00", {
      token: admin.accessToken,
    });
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([
      { path: "cursor", code: "nul_character", message: expect.stringMatching(/NUL/), in: "query" },
    ]);
  });

  it("still walks every user with the cursors it issues", async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `?limit=1&cursor=${cursor}` : "?limit=1";
      const response = await app.request("GET", `/api/v1/admin/users${query}`, { token: admin.accessToken });
      expect(response.status).toBe(200);
      seen.push(...response.body.items.map((user: { id: string }) => user.id));
      cursor = response.body.nextCursor;
    } while (cursor);
    expect(seen).toHaveLength(4);
    expect(new Set(seen).size).toBe(4);
  });
});

describe("TRUST_PROXY with one proxy in front", () => {
  let app: TestServer;

  beforeAll(async () => {
    app = await startTestServer({ TRUST_PROXY: "1" });
  });
  afterAll(async () => {
    await app.close();
  });

  /** A password-reset request as the proxy forwards it: what the client claimed, then the address it saw. */
  const forgot = (claimed: string, seenByProxy: string) =>
    app.request("POST", "/api/v1/auth/password/forgot", {
      body: { email: `someone-${randomBytes(4).toString("hex")}@example.com` },
      headers: { "x-forwarded-for": `${claimed}, ${seenByProxy}` },
    });

  it("counts a client by the address its proxy saw, whatever X-Forwarded-For it sends itself", async () => {
    // The per-address limit on code emails: a client forging a new address on every request must still run
    // into it, because only the last hop (appended by the one trusted proxy) is believed.
    let refusedAfter: number | undefined;
    for (let attempt = 1; attempt <= 100 && refusedAfter === undefined; attempt += 1) {
      const response = await forgot(`1.2.3.${attempt}, 5.6.7.${attempt}`, "203.0.113.7");
      if (response.status === 429) refusedAfter = attempt;
      else expect(response.status).toBe(202);
    }
    expect(refusedAfter).toBeDefined();
    expect((await forgot("9.9.9.9", "203.0.113.7")).status).toBe(429);
    expect((await forgot("1.2.3.4, 5.6.7.8", "203.0.113.7")).status).toBe(429);
    // Another client behind the same proxy is counted apart.
    expect((await forgot("1.2.3.4, 5.6.7.8", "198.51.100.9")).status).toBe(202);
  });
});
