import { sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/node-postgres";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { register } from "../../../test/accounts.js";
import { forgeCursor } from "../../../test/cursors.js";
import { startTestServer, type TestServer } from "../../../test/server.js";
import { type Availability, isAvailableAt } from "./availability.js";
import { contractorSearchQuery } from "./search.contract.js";
import {
  contractorSearchStatement,
  EARTH_RADIUS_KM,
  firstNearestRound,
  nearestFirstStatement,
  parseSearchText,
} from "./search.repo.js";
import { searchContractors, searchPlan } from "./search.service.js";

/** 111.195 km: one degree of latitude on a sphere of radius 6371 km. */
const KM_PER_DEGREE = (EARTH_RADIUS_KM * Math.PI) / 180;
/** Where the customer needs the work done in most tests (central London). */
const origin = { lat: 51.5, lng: -0.1 };
/** A point `km` north of the origin (south when negative), on its meridian, so the distance is exactly `km`. */
const north = (km: number) => ({ lat: origin.lat + km / KM_PER_DEGREE, lng: origin.lng });
/**
 * 1.112 km: search measures from each base rounded to 0.01°, so bases sit on that grid, `steps` of 0.01°
 * north of the origin, where the rounding leaves them in place and distances stay exact multiples of this.
 */
const STEP_KM = KM_PER_DEGREE / 100;
const gridNorth = (steps: number) => ({ lat: origin.lat + steps / 100, lng: origin.lng });

interface Seed {
  name: string;
  headline: string;
  bio: string;
  categorySlugs: string[];
  rate: { amount: number; currency: string };
  base: { lat: number; lng: number };
  radiusKm: number;
  rating?: { average: number; count: number };
  verified?: boolean;
  availability?: Availability;
}

const seeds: Seed[] = [
  {
    name: "Alice Sparks",
    headline: "Licensed electrician",
    bio: "Rewiring, fuse boards and EV chargers.",
    categorySlugs: ["electrician"],
    rate: { amount: 4500, currency: "GBP" },
    base: gridNorth(0),
    radiusKm: 20,
    rating: { average: 4.8, count: 10 },
    verified: true,
    availability: { timezone: "Europe/London", weekly: [{ day: 0, start: "09:00", end: "17:00" }] },
  },
  {
    name: "Grace Hidden",
    headline: "Painter and decorator",
    bio: "Interior painting and wallpapering.",
    categorySlugs: ["painter"],
    rate: { amount: 6000, currency: "GBP" },
    base: gridNorth(1),
    radiusKm: 5,
    rating: { average: 2, count: 1 },
  },
  {
    name: "Bob Drains",
    headline: "Emergency plumber",
    bio: "Leaking taps and blocked drains fixed fast.",
    categorySlugs: ["plumber"],
    rate: { amount: 3000, currency: "GBP" },
    base: gridNorth(4),
    radiusKm: 10,
    rating: { average: 4.5, count: 20 },
    availability: {
      timezone: "America/New_York",
      weekly: [1, 2, 3, 4, 5].map((day) => ({ day, start: "08:00", end: "18:00" })),
      exceptions: [{ date: "2026-03-30", available: false }],
    },
  },
  {
    name: "Jane Twin",
    headline: "Domestic cleaner",
    bio: "Weekly cleans and ironing.",
    categorySlugs: ["cleaner"],
    rate: { amount: 3000, currency: "GBP" },
    base: gridNorth(4),
    radiusKm: 8,
    rating: { average: 4.5, count: 20 },
  },
  {
    name: "Dan Inside",
    headline: "Plumbing and heating",
    bio: "Bathrooms fitted and radiators bled.",
    categorySlugs: ["plumber", "hvac"],
    rate: { amount: 3000, currency: "GBP" },
    base: gridNorth(-8),
    radiusKm: 10,
    rating: { average: 4.5, count: 35 },
    availability: { timezone: "Asia/Tokyo", weekly: [{ day: 1, start: "00:00", end: "24:00" }] },
  },
  {
    name: "Carol Edge",
    headline: "Electrician and handyman",
    bio: "Shelves, sockets and lighting.",
    categorySlugs: ["handyman", "electrician"],
    rate: { amount: 5000, currency: "GBP" },
    base: gridNorth(9),
    // Exactly the distance from the origin: the origin is on the edge of her area.
    radiusKm: 9 * STEP_KM,
    rating: { average: 4.5, count: 20 },
    availability: {
      timezone: "Europe/London",
      weekly: [
        { day: 0, start: "01:00", end: "02:00" },
        { day: 0, start: "09:00", end: "17:00" },
      ],
      exceptions: [{ date: "2026-03-29", available: true, start: "18:00", end: "20:00" }],
    },
  },
  {
    name: "Erin Outside",
    headline: "Deep cleaning",
    bio: "End-of-tenancy cleans.",
    categorySlugs: ["cleaner"],
    rate: { amount: 2000, currency: "GBP" },
    base: gridNorth(-9),
    // 10 m short of the origin.
    radiusKm: 9 * STEP_KM - 0.01,
    rating: { average: 3, count: 2 },
  },
  {
    name: "Frank Fields",
    headline: "Garden design",
    bio: "Hedges trimmed and lawns mowed.",
    categorySlugs: ["gardener"],
    rate: { amount: 2500, currency: "EUR" },
    base: gridNorth(45),
    radiusKm: 100,
    rating: { average: 4.9, count: 3 },
    verified: true,
  },
  {
    name: "Ivan Faraway",
    headline: "House removals",
    bio: "Man with a van.",
    categorySlugs: ["mover"],
    rate: { amount: 8000, currency: "USD" },
    base: gridNorth(180),
    radiusKm: 100,
  },
  {
    name: "Kiri Dateline",
    headline: "Roof repairs",
    bio: "Tiles and gutters fixed after storms.",
    categorySlugs: ["roofer"],
    rate: { amount: 7000, currency: "FJD" },
    base: { lat: -17, lng: -179.9 },
    radiusKm: 50,
  },
  {
    name: "Nils Pole",
    headline: "Polar station locksmith",
    bio: "Locks changed on research huts.",
    categorySlugs: ["locksmith"],
    rate: { amount: 9000, currency: "NOK" },
    base: { lat: 89.95, lng: 100 },
    radiusKm: 50,
  },
];

describe("contractor search", () => {
  let app: TestServer;
  const ids = new Map<string, string>();

  const idOf = (name: string) => {
    const id = ids.get(name);
    if (!id) throw new Error(`no seeded contractor ${name}`);
    return id;
  };
  /** Names in the order contractors tied on every sort key come: by id. */
  const byId = (...names: string[]) => [...names].sort((a, b) => (idOf(a) < idOf(b) ? -1 : 1));

  const search = (params: Record<string, string | number | boolean> = {}) => {
    const query = new URLSearchParams(
      Object.entries(params).map(([key, value]): [string, string] => [key, String(value)]),
    );
    return app.request("GET", `/api/v1/contractors?${query}`);
  };
  /** The parts of a cursor: the digest of its filters, then its sort key. */
  const decode = (cursor: string): unknown[] => JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  const namesOf = async (params: Record<string, string | number | boolean> = {}) => {
    const response = await search(params);
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    return response.body.items.map((item: { name: string }) => item.name) as string[];
  };

  const sqlOnDatabase = async (text: string, values: unknown[] = []) => {
    const client = new pg.Client({ connectionString: app.database.url });
    await client.connect();
    try {
      return await client.query(text, values);
    } finally {
      await client.end();
    }
  };

  beforeAll(async () => {
    app = await startTestServer();
    for (const seed of seeds) {
      const account = await register(app, "contractor", { name: seed.name });
      ids.set(seed.name, account.id);
      const profile = await app.request("PUT", "/api/v1/contractors/me/profile", {
        token: account.accessToken,
        body: {
          headline: seed.headline,
          bio: seed.bio,
          categorySlugs: seed.categorySlugs,
          hourlyRate: seed.rate,
          serviceArea: { ...seed.base, radiusKm: seed.radiusKm },
        },
      });
      if (profile.status !== 200) throw new Error(`profile of ${seed.name}: ${JSON.stringify(profile.body)}`);
      if (seed.availability) {
        const availability = await app.request("PUT", "/api/v1/contractors/me/availability", {
          token: account.accessToken,
          body: seed.availability,
        });
        if (availability.status !== 200) {
          throw new Error(`availability of ${seed.name}: ${JSON.stringify(availability.body)}`);
        }
      }
    }
    // Reviews will maintain the rating and an admin's decision will set `verified`; neither exists yet.
    // Updated newest first, so the table's physical order is the reverse of the ids' and ties can only come
    // out by id if the query orders them so.
    for (const seed of [...seeds].reverse()) {
      await sqlOnDatabase(
        "update contractor_profiles set rating_average = $2, rating_count = $3, verified = $4 where user_id = $1",
        [idOf(seed.name), seed.rating?.average ?? 0, seed.rating?.count ?? 0, seed.verified ?? false],
      );
    }
  });
  afterAll(async () => {
    await app.close();
  });

  const ratingOrder = () => [
    "Frank Fields",
    "Alice Sparks",
    "Dan Inside",
    ...byId("Bob Drains", "Carol Edge", "Jane Twin"),
    "Erin Outside",
    "Grace Hidden",
    ...byId("Ivan Faraway", "Kiri Dateline", "Nils Pole"),
  ];
  const priceOrder = () => [
    "Erin Outside",
    "Frank Fields",
    ...byId("Bob Drains", "Dan Inside", "Jane Twin"),
    "Alice Sparks",
    "Carol Edge",
    "Grace Hidden",
    "Kiri Dateline",
    "Ivan Faraway",
    "Nils Pole",
  ];
  /** Everyone whose service area covers the origin, nearest first. */
  const distanceOrder = () => [
    "Alice Sparks",
    "Grace Hidden",
    ...byId("Bob Drains", "Jane Twin"),
    "Dan Inside",
    "Carol Edge",
    "Frank Fields",
  ];

  describe("listing", () => {
    it("lists every active contractor best rated first, with the public fields, to anyone", async () => {
      const response = await search();
      expect(response.status).toBe(200);
      expect(response.body.items.map((item: { name: string }) => item.name)).toEqual(ratingOrder());
      expect(response.body.nextCursor).toBeNull();
      const alice = response.body.items[1];
      expect(alice).toEqual({
        id: idOf("Alice Sparks"),
        name: "Alice Sparks",
        headline: "Licensed electrician",
        categorySlugs: ["electrician"],
        hourlyRate: { amount: 4500, currency: "gbp" },
        rating: { average: 4.8, count: 10 },
        distanceKm: null,
        verified: true,
        avatarUrl: null,
      });
      const carol = response.body.items.find((item: { name: string }) => item.name === "Carol Edge");
      expect(carol.categorySlugs).toEqual(["electrician", "handyman"]);
    });

    it("sorts by rating, then by the number of ratings, then by id", async () => {
      expect(await namesOf({ sort: "rating" })).toEqual(ratingOrder());
    });

    it("sorts by hourly amount, then by id", async () => {
      expect(await namesOf({ sort: "price" })).toEqual(priceOrder());
    });
  });

  it("reads web-search syntax into groups of terms", () => {
    expect(parseSearchText('tiles or "flat roof" -asbestos  or ')).toEqual([
      [
        { text: "tiles", negated: false },
        { text: '"flat roof"', negated: false },
      ],
      [{ text: "asbestos", negated: true }],
    ]);
    expect(parseSearchText('-"damp proofing" end-of-tenancy - ! or')).toEqual([
      [{ text: '"damp proofing"', negated: true }],
      [{ text: "end-of-tenancy", negated: false }],
    ]);
  });

  describe("place", () => {
    it("lists contractors whose area covers the point, nearest first, with the distance to 0.1 km", async () => {
      const response = await search(origin);
      expect(response.status).toBe(200);
      const items = response.body.items as { name: string; distanceKm: number }[];
      expect(items.map((item) => item.name)).toEqual(distanceOrder());
      // 0, 1, 4, 4, 8, 9 and 45 steps of 1.112 km.
      expect(items.map((item) => item.distanceKm)).toEqual([0, 1.1, 4.4, 4.4, 8.9, 10, 50]);
      expect(await namesOf({ ...origin, sort: "distance" })).toEqual(distanceOrder());
    });

    it("counts a point exactly on the edge of a service area as covered, and one just past it as not", async () => {
      // From the origin, Carol's base is exactly her radius away, Dan is 1.1 km inside his, Erin 10 m outside hers.
      const fromOrigin = await namesOf(origin);
      expect(fromOrigin).toContain("Carol Edge");
      expect(fromOrigin).toContain("Dan Inside");
      expect(fromOrigin).not.toContain("Erin Outside");
      // 20 m further south, Carol is 20 m outside her area and Erin 10 m inside hers.
      const further = await namesOf(north(-0.02));
      expect(further).not.toContain("Carol Edge");
      expect(further).toContain("Erin Outside");
      expect(further).toContain("Dan Inside");
    });

    it("limits to contractors based within radiusKm", async () => {
      expect(await namesOf({ ...origin, radiusKm: 9.995 })).toEqual([
        "Alice Sparks",
        "Grace Hidden",
        ...byId("Bob Drains", "Jane Twin"),
        "Dan Inside",
      ]);
      // Carol is exactly 9 steps away: a base on the edge of radiusKm is within it.
      expect(await namesOf({ ...origin, radiusKm: 9 * STEP_KM })).toEqual(distanceOrder().slice(0, 6));
      expect(await namesOf({ ...origin, radiusKm: 0.5 })).toEqual(["Alice Sparks"]);
      expect(await namesOf({ ...origin, radiusKm: 500 })).toEqual(distanceOrder());
    });

    it("finds contractors across the antimeridian and across a pole", async () => {
      const dateline = await search({ lat: -17, lng: 179.9 });
      expect(dateline.body.items.map((item: { name: string }) => item.name)).toEqual(["Kiri Dateline"]);
      // 0.2° of longitude at 17° S: 111.195 × 0.2 × cos 17° = 21.27 km.
      expect(dateline.body.items[0].distanceKm).toBe(21.3);
      const pole = await search({ lat: 89.95, lng: -80, radiusKm: 15 });
      expect(pole.body.items.map((item: { name: string }) => item.name)).toEqual(["Nils Pole"]);
      // Over the pole from 89.95° on one meridian to 89.95° on the opposite one: 0.1° of latitude.
      expect(pole.body.items[0].distanceKm).toBe(11.1);
    });

    it("sorts the covering contractors by rating or price when asked", async () => {
      expect(await namesOf({ ...origin, sort: "rating" })).toEqual([
        "Frank Fields",
        "Alice Sparks",
        "Dan Inside",
        ...byId("Bob Drains", "Carol Edge", "Jane Twin"),
        "Grace Hidden",
      ]);
      expect(await namesOf({ ...origin, sort: "price" })).toEqual([
        "Frank Fields",
        ...byId("Bob Drains", "Dan Inside", "Jane Twin"),
        "Alice Sparks",
        "Carol Edge",
        "Grace Hidden",
      ]);
    });
  });

  describe("filters", () => {
    it("matches words of the name, headline and bio", async () => {
      // The name is indexed unstemmed: "Sparks" matches it although English stems it to "spark".
      expect(await namesOf({ q: "Sparks" })).toEqual(["Alice Sparks"]);
      // Bio words are stemmed: "draining" finds "drains".
      expect(await namesOf({ q: "draining" })).toEqual(["Bob Drains"]);
      expect(await namesOf({ q: "electrician" })).toEqual(["Alice Sparks", "Carol Edge"]);
      // Carol's bio says "sockets", indexed stemmed: excluding the word must exclude her.
      expect(await namesOf({ q: "electrician -sockets" })).toEqual(["Alice Sparks"]);
      // A name word and a bio word that English stems differently, in one query.
      expect(await namesOf({ q: "Sparks rewiring" })).toEqual(["Alice Sparks"]);
      expect(await namesOf({ q: "sparks or draining" })).toEqual(["Alice Sparks", "Bob Drains"]);
      expect(await namesOf({ q: '"blocked drains"' })).toEqual(["Bob Drains"]);
      expect(await namesOf({ q: '"drains blocked"' })).toEqual([]);
      expect(await namesOf({ q: "electrician", ...origin })).toEqual(["Alice Sparks", "Carol Edge"]);
      expect(await namesOf({ q: "astronaut" })).toEqual([]);
    });

    it("filters by category", async () => {
      expect(await namesOf({ category: "electrician" })).toEqual(["Alice Sparks", "Carol Edge"]);
      expect(await namesOf({ category: "Handyman" })).toEqual(["Carol Edge"]);
      expect(await namesOf({ category: "plumber", ...origin })).toEqual(byId("Bob Drains", "Dan Inside"));
      expect(await namesOf({ category: "tiler" })).toEqual([]);
    });

    it("answers 400 catalog.unknown_category for an unknown slug", async () => {
      const response = await search({ category: "astronaut" });
      expect(response.status).toBe(400);
      expect(response.body.code).toBe("catalog.unknown_category");
      expect(response.body.errors).toEqual([
        { path: "category", code: "not_found", message: 'no category "astronaut"', in: "query" },
      ]);
    });

    it("filters by minimum rating", async () => {
      expect(await namesOf({ minRating: 4.5 })).toEqual(ratingOrder().slice(0, 6));
      expect(await namesOf({ minRating: 4.85 })).toEqual(["Frank Fields"]);
      expect(await namesOf({ minRating: 0 })).toEqual(ratingOrder());
    });

    it("filters by maximum hourly rate within a currency", async () => {
      expect(await namesOf({ maxHourlyRate: 3000, currency: "GBP" })).toEqual([
        "Dan Inside",
        ...byId("Bob Drains", "Jane Twin"),
        "Erin Outside",
      ]);
      expect(await namesOf({ maxHourlyRate: 2999, currency: "gbp" })).toEqual(["Erin Outside"]);
      // Frank charges 2500 EUR: cheaper in amount, but not comparable with pounds.
      expect(await namesOf({ maxHourlyRate: 2500, currency: "gbp" })).toEqual(["Erin Outside"]);
      expect(await namesOf({ currency: "eur" })).toEqual(["Frank Fields"]);
    });

    it("compares maxHourlyRate with each contractor's own amount when no currency is given", async () => {
      const cheap = await namesOf({ maxHourlyRate: 2500 });
      expect(cheap.sort()).toEqual(["Erin Outside", "Frank Fields"]);
    });

    it("keeps only verified contractors when asked", async () => {
      expect(await namesOf({ verifiedOnly: true })).toEqual(["Frank Fields", "Alice Sparks"]);
      expect(await namesOf({ verifiedOnly: false })).toEqual(ratingOrder());
      expect(await namesOf({ verifiedOnly: true, ...origin })).toEqual(["Alice Sparks", "Frank Fields"]);
    });
  });

  describe("availability", () => {
    it.each([
      // London changes to BST on Sunday 2026-03-29 at 01:00 UTC: Alice's 09:00–17:00 is then 08:00–16:00 UTC.
      ["2026-03-29T08:30:00Z", ["Alice Sparks"]],
      ["2026-03-29T09:30:00+01:00", ["Alice Sparks"]],
      ["2026-03-29T16:30:00Z", ["Dan Inside"]],
      // Carol's exception replaces her Sunday hours on the 29th with 18:00–20:00 London time.
      ["2026-03-29T17:30:00Z", ["Dan Inside", "Carol Edge"]],
      // A week earlier London is on GMT; starts are inclusive.
      ["2026-03-22T08:30:00Z", []],
      ["2026-03-22T09:00:00Z", ["Alice Sparks", "Carol Edge"]],
      // Tokyo is 9 hours ahead: Dan's Monday (00:00–24:00) starts at 15:00 UTC on Sunday.
      ["2026-03-29T14:59:00Z", ["Alice Sparks"]],
      ["2026-03-29T15:00:00Z", ["Alice Sparks", "Dan Inside"]],
      // Bob's Monday 2026-03-30 is a day off in New York; Tuesday is a working day until 18:00 (exclusive).
      ["2026-03-30T14:00:00Z", ["Dan Inside"]],
      ["2026-03-31T14:00:00Z", ["Bob Drains"]],
      ["2026-03-31T21:59:00Z", ["Bob Drains"]],
      ["2026-03-31T22:00:00Z", []],
      // London falls back on 2026-10-25: 01:00–02:00 happens twice, and Carol works both times.
      ["2026-10-25T00:30:00Z", ["Carol Edge"]],
      ["2026-10-25T01:30:00Z", ["Carol Edge"]],
      ["2026-10-25T02:00:00Z", []],
    ])("at %s lists %j", async (availableAt, expected) => {
      expect(await namesOf({ availableAt })).toEqual(expected);
    });

    it("agrees with isAvailableAt every half hour around both daylight-saving changes", async () => {
      const db = app.server.database.db;
      const windows = [
        ["2026-03-27T00:00:00Z", "2026-04-01T00:00:00Z"],
        ["2026-10-23T00:00:00Z", "2026-10-27T00:00:00Z"],
      ] as const;
      let checked = 0;
      for (const [from, to] of windows) {
        for (let at = Date.parse(from); at < Date.parse(to); at += 30 * 60_000) {
          const instant = new Date(at);
          const query = contractorSearchQuery.parse({ availableAt: instant.toISOString(), limit: "100" });
          const page = await searchContractors(db, query, (key) => key);
          const expected = seeds
            .filter((seed) => seed.availability && isAvailableAt(seed.availability, instant))
            .map((seed) => seed.name)
            .sort();
          expect(page.items.map((item) => item.name).sort(), instant.toISOString()).toEqual(expected);
          checked++;
        }
      }
      expect(checked).toBe(432);
    });
  });

  describe("paging", () => {
    const walk = async (params: Record<string, string | number>, limit: number) => {
      const names: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const response = await search({ ...params, limit, ...(cursor ? { cursor } : {}) });
        expect(response.status, JSON.stringify(response.body)).toBe(200);
        expect(response.body.items.length).toBeLessThanOrEqual(limit);
        names.push(...response.body.items.map((item: { name: string }) => item.name));
        cursor = response.body.nextCursor ?? undefined;
        pages++;
      } while (cursor && pages < 20);
      return { names, pages };
    };

    // Page boundaries fall inside groups of ties: Bob and Jane at 4.4 km (limit 3), the three 4.5/20 ratings
    // and the three 0/0 ones, the three 3000 rates.
    it.each([
      ["distance", 2, () => ({ params: { ...origin, sort: "distance" }, order: distanceOrder() })],
      ["distance", 3, () => ({ params: origin, order: distanceOrder() })],
      ["rating", 2, () => ({ params: { sort: "rating" }, order: ratingOrder() })],
      ["price", 2, () => ({ params: { sort: "price" }, order: priceOrder() })],
    ] as const)("walks the %s order %i at a time, every match exactly once", async (_sort, limit, setup) => {
      const { params, order } = setup();
      const { names, pages } = await walk(params, limit);
      expect(names).toEqual(order);
      expect(pages).toBe(Math.ceil(order.length / limit));
    });

    it("refuses a cursor from another sort or not issued at all", async () => {
      const first = await search({ sort: "rating", limit: 2 });
      const other = await search({ sort: "price", limit: 2, cursor: first.body.nextCursor });
      expect(other.status).toBe(400);
      expect(other.body.code).toBe("pagination.invalid_cursor");
      const distance = await search({ ...origin, limit: 2, cursor: first.body.nextCursor });
      expect(distance.status).toBe(400);
      expect(distance.body.code).toBe("pagination.invalid_cursor");
      const encode = (key: unknown[]) => Buffer.from(JSON.stringify(key)).toString("base64url");
      // Forged with the digest a client could compute, so each reaches the checks of the parts behind it.
      const forge = (sort: string, key: unknown[]) => forgeCursor({ ...origin, sort }, [sort, ...key]);
      const forgeries = [
        ["rating", "not-a-cursor"],
        ["rating", forge("rating", [4.5, 20, "x'; drop table users; --"])],
        ["rating", forge("rating", [4.5, 1.5, idOf("Bob Drains")])],
        ["price", forge("price", ["3000", idOf("Bob Drains")])],
        ["distance", forge("distance", [null, idOf("Bob Drains")])],
        ["distance", forge("distance", [1, idOf("Bob Drains").toUpperCase()])],
        // A cursor as issued before cursors named their filters.
        ["rating", encode(["rating", 4.5, 2, idOf("Bob Drains")])],
      ] as const;
      for (const [sort, forged] of forgeries) {
        const response = await search({ ...origin, sort, cursor: forged });
        expect(response.status, forged).toBe(400);
        expect(response.body.code).toBe("pagination.invalid_cursor");
        expect(response.body.errors).toEqual([
          { path: "cursor", code: "invalid_value", message: expect.any(String), in: "query" },
        ]);
      }
    });

    it.each([
      ["another category", { category: "electrician" }],
      ["a category added", { category: "plumber", verifiedOnly: true }],
      ["a filter dropped", {}],
      ["another minimum rating", { category: "plumber", minRating: 1 }],
      ["another sort", { category: "plumber", sort: "price" }],
      ["a search point added", { category: "plumber", ...origin }],
    ] as const)("refuses a cursor replayed with %s", async (_change, replayed) => {
      const first = await search({ category: "plumber", limit: 1 });
      expect(first.body.nextCursor).toEqual(expect.any(String));
      const response = await search({ ...replayed, limit: 1, cursor: first.body.nextCursor });
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({
        code: "pagination.invalid_cursor",
        detail: expect.stringMatching(/other filters/),
        errors: [{ path: "cursor", code: "invalid_value", message: expect.any(String), in: "query" }],
      });
    });

    it("keeps walking when only the spelling of a filter or the page size changes", async () => {
      const all = await namesOf({ verifiedOnly: true, limit: 100 });
      expect(all.length).toBeGreaterThan(1);
      const first = await search({ verifiedOnly: "1", limit: 1 });
      const rest = await search({ verifiedOnly: "true", limit: 100, cursor: first.body.nextCursor });
      expect(rest.status).toBe(200);
      expect([...first.body.items, ...rest.body.items].map((item: { name: string }) => item.name)).toEqual(
        all,
      );
    });

    it("refuses a cursor tampered to claim the filters of another search", async () => {
      const plumbers = await search({ category: "plumber", limit: 1 });
      const electricians = await search({ category: "electrician", limit: 1 });
      const [, ...plumberKey] = decode(plumbers.body.nextCursor);
      const [electricianDigest, ...electricianKey] = decode(electricians.body.nextCursor);
      const encode = (parts: unknown[]) => Buffer.from(JSON.stringify(parts)).toString("base64url");
      const tampered = [
        // The plumbers' position under the label of the electricians' search.
        ["electrician", encode([electricianDigest, ...plumberKey])],
        ["plumber", encode([electricianDigest, ...plumberKey])],
        // The electricians' label kept, the rating of its position edited.
        ["electrician", encode([electricianDigest, electricianKey[0], 4.9, ...electricianKey.slice(2)])],
      ] as const;
      for (const [category, cursor] of tampered) {
        const response = await search({ category, limit: 1, cursor });
        expect(response.status, cursor).toBe(400);
        expect(response.body.code).toBe("pagination.invalid_cursor");
      }
      // The genuine cursors still continue their own searches.
      const next = await search({ category: "electrician", limit: 1, cursor: electricians.body.nextCursor });
      expect(next.status).toBe(200);
      expect(next.body.items).toHaveLength(1);
    });
  });

  it("never lists a suspended contractor", async () => {
    expect(await namesOf({ q: "Hidden" })).toEqual(["Grace Hidden"]);
    await sqlOnDatabase("update users set status = 'suspended' where id = $1", [idOf("Grace Hidden")]);
    try {
      expect(await namesOf({ q: "Hidden" })).toEqual([]);
      expect(await namesOf()).toEqual(ratingOrder().filter((name) => name !== "Grace Hidden"));
      expect(await namesOf(origin)).toEqual(distanceOrder().filter((name) => name !== "Grace Hidden"));
    } finally {
      await sqlOnDatabase("update users set status = 'active' where id = $1", [idOf("Grace Hidden")]);
    }
  });

  describe("validation", () => {
    it.each([
      [{ lat: 91, lng: 0 }, "lat", "too_big", "must be at most 90"],
      [{ lat: "north", lng: 0 }, "lat", "invalid_type", "must be a number"],
      [{ lat: "", lng: 0 }, "lat", "invalid_type", "must be a number"],
      [{ lat: 51.5, lng: -181 }, "lng", "too_small", "must be at least -180"],
      [{ lat: 51.5 }, "lng", "required", "is required with lat"],
      [{ lng: -0.1 }, "lat", "required", "is required with lng"],
      [{ ...origin, radiusKm: 0 }, "radiusKm", "too_small", "must be more than 0"],
      [{ ...origin, radiusKm: 501 }, "radiusKm", "too_big", "must be at most 500"],
      [{ radiusKm: 5 }, "radiusKm", "needs_other_field", "needs lat and lng"],
      [{ q: "   " }, "q", "too_short", "must not be blank"],
      [{ q: "x".repeat(101) }, "q", "too_long", "at most 100 characters"],
      [{ category: "" }, "category", "too_short", "must not be empty"],
      [{ minRating: 5.5 }, "minRating", "too_big", "must be at most 5"],
      [{ minRating: -1 }, "minRating", "too_small", "must be at least 0"],
      [
        { maxHourlyRate: 12.5, currency: "gbp" },
        "maxHourlyRate",
        "invalid_type",
        "must be a whole number of minor units (cents)",
      ],
      [{ maxHourlyRate: -1, currency: "gbp" }, "maxHourlyRate", "too_small", "must be at least 0"],
      [{ currency: "pounds" }, "currency", "invalid_format", expect.stringMatching(/^must be .*(ISO|code)/)],
      [
        { availableAt: "2026-03-29T09:30:00" },
        "availableAt",
        "invalid_format",
        "must be an ISO 8601 date-time with an offset, e.g. 2026-03-29T09:30:00Z",
      ],
      [
        { availableAt: "tomorrow" },
        "availableAt",
        "invalid_format",
        "must be an ISO 8601 date-time with an offset, e.g. 2026-03-29T09:30:00Z",
      ],
      [{ verifiedOnly: "yes" }, "verifiedOnly", "invalid_value", "must be true or false (or 1 or 0)"],
      [{ verifiedOnly: "" }, "verifiedOnly", "invalid_value", "must be true or false (or 1 or 0)"],
      [{ sort: "cheapest" }, "sort", "invalid_value", "must be distance, rating or price"],
      [{ sort: "distance" }, "sort", "needs_other_field", "distance needs lat and lng"],
      [{ limit: 0 }, "limit", "too_small", "must be at least 1"],
      [{ limit: 101 }, "limit", "too_big", "must be at most 100"],
      [{ limit: "ten" }, "limit", "invalid_type", "must be a number"],
      [{ categroy: "plumber" }, "categroy", "unknown_field", "is not a parameter of this route"],
    ] as const)("refuses %j naming %s with %s", async (params, path, code, message) => {
      const response = await search(params);
      expect(response.status).toBe(400);
      expect(response.body.code).toBe("validation.failed");
      expect(response.body.errors).toContainEqual({ path, code, message, in: "query" });
    });
  });

  it("finds the covering contractors of a large table through the location index", async () => {
    const client = new pg.Client({ connectionString: app.database.url });
    await client.connect();
    try {
      await client.query("begin");
      // Rolled back below: 20 000 contractors spread over the inhabited latitudes of the whole world.
      await client.query(`
        insert into users (id, email, password_hash, name, role, status)
        select gen_random_uuid(), 'bulk-' || g || '@example.com', 'not a hash', 'Bulk ' || g, 'contractor', 'active'
          from generate_series(1, 20000) g`);
      await client.query(`
        insert into contractor_profiles
          (user_id, headline, bio, hourly_rate_amount, hourly_rate_currency, lat, lng, service_radius_km, search_document)
        select id, 'Bulk contractor', 'Bulk', 3000, 'gbp', -55 + random() * 125, -180 + random() * 360,
               5 + random() * 45, to_tsvector('simple', name)
          from users where email like 'bulk-%'`);
      await client.query("analyze users");
      await client.query("analyze contractor_profiles");
      // The app's casing: the statement joins Drizzle subqueries whose columns are named in camelCase.
      const db = drizzle(client, { casing: "snake_case" });
      // Nearest first (one round of it, as the first page runs), and the same place sorted by price.
      for (const sort of ["distance", "price"] as const) {
        const query = contractorSearchQuery.parse({ lat: String(origin.lat), lng: String(origin.lng), sort });
        const plan = searchPlan(query);
        const statement =
          sort === "distance"
            ? nearestFirstStatement(query, plan, firstNearestRound(query, plan))
            : contractorSearchStatement(query, plan);
        const { rows } = await db.execute<{ "QUERY PLAN": unknown }>(sql`explain (format json) ${statement}`);
        const indexes: string[] = [];
        const visit = (node: unknown) => {
          if (!node || typeof node !== "object") return;
          const plan = node as Record<string, unknown>;
          if (typeof plan["Index Name"] === "string") indexes.push(plan["Index Name"]);
          for (const value of Object.values(plan)) {
            if (Array.isArray(value)) value.forEach(visit);
            else if (value && typeof value === "object") visit(value);
          }
        };
        visit(rows[0]?.["QUERY PLAN"]);
        expect(indexes, JSON.stringify(rows[0]?.["QUERY PLAN"])).toContain("contractor_profiles_location");
      }
    } finally {
      await client.query("rollback").catch(() => {});
      await client.end();
    }
  });
});
