import { sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/node-postgres";
import fc from "fast-check";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../../../test/server.js";
import { newId } from "../../db/columns.js";
import { type Availability, isAvailableAt } from "./availability.js";
import { contractorSearchQuery } from "./search.contract.js";
import { nearestFirstStatement } from "./search.repo.js";
import { searchPlan } from "./search.service.js";

/**
 * The nearest-first order against a brute force, on a dense, tie-heavy set: 7 × 7 cells of 0.01° around
 * central London, several contractors per cell (all of a cell share its rounded centre, so they tie on
 * distance), radii from 300 m to 6 km so that coverage varies, categories and weekly hours for some.
 */
const CELLS = 3;
const centre = { lat: 51.5, lng: -0.1 };
const radii = [0.3, 0.8, 1.5, 2.5, 4, 6];
const instants = [
  // A Wednesday morning: about half work then, those with the day off do not.
  "2026-12-02T10:00:00Z",
  // Only the long days still work at 19:00.
  "2026-12-02T19:00:00Z",
  // Saturday: only the Saturday mornings.
  "2026-12-05T10:30:00Z",
];

interface Seeded {
  id: string;
  lat: number;
  lng: number;
  radiusKm: number;
  plumber: boolean;
  suspended: boolean;
  availability?: Availability;
}

/** A small deterministic generator, so the set is the same on every run. */
function random(seed: number) {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
}

function seedSet(): Seeded[] {
  const next = random(21);
  const pick = <T>(values: readonly T[]): T => values[Math.floor(next() * values.length)] as T;
  const seeded: Seeded[] = [];
  for (let i = -CELLS; i <= CELLS; i++) {
    for (let j = -CELLS; j <= CELLS; j++) {
      const count = 2 + Math.floor(next() * 6);
      // In some cells everyone works from the very same spot: ties on every stored value too.
      const together = next() < 0.2;
      const spot = { lat: (next() - 0.5) * 0.0099, lng: (next() - 0.5) * 0.0099 };
      for (let k = 0; k < count; k++) {
        const offset = together ? spot : { lat: (next() - 0.5) * 0.0099, lng: (next() - 0.5) * 0.0099 };
        const hours = next();
        const dayOff = next() < 0.25;
        seeded.push({
          id: newId(),
          lat: centre.lat + i / 100 + offset.lat,
          lng: centre.lng + j / 100 + offset.lng,
          radiusKm: pick(radii),
          plumber: next() < 0.4,
          suspended: next() < 0.05,
          ...(hours < 0.6
            ? {
                availability: {
                  timezone: "Europe/London",
                  weekly: [
                    ...[1, 2, 3, 4, 5].map((day) => ({
                      day,
                      start: hours < 0.3 ? "08:00" : "07:00",
                      end: hours < 0.15 ? "20:00" : "18:00",
                    })),
                    ...(hours < 0.1 ? [{ day: 6, start: "09:00", end: "13:00" }] : []),
                  ],
                  exceptions: dayOff ? [{ date: "2026-12-02", available: false }] : [],
                },
              }
            : {}),
        });
      }
    }
  }
  return seeded;
}

const minutes = (time: string) => {
  const [hours, mins] = time.split(":").map(Number);
  return (hours ?? 0) * 60 + (mins ?? 0);
};

describe("nearest-first search over a dense set", () => {
  let app: TestServer;
  let client: pg.Client;
  const seeded = seedSet();
  const byId = new Map(seeded.map((entry) => [entry.id, entry]));

  beforeAll(async () => {
    app = await startTestServer();
    client = new pg.Client({ connectionString: app.database.url });
    await client.connect();
    const rows = (build: (entry: Seeded) => unknown[][]) => seeded.flatMap(build);
    const insert = async (table: string, columns: string[], values: unknown[][]) => {
      if (values.length === 0) return;
      const placeholders = values.map(
        (row, r) => `(${row.map((_, c) => `$${r * columns.length + c + 1}`).join(", ")})`,
      );
      await client.query(
        `insert into ${table} (${columns.join(", ")}) values ${placeholders.join(", ")}`,
        values.flat(),
      );
    };
    await insert(
      "users",
      ["id", "email", "password_hash", "name", "role", "status"],
      rows((entry) => [
        [
          entry.id,
          `dense-${entry.id}@example.com`,
          "not a hash",
          `Dense ${entry.id.slice(-6)}`,
          "contractor",
          entry.suspended ? "suspended" : "active",
        ],
      ]),
    );
    await insert(
      "contractor_profiles",
      [
        "user_id",
        "headline",
        "bio",
        "hourly_rate_amount",
        "hourly_rate_currency",
        "lat",
        "lng",
        "service_radius_km",
        "timezone",
        "search_document",
      ],
      rows((entry) => [
        [
          entry.id,
          "Dense",
          "Dense",
          3000,
          "gbp",
          entry.lat,
          entry.lng,
          entry.radiusKm,
          entry.availability?.timezone ?? null,
          "",
        ],
      ]),
    );
    await insert(
      "contractor_categories",
      ["user_id", "category_slug"],
      rows((entry) => [[entry.id, entry.plumber ? "plumber" : "electrician"]]),
    );
    await insert(
      "availability_weekly",
      ["user_id", "day", "start_minute", "end_minute"],
      rows((entry) =>
        (entry.availability?.weekly ?? []).map((range) => [
          entry.id,
          range.day,
          minutes(range.start),
          minutes(range.end),
        ]),
      ),
    );
    await insert(
      "availability_exceptions",
      ["user_id", "date", "available"],
      rows((entry) =>
        (entry.availability?.exceptions ?? []).map((exception) => [entry.id, exception.date, false]),
      ),
    );
    await client.query("analyze");
  });
  afterAll(async () => {
    await client?.end();
    await app?.close();
  });

  interface Search {
    lat: number;
    lng: number;
    limit: number;
    category?: "plumber" | undefined;
    availableAt?: string | undefined;
    radiusKm?: number | undefined;
  }

  /**
   * Every match in order, by brute force: each contractor's great-circle distance from its rounded centre
   * (computed by PostgreSQL, as search computes it, so ties are ties to the last bit), the rules applied
   * one by one here, then sorted by distance and id.
   */
  const oracle = async (search: Search): Promise<string[]> => {
    const { rows } = await client.query<{ id: string; distance: number }>(
      `select cp.user_id as id,
              2 * 6371::float8 * asin(least(1::float8, sqrt(
                power(sin(radians(c.lat - $1::float8) / 2), 2)
                + cos(radians($1::float8)) * cos(radians(c.lat)) * power(sin(radians(c.lng - $2::float8) / 2), 2)
              ))) as distance
         from contractor_profiles cp
        cross join lateral (
          select floor(cp.lat * 100::float8 + 0.5::float8) / 100::float8 as lat,
                 floor(cp.lng * 100::float8 + 0.5::float8) / 100::float8 as lng
        ) c`,
      [search.lat, search.lng],
    );
    return rows
      .filter((row) => {
        const entry = byId.get(row.id);
        if (!entry || entry.suspended) return false;
        if (row.distance > entry.radiusKm + 1e-6) return false;
        if (search.radiusKm !== undefined && row.distance > search.radiusKm + 1e-6) return false;
        if (search.category === "plumber" && !entry.plumber) return false;
        if (search.availableAt !== undefined) {
          if (!entry.availability || !isAvailableAt(entry.availability, new Date(search.availableAt))) {
            return false;
          }
        }
        return true;
      })
      .sort((a, b) => a.distance - b.distance || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .map((row) => row.id);
  };

  const params = (search: Search): Record<string, string> => {
    const result: Record<string, string> = { lat: String(search.lat), lng: String(search.lng) };
    if (search.category) result.category = search.category;
    if (search.availableAt) result.availableAt = search.availableAt;
    if (search.radiusKm !== undefined) result.radiusKm = String(search.radiusKm);
    return result;
  };

  /** Pages through `GET /contractors` as an app does, following nextCursor to the end. */
  const walk = async (search: Search) => {
    const ids: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const query = new URLSearchParams({ ...params(search), limit: String(search.limit) });
      if (cursor) query.set("cursor", cursor);
      const response = await app.request("GET", `/api/v1/contractors?${query}`);
      expect(response.status, JSON.stringify(response.body)).toBe(200);
      const items = response.body.items as { id: string }[];
      expect(items.length).toBeLessThanOrEqual(search.limit);
      // A page announcing another is full: a short page is always the last.
      if (response.body.nextCursor) expect(items).toHaveLength(search.limit);
      ids.push(...items.map((item) => item.id));
      cursor = response.body.nextCursor ?? undefined;
      pages++;
    } while (cursor && pages < 500);
    return ids;
  };

  const lat = (cells: number) => centre.lat + cells / 100;
  const lng = (cells: number) => centre.lng + cells / 100;
  const point = fc.oneof(
    // Anywhere in and around the cells.
    fc.record({
      lat: fc.double({ min: lat(-CELLS - 2), max: lat(CELLS + 2), noNaN: true }),
      lng: fc.double({ min: lng(-CELLS - 2), max: lng(CELLS + 2), noNaN: true }),
    }),
    // On a cell's centre: its contractors are at distance 0.
    fc.record({
      lat: fc.integer({ min: -CELLS, max: CELLS }).map(lat),
      lng: fc.integer({ min: -CELLS, max: CELLS }).map(lng),
    }),
    // Halfway between two cells' centres: both cells are equally far.
    fc.record({
      lat: fc.integer({ min: -CELLS, max: CELLS }).map((cell) => lat(cell + 0.5)),
      lng: fc.integer({ min: -CELLS, max: CELLS }).map(lng),
    }),
  );

  it("lists every match exactly once, in distance then id order, whatever the page size", async () => {
    await fc.assert(
      fc.asyncProperty(
        point,
        fc.integer({ min: 2, max: 25 }),
        fc.option(fc.constant("plumber" as const), { nil: undefined }),
        fc.option(fc.constantFrom(...instants), { nil: undefined }),
        fc.option(fc.constantFrom(0.5, 1.2, 3), { nil: undefined }),
        async (where, limit, category, availableAt, radiusKm) => {
          const search = { ...where, limit, category, availableAt, radiusKm };
          const expected = await oracle(search);
          expect(await walk(search)).toEqual(expected);
        },
      ),
      { numRuns: 30 },
    );
  }, 120_000);

  it("keeps whole groups of ties apart only by id across page boundaries", async () => {
    // On a cell's centre with one result per page: every boundary falls inside a group of ties.
    const search = { lat: lat(0), lng: lng(0), limit: 1 };
    const expected = await oracle(search);
    expect(expected.length).toBeGreaterThan(50);
    expect(await walk(search)).toEqual(expected);
  }, 60_000);

  it("probes availability only for candidates up to the last row of the page", async () => {
    const db = drizzle(client, { casing: "snake_case" });
    const spared: number[] = [];
    for (const availableAt of instants) {
      const search = { lat: lat(0.3), lng: lng(-0.2), limit: 4, category: "plumber" as const };
      const query = contractorSearchQuery.parse({
        ...params(search),
        availableAt,
        limit: String(search.limit),
      });
      // The candidates in page order before availability; only those with hours (a time zone) are probed.
      const candidates = (await oracle(search)).filter((id) => byId.get(id)?.availability);
      const shown = await oracle({ ...search, availableAt });
      // The page and the one row past it that tells whether another page exists.
      const last = shown[search.limit];
      const probesNeeded = last === undefined ? candidates.length : candidates.indexOf(last) + 1;
      spared.push(candidates.length - probesNeeded);
      // One round reaching for every candidate, so that only the order of probing is in question.
      const statement = nearestFirstStatement(query, searchPlan(query), {
        reach: candidates.length * 4,
        need: search.limit + 1,
      });
      const { rows } = await db.execute<{ "QUERY PLAN": unknown }>(
        sql`explain (analyze, format json) ${statement}`,
      );
      const probes: number[] = [];
      const visit = (node: unknown) => {
        if (!node || typeof node !== "object") return;
        const plan = node as Record<string, unknown>;
        if (plan["Relation Name"] === "availability_exceptions") probes.push(Number(plan["Actual Loops"]));
        for (const value of Object.values(plan)) {
          if (Array.isArray(value)) value.forEach(visit);
          else if (value && typeof value === "object") visit(value);
        }
      };
      visit(rows[0]?.["QUERY PLAN"]);
      // Every probe starts by looking for an exception on that date.
      expect(Math.max(...probes), availableAt).toBe(probesNeeded);
    }
    // On a working morning most candidates past the page are never probed.
    expect(spared[0]).toBeGreaterThan(10);
  });
});
