import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fieldCodes } from "../src/http/field-codes.js";
import { type Account, login, register, strongPassword } from "./accounts.js";
import { createContractor, sampleProfile } from "./fixtures.js";
import { startTestServer, type TestServer } from "./server.js";

/**
 * The errors[] of a 400 as an app reads them: it switches on each entry's `code` to show a localised message
 * next to the field `path` names, and may show `message` as is, so that must read well too.
 */
describe("field errors as an app reads them", () => {
  let app: TestServer;
  let customer: Account;
  let contractor: Account;
  let admin: Account;

  beforeAll(async () => {
    app = await startTestServer({ ADMIN_EMAIL: "root@example.com", ADMIN_PASSWORD: strongPassword });
    customer = await register(app, "customer");
    contractor = await createContractor(app);
    admin = await login(app, "root@example.com", strongPassword);
  });
  afterAll(async () => {
    await app.close();
  });

  const signUp = { email: "new@example.com", password: strongPassword, name: "New Person", role: "customer" };
  const hours = { timezone: "Europe/London", weekly: [{ day: 1, start: "09:00", end: "17:00" }] };
  const monday = (start: string, end: string) => ({ day: 1, start, end });

  type Case = [
    what: string,
    method: "POST" | "PATCH" | "PUT" | "GET",
    path: string,
    who: "anyone" | "customer" | "contractor",
    body: Record<string, unknown> | undefined,
    expected: { path: string; code: string; message: string | RegExp; in?: string },
  ];

  const cases: Case[] = [
    // Registration
    [
      "sign-up without an email",
      "POST",
      "/auth/register",
      "anyone",
      { ...signUp, email: undefined },
      {
        path: "email",
        code: "required",
        message: "is required",
      },
    ],
    [
      "sign-up with a malformed email",
      "POST",
      "/auth/register",
      "anyone",
      { ...signUp, email: "someone" },
      {
        path: "email",
        code: "invalid_format",
        message: "must be an email address",
      },
    ],
    [
      "sign-up with a short password",
      "POST",
      "/auth/register",
      "anyone",
      { ...signUp, password: "abc12" },
      {
        path: "password",
        code: "too_short",
        message: "must be at least 8 characters",
      },
    ],
    [
      "sign-up with a common password",
      "POST",
      "/auth/register",
      "anyone",
      { ...signUp, password: "password123" },
      {
        path: "password",
        code: "too_common",
        message: /too common/,
      },
    ],
    [
      "sign-up with a number as password",
      "POST",
      "/auth/register",
      "anyone",
      { ...signUp, password: 12345678 },
      {
        path: "password",
        code: "invalid_type",
        message: "must be text",
      },
    ],
    [
      "sign-up with an empty name",
      "POST",
      "/auth/register",
      "anyone",
      { ...signUp, name: "  " },
      {
        path: "name",
        code: "too_short",
        message: "must not be empty",
      },
    ],
    [
      "sign-up with a long name",
      "POST",
      "/auth/register",
      "anyone",
      { ...signUp, name: "x".repeat(101) },
      {
        path: "name",
        code: "too_long",
        message: "at most 100 characters",
      },
    ],
    [
      "sign-up with a null name",
      "POST",
      "/auth/register",
      "anyone",
      { ...signUp, name: null },
      {
        path: "name",
        code: "required",
        message: "is required",
      },
    ],
    [
      "sign-up as an admin",
      "POST",
      "/auth/register",
      "anyone",
      { ...signUp, role: "admin" },
      {
        path: "role",
        code: "invalid_value",
        message: "must be customer or contractor",
      },
    ],
    [
      "sign-up without a role",
      "POST",
      "/auth/register",
      "anyone",
      { ...signUp, role: undefined },
      {
        path: "role",
        code: "required",
        message: "is required",
      },
    ],
    [
      "sign-up with a local phone number",
      "POST",
      "/auth/register",
      "anyone",
      { ...signUp, phone: "0123" },
      {
        path: "phone",
        code: "invalid_format",
        message: /^must be an international number/,
      },
    ],
    [
      "sign-up with a field of another API",
      "POST",
      "/auth/register",
      "anyone",
      { ...signUp, nickname: "x" },
      {
        path: "nickname",
        code: "unknown_field",
        message: "is not a field of this request",
      },
    ],
    // PATCH /me
    [
      "a blank name",
      "PATCH",
      "/me",
      "customer",
      { name: "   " },
      {
        path: "name",
        code: "too_short",
        message: "must not be empty",
      },
    ],
    [
      "a contractor id in the path that is not an id",
      "GET",
      "/contractors/not-an-id",
      "anyone",
      undefined,
      { path: "id", code: "invalid_format", message: "must be a contractor id", in: "params" },
    ],
    [
      "an avatar that is not an id",
      "PATCH",
      "/me",
      "customer",
      { avatarFileId: "me.png" },
      {
        path: "avatarFileId",
        code: "invalid_format",
        message: "must be a file id",
      },
    ],
    [
      "a phone number as a number",
      "PATCH",
      "/me",
      "customer",
      { phone: 4155550123 },
      {
        path: "phone",
        code: "invalid_type",
        message: "must be text",
      },
    ],
    [
      "a role change",
      "PATCH",
      "/me",
      "customer",
      { role: "admin" },
      {
        path: "role",
        code: "unknown_field",
        message: "is not a field of this request",
      },
    ],
    // Contractor profile
    [
      "a short headline",
      "PUT",
      "/contractors/me/profile",
      "contractor",
      { ...sampleProfile, headline: "ab" },
      {
        path: "headline",
        code: "too_short",
        message: "at least 3 characters",
      },
    ],
    [
      "no category",
      "PUT",
      "/contractors/me/profile",
      "contractor",
      { ...sampleProfile, categorySlugs: [] },
      {
        path: "categorySlugs",
        code: "too_short",
        message: "choose at least one category",
      },
    ],
    [
      "a repeated category",
      "PUT",
      "/contractors/me/profile",
      "contractor",
      {
        ...sampleProfile,
        categorySlugs: ["electrician", "electrician"],
      },
      { path: "categorySlugs", code: "not_unique", message: "must not repeat a category" },
    ],
    [
      "an unknown category",
      "PUT",
      "/contractors/me/profile",
      "contractor",
      {
        ...sampleProfile,
        categorySlugs: ["electrician", "astronaut"],
      },
      { path: "categorySlugs.1", code: "not_found", message: 'no category "astronaut"' },
    ],
    [
      "a service area beyond the pole",
      "PUT",
      "/contractors/me/profile",
      "contractor",
      {
        ...sampleProfile,
        serviceArea: { ...sampleProfile.serviceArea, lat: 91 },
      },
      { path: "serviceArea.lat", code: "too_big", message: "must be at most 90" },
    ],
    [
      "a negative rate",
      "PUT",
      "/contractors/me/profile",
      "contractor",
      {
        ...sampleProfile,
        hourlyRate: { amount: -1, currency: "usd" },
      },
      { path: "hourlyRate.amount", code: "too_small", message: "must be at least 0" },
    ],
    [
      "half a year of experience",
      "PUT",
      "/contractors/me/profile",
      "contractor",
      {
        ...sampleProfile,
        yearsExperience: 2.5,
      },
      { path: "yearsExperience", code: "invalid_type", message: "must be a whole number" },
    ],
    [
      "no rate",
      "PUT",
      "/contractors/me/profile",
      "contractor",
      { ...sampleProfile, hourlyRate: undefined },
      {
        path: "hourlyRate",
        code: "required",
        message: "is required",
      },
    ],
    // Availability
    [
      "an unknown time zone",
      "PUT",
      "/contractors/me/availability",
      "contractor",
      {
        ...hours,
        timezone: "Mars/Olympus",
      },
      {
        path: "timezone",
        code: "invalid_value",
        message: "must be an IANA time zone name, e.g. Europe/London",
      },
    ],
    [
      "no weekly hours",
      "PUT",
      "/contractors/me/availability",
      "contractor",
      { timezone: "Europe/London" },
      {
        path: "weekly",
        code: "required",
        message: "is required",
      },
    ],
    [
      "a day 7",
      "PUT",
      "/contractors/me/availability",
      "contractor",
      {
        ...hours,
        weekly: [{ day: 7, start: "09:00", end: "17:00" }],
      },
      {
        path: "weekly.0.day",
        code: "too_big",
        message: "must be a whole number from 0 (Sunday) to 6 (Saturday)",
      },
    ],
    [
      "a range ending before it starts",
      "PUT",
      "/contractors/me/availability",
      "contractor",
      {
        ...hours,
        weekly: [monday("10:00", "09:00")],
      },
      { path: "weekly.0.end", code: "invalid_value", message: "must be after start" },
    ],
    [
      "overlapping ranges",
      "PUT",
      "/contractors/me/availability",
      "contractor",
      {
        ...hours,
        weekly: [monday("09:00", "12:00"), monday("11:00", "13:00")],
      },
      { path: "weekly.1", code: "overlaps", message: "overlaps 09:00–12:00 on Monday" },
    ],
    [
      "a date that does not exist",
      "PUT",
      "/contractors/me/availability",
      "contractor",
      {
        ...hours,
        exceptions: [{ date: "2026-02-30", available: false }],
      },
      { path: "exceptions.0.date", code: "invalid_format", message: "must be a calendar date YYYY-MM-DD" },
    ],
    [
      "extra hours without times",
      "PUT",
      "/contractors/me/availability",
      "contractor",
      {
        ...hours,
        exceptions: [{ date: "2026-03-01", available: true }],
      },
      { path: "exceptions.0.start", code: "required", message: "is required when available is true" },
    ],
    [
      "a day off with hours",
      "PUT",
      "/contractors/me/availability",
      "contractor",
      {
        ...hours,
        exceptions: [{ date: "2026-03-01", available: false, start: "09:00" }],
      },
      { path: "exceptions.0.start", code: "not_allowed", message: "must be absent when available is false" },
    ],
    [
      "a misspelt field of a range",
      "PUT",
      "/contractors/me/availability",
      "contractor",
      {
        ...hours,
        weekly: [{ day: 1, start: "09:00", end: "17:00", ends: "18:00" }],
      },
      { path: "weekly.0.ends", code: "unknown_field", message: "is not a field of this request" },
    ],
    // Search
    [
      "a latitude beyond the pole",
      "GET",
      "/contractors?lat=91&lng=0",
      "anyone",
      undefined,
      {
        path: "lat",
        code: "too_big",
        message: "must be at most 90",
        in: "query",
      },
    ],
    [
      "a misspelt filter",
      "GET",
      "/contractors?categroy=plumber",
      "anyone",
      undefined,
      {
        path: "categroy",
        code: "unknown_field",
        message: "is not a parameter of this route",
        in: "query",
      },
    ],
    [
      "a radius without a place",
      "GET",
      "/contractors?radiusKm=5",
      "anyone",
      undefined,
      {
        path: "radiusKm",
        code: "needs_other_field",
        message: "needs lat and lng",
        in: "query",
      },
    ],
    [
      "a NUL in a search",
      "GET",
      "/contractors?q=tap%00",
      "anyone",
      undefined,
      {
        path: "q",
        code: "nul_character",
        message: /NUL/,
        in: "query",
      },
    ],
  ];

  it.each(cases)("answers %s with the field, its code and a message for people", async (...testCase) => {
    const [, method, path, who, body, expected] = testCase;
    const token =
      who === "customer" ? customer.accessToken : who === "contractor" ? contractor.accessToken : undefined;
    const response = await app.request(method, `/api/v1${path}`, {
      ...(token ? { token } : {}),
      ...(body ? { body: JSON.parse(JSON.stringify(body)) } : {}),
    });
    expect(response.status, JSON.stringify(response.body)).toBe(400);
    expect(response.body.errors).toContainEqual({
      path: expected.path,
      code: expected.code,
      message:
        typeof expected.message === "string" ? expected.message : expect.stringMatching(expected.message),
      in: expected.in ?? "body",
    });
    for (const error of response.body.errors) {
      expect(fieldCodes).toContain(error.code);
      // No validator's own wording reaches people.
      expect(error.message).not.toMatch(/^(Invalid|Too (big|small)|Unrecognized)|expected |<=|>=/);
      expect(error.message).not.toMatch(/\ba [aeiou]/);
    }
  });

  it("names every unknown field of a body, and never fails with a 500", async () => {
    const known = new Set(["name", "phone", "avatarFileId"]);
    const extraKey = fc
      .string({ minLength: 1, maxLength: 20 })
      .filter((key) => !known.has(key) && !key.includes("\u0000"));
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(extraKey, fc.jsonValue({ maxDepth: 2 }), { minKeys: 1, maxKeys: 5 }),
        async (extra) => {
          const body = JSON.parse(JSON.stringify({ name: "Still Me", ...extra }));
          const response = await app.request("PATCH", "/api/v1/me", { token: customer.accessToken, body });
          expect(response.status, JSON.stringify(response.body)).toBe(400);
          const unknown = response.body.errors.filter(
            (error: { code: string }) => error.code === "unknown_field",
          );
          expect(unknown.map((error: { path: string }) => error.path).sort()).toEqual(
            Object.keys(body)
              .filter((key) => key !== "name")
              .sort(),
          );
          for (const error of unknown)
            expect(error).toMatchObject({ in: "body", message: "is not a field of this request" });
        },
      ),
      { numRuns: 40 },
    );
  });

  it("names every unknown parameter of a list", async () => {
    const known = new Set([
      "limit",
      "cursor",
      "category",
      "lat",
      "lng",
      "radiusKm",
      "q",
      "minRating",
      "maxHourlyRate",
      "currency",
      "availableAt",
      "verifiedOnly",
      "sort",
    ]);
    // Names as apps write them: the query parser reads brackets as nesting, so `a[b]` is not this key.
    const extraKey = fc
      .stringMatching(/^[A-Za-z][A-Za-z0-9_-]{0,19}$/)
      .filter((key) => !known.has(key) && !key.includes("\u0000"));
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(extraKey, { minLength: 1, maxLength: 5 }),
        fc.string({ maxLength: 10 }),
        async (keys, value) => {
          const query = new URLSearchParams(
            keys.map((key): [string, string] => [key, value.replaceAll("\u0000", "")]),
          );
          const response = await app.request("GET", `/api/v1/contractors?${query}`);
          expect(response.status, JSON.stringify(response.body)).toBe(400);
          expect(response.body.code).toBe("validation.failed");
          const unknown = response.body.errors.filter(
            (error: { code: string }) => error.code === "unknown_field",
          );
          expect(unknown.map((error: { path: string }) => error.path).sort()).toEqual([...keys].sort());
        },
      ),
      { numRuns: 40 },
    );
  });

  it("never fails with a 500 whatever the query string", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.string({ maxLength: 12 }), fc.string({ maxLength: 12 })), { maxLength: 6 }),
        async (pairs) => {
          const response = await app.request("GET", `/api/v1/contractors?${new URLSearchParams(pairs)}`);
          expect(response.status, JSON.stringify(response.body)).toBeLessThan(500);
          if (response.status === 400) {
            for (const error of response.body.errors) expect(fieldCodes).toContain(error.code);
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  describe("unknown query parameters on every list", () => {
    it.each([
      ["/contractors?categroy=plumber", "categroy"],
      ["/contractors?verified=true", "verified"],
      ["/admin/users?rol=admin", "rol"],
      ["/admin/users?search=root", "search"],
      ["/admin/verifications?state=pending", "state"],
      ["/admin/verifications?status=pending&pageSize=5", "pageSize"],
    ])("refuses GET %s naming %s", async (path, name) => {
      const response = await app.request("GET", `/api/v1${path}`, { token: admin.accessToken });
      expect(response.status).toBe(400);
      expect(response.body.code).toBe("validation.failed");
      expect(response.body.errors).toEqual([
        { path: name, code: "unknown_field", message: "is not a parameter of this route", in: "query" },
      ]);
      expect(response.body.detail).toBe(`${name}: is not a parameter of this route`);
    });

    it("still lists with the parameters each list knows", async () => {
      for (const path of [
        "/contractors?category=electrician&limit=5",
        "/admin/users?role=admin&q=root",
        "/admin/verifications?status=pending",
      ]) {
        const response = await app.request("GET", `/api/v1${path}`, { token: admin.accessToken });
        expect(response.status, path).toBe(200);
      }
    });
  });

  describe("instants before year 1, which PostgreSQL cannot store", () => {
    const tooEarly = { code: "too_small", message: "must be in year 1 or later" };
    it.each([
      ["/admin/bookings?from=0000-01-01T00:00:00Z", "from"],
      ["/admin/bookings?to=0000-12-31", "to"],
      // Year 1 by its digits, year 0 once its offset is applied.
      ["/admin/jobs?from=0001-01-01T00:30:00%2B01:00", "from"],
      ["/admin/transactions?from=0000-06-01T00:00:00Z", "from"],
      ["/admin/audit-log?to=0000-06-01T00:00:00Z", "to"],
      ["/contractors?availableAt=0000-06-01T09:00:00Z", "availableAt"],
    ])("refuses GET %s naming %s", async (path, name) => {
      const response = await app.request("GET", `/api/v1${path}`, { token: admin.accessToken });
      expect(response.status, JSON.stringify(response.body)).toBe(400);
      expect(response.body.errors).toEqual([{ path: name, ...tooEarly, in: "query" }]);
    });

    it.each([
      ["POST", "/bookings", "scheduledStart"],
      ["POST", "/jobs", "preferredStart"],
    ])("refuses %s %s with %s in year 0", async (method, path, name) => {
      const response = await app.request(method, `/api/v1${path}`, {
        token: customer.accessToken,
        body: { [name]: "0000-03-01T09:00:00Z" },
      });
      expect(response.status).toBe(400);
      expect(response.body.errors).toContainEqual({ path: name, ...tooEarly, in: "body" });
    });

    it("takes the first instant of year 1", async () => {
      for (const path of ["/admin/bookings?from=0001-01-01T00:00:00Z", "/admin/bookings?from=0001-01-01"]) {
        const response = await app.request("GET", `/api/v1${path}`, { token: admin.accessToken });
        expect(response.status, path).toBe(200);
      }
    });
  });

  describe("booleans in queries", () => {
    const verifiedOnly = async (value: string) =>
      app.request("GET", `/api/v1/contractors?verifiedOnly=${value}`);

    it("reads true/false and 1/0 alike", async () => {
      const everyone = (await verifiedOnly("false")).body.items.length;
      expect(everyone).toBeGreaterThan(0);
      expect((await verifiedOnly("0")).body.items).toHaveLength(everyone);
      // The one contractor here is not verified.
      expect((await verifiedOnly("true")).body.items).toEqual([]);
      expect((await verifiedOnly("1")).body.items).toEqual([]);
    });

    it.each(["yes", "no", "TRUE", "on", "", "2", "true,false"])("refuses verifiedOnly=%j", async (value) => {
      const response = await verifiedOnly(encodeURIComponent(value));
      expect(response.status).toBe(400);
      expect(response.body.errors).toEqual([
        {
          path: "verifiedOnly",
          code: "invalid_value",
          message: "must be true or false (or 1 or 0)",
          in: "query",
        },
      ]);
    });
  });
});
