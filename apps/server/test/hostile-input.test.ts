import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ApiRouter } from "../src/http/api.js";
import { errorCatalogue } from "../src/http/errors.js";
import { fieldCodes } from "../src/http/field-codes.js";
import { type Account, login, register, strongPassword } from "./accounts.js";
import { createContractor } from "./fixtures.js";
import { startTestServer, type TestResponse, type TestServer } from "./server.js";

type DeclaredRoute = ApiRouter["declared"][number];
type Role = "customer" | "contractor" | "admin";

/** Values an attacker or a broken client sends where a route expects something else. */
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(
    "",
    "\u0000",
    "a\u0000b",
    "\ud800",
    "🙂".repeat(2_000),
    "x".repeat(70_000),
    "../../../etc/passwd",
    "..%2f..%2fetc%2fpasswd",
    "' or 1=1 --",
    "<script>alert(1)</script>",
    "0",
    "-1",
    "1e309",
    "NaN",
    "null",
    "2026-02-30T25:61:00Z",
    "+275760-09-13T00:00:00.000Z",
    "9999-12-31T23:59:59.999Z",
    "0000-01-01T00:00:00Z",
    "00000000-0000-0000-0000-000000000000",
    "ffffffff-ffff-ffff-ffff-ffffffffffff",
  ),
  fc.constantFrom(0, -1, -0.5, 1.5, 2 ** 31, 2 ** 53, 2 ** 63, -(2 ** 63), 1e308, -1e308, Number.MIN_VALUE),
  fc.constantFrom(true, false, null),
  // Own `__proto__` and `constructor` keys, as JSON.parse makes them: a merge that copies keys blindly
  // would pollute every object of the process.
  fc.constant(JSON.parse('{"__proto__":{"role":"admin"},"constructor":{"prototype":{"polluted":1}}}')),
  fc.jsonValue({ maxDepth: 3 }),
  fc.string({ unit: "grapheme-composite", maxLength: 40 }),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);

/** What an `:id` in a path is replaced with: malformed ids, spellings that walk the tree, and real ids. */
function pathValue(realIds: () => string[]): fc.Arbitrary<string> {
  return fc.oneof(
    fc.constantFrom(
      "0",
      "-1",
      "null",
      "%00",
      "a%00b",
      "..",
      "..%2F..%2Fetc%2Fpasswd",
      "%2e%2e",
      "x".repeat(5_000),
      "00000000-0000-0000-0000-000000000000",
      "0190f3a2-7b1c-7d3e-8f4a-1234567890ab",
      "0190F3A2-7B1C-7D3E-8F4A-1234567890AB",
      "{0190f3a2-7b1c-7d3e-8f4a-1234567890ab}",
    ),
    fc.uuid().map((id) => id),
    fc.string({ minLength: 1, maxLength: 30 }).map(encodeURIComponent),
    fc.constant(null).chain(() => fc.constantFrom(...realIds())),
  );
}

type Segment = string | number;

/** Every place inside a JSON value that a mutation can aim at (the value itself is `[]`). */
function placesOf(value: unknown, at: Segment[] = []): Segment[][] {
  const children: [Segment, unknown][] = Array.isArray(value)
    ? value.map((item, index): [Segment, unknown] => [index, item])
    : value !== null && typeof value === "object"
      ? Object.entries(value)
      : [];
  return [at, ...children.flatMap(([key, item]) => placesOf(item, [...at, key]))];
}

type Mutation =
  | { kind: "replace"; place: number; value: unknown }
  | { kind: "remove"; place: number }
  | { kind: "add"; place: number; key: string; value: unknown };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant("replace" as const), place: fc.nat(), value: hostileValue }),
  fc.record({ kind: fc.constant("remove" as const), place: fc.nat() }),
  fc.record({
    kind: fc.constant("add" as const),
    place: fc.nat(),
    key: fc.oneof(
      fc.string({ maxLength: 12 }),
      fc.constantFrom("role", "status", "verified", "id", "userId"),
    ),
    value: hostileValue,
  }),
);

/** The example body with each mutation applied in turn, aimed at a place that exists by then. */
function mutate(example: unknown, mutations: Mutation[]): unknown {
  let body: unknown = structuredClone(example);
  for (const change of mutations) {
    // Values are shared between runs (constants): the body gets copies, so no run changes another's.
    const value = "value" in change ? structuredClone(change.value) : undefined;
    const places = placesOf(body);
    const place = places[change.place % places.length] ?? [];
    if (place.length === 0) {
      if (change.kind === "replace") body = value;
      else if (change.kind === "add" && body !== null && typeof body === "object" && !Array.isArray(body)) {
        (body as Record<string, unknown>)[change.key] = value;
      }
      continue;
    }
    const parent = place
      .slice(0, -1)
      .reduce<unknown>((node, key) => (node as Record<Segment, unknown>)[key], body);
    const key = place.at(-1) as Segment;
    const container = parent as Record<Segment, unknown> & unknown[];
    if (change.kind === "replace") container[key] = value;
    else if (change.kind === "remove") {
      if (Array.isArray(container)) container.splice(Number(key), 1);
      else delete container[key];
    } else {
      const target = container[key];
      if (target !== null && typeof target === "object" && !Array.isArray(target)) {
        (target as Record<string, unknown>)[change.key] = value;
      }
    }
  }
  return body;
}

/**
 * Every route of the API, attacked with what its contract does not allow: its own example body with fields
 * replaced by hostile values, removed, or joined by unknown and privileged ones; hostile query parameters;
 * malformed, traversing and real ids in its path; called by each role it admits. Whatever is sent, the
 * answer is never a 500, a refusal is a problem document whose codes are in the catalogue, and a success
 * is what the route's schema declares.
 */
describe("every route under hostile input", () => {
  let app: TestServer;
  let api: ApiRouter | undefined;
  const callers = new Map<Role, Account>();
  const adminEmail = "root@example.com";
  const knownCodes = new Set(errorCatalogue().map((error) => error.code));
  // biome-ignore lint/suspicious/noExplicitAny: the test walks the JSON document freely
  let document: any;
  const realIds = () => [...callers.values()].map((account) => account.id);

  async function freshCaller(role: Role): Promise<Account> {
    if (role === "admin") return login(app, adminEmail, strongPassword);
    return role === "contractor" ? createContractor(app) : register(app, "customer");
  }

  beforeAll(async () => {
    app = await startTestServer(
      { ADMIN_EMAIL: adminEmail, ADMIN_PASSWORD: strongPassword },
      {
        testRoutes: async () => (router) => {
          api = router;
        },
      },
    );
    for (const role of ["customer", "contractor", "admin"] as const)
      callers.set(role, await freshCaller(role));
    document = (await app.request("GET", "/api/v1/openapi.json")).body;
  });
  afterAll(async () => {
    await app.close();
  });

  const rolesOf = (route: DeclaredRoute): (Role | undefined)[] =>
    route.access === "public"
      ? [undefined]
      : route.access === "optional"
        ? [undefined, "customer", "contractor"]
        : route.access === "user"
          ? ["customer", "contractor", "admin"]
          : [...route.access];

  const queryNames = (route: DeclaredRoute): string[] => {
    const path = route.path.replace(/:(\w+)/g, "{$1}");
    const operation = document.paths[`/api/v1${path}`]?.[route.method];
    return (operation?.parameters ?? [])
      .filter((parameter: { in: string }) => parameter.in === "query")
      .map((parameter: { name: string }) => parameter.name);
  };

  /**
   * `ownRoute`: the path reached this route. A client's URL parser resolves `..` and `%2e%2e` before
   * sending, so those land on another route, whose success has another shape.
   */
  function expectSaneAnswer(
    route: DeclaredRoute,
    response: TestResponse,
    sent: string,
    ownRoute: boolean,
  ): void {
    expect(response.status, sent).toBeLessThan(500);
    if (response.status >= 400) {
      expect(response.headers.get("content-type") ?? "", sent).toMatch(/^application\/problem\+json/);
      expect(knownCodes, sent).toContain(response.body.code);
      expect(response.body.status, sent).toBe(response.status);
      for (const error of response.body.errors ?? []) expect(fieldCodes, sent).toContain(error.code);
    } else if (ownRoute && response.status === route.response.status && route.response.schema) {
      const parsed = route.response.schema.safeParse(response.body);
      expect(parsed.success, `${sent}\n${parsed.error?.message}`).toBe(true);
    }
  }

  it("answers every route without a 500, with problems it documents and successes its schema declares", async () => {
    const routes = api?.declared ?? [];
    expect(routes.length).toBeGreaterThan(90);
    let attacks = 0;
    for (const route of routes) {
      const example = route.examples?.request;
      const queries = queryNames(route);
      const fuzzesBody = route.body !== undefined && example !== undefined;
      if (!fuzzesBody && queries.length === 0 && !route.path.includes(":")) continue;
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...rolesOf(route)),
          fc.array(mutation, { minLength: 1, maxLength: 3 }),
          fc.array(fc.tuple(fc.constantFrom("", ...queries), hostileValue), {
            maxLength: queries.length ? 3 : 0,
          }),
          fc.array(pathValue(realIds), { minLength: 4, maxLength: 4 }),
          async (role, mutations, query, ids) => {
            let index = 0;
            const path = route.path.replace(/:\w+/g, () => ids[index++ % ids.length] ?? "");
            const search = new URLSearchParams(
              query.map(([name, value]): [string, string] => [name || "unknown", String(value)]),
            );
            const body = fuzzesBody ? mutate(example, mutations) : undefined;
            const target = `/api/v1${path}${query.length ? `?${search}` : ""}`;
            const token = role ? callers.get(role)?.accessToken : undefined;
            const response = await app.request(route.method.toUpperCase(), target, {
              ...(token ? { token } : {}),
              ...(body === undefined ? {} : { rawBody: JSON.stringify(body) ?? "null" }),
              ...(body === undefined ? {} : { headers: { "content-type": "application/json" } }),
            });
            attacks++;
            const sent = `${route.method.toUpperCase()} ${target.slice(0, 300)} as ${role ?? "anyone"}: ${JSON.stringify(body)?.slice(0, 300)} → ${response.status} ${JSON.stringify(response.body).slice(0, 500)}`;
            const reached = new URL(target, app.url).pathname;
            expectSaneAnswer(route, response, sent, reached === `/api/v1${path}` && !reached.endsWith("/"));
          },
        ),
        { numRuns: 20 },
      );
      // A route may have ended a caller's session (a successful logout, password change or deletion):
      // later routes are attacked by a caller who is still signed in.
      for (const [role, account] of callers) {
        const me = await app.request("GET", "/api/v1/me", { token: account.accessToken });
        if (me.status !== 200) callers.set(role, await freshCaller(role));
      }
    }
    expect(attacks).toBeGreaterThan(1_500);
    // The process still serves, with its prototype chain untouched.
    expect((await app.request("GET", "/health/ready")).status).toBe(200);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).role).toBeUndefined();
  }, 600_000);
});
