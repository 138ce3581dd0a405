import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { register } from "../../../test/accounts.js";
import { pngImage, uploadedFileId } from "../../../test/fixtures.js";
import { startTestServer, type TestServer } from "../../../test/server.js";

const profile = {
  headline: "Licensed electrician, 24h call-outs",
  bio: "Rewiring, fuse boards and EV chargers across north London.",
  categorySlugs: ["electrician", "handyman"],
  hourlyRate: { amount: 4500, currency: "GBP" },
  serviceArea: { lat: 51.55, lng: -0.1, radiusKm: 15 },
  yearsExperience: 12,
};

describe("catalog and contractor profiles", () => {
  let app: TestServer;

  beforeAll(async () => {
    app = await startTestServer();
  });
  afterAll(async () => {
    await app.close();
  });

  it("lists the seeded service categories to anyone", async () => {
    const response = await app.request("GET", "/api/v1/categories");
    expect(response.status).toBe(200);
    const slugs = response.body.items.map((item: { slug: string }) => item.slug);
    for (const slug of [
      "electrician",
      "plumber",
      "cleaner",
      "carpenter",
      "painter",
      "handyman",
      "hvac",
      "locksmith",
      "gardener",
      "mover",
      "appliance-repair",
      "pest-control",
    ]) {
      expect(slugs).toContain(slug);
    }
    expect(response.body.items[0]).toEqual({
      slug: "electrician",
      name: "Electrician",
      description: expect.any(String),
    });
  });

  it("creates, reads and replaces a contractor profile", async () => {
    const contractor = await register(app, "contractor", { name: "Priya Sparks" });
    const missing = await app.request("GET", "/api/v1/contractors/me/profile", {
      token: contractor.accessToken,
    });
    expect(missing.status).toBe(409);
    expect(missing.body.code).toBe("contractor.profile_missing");

    const created = await app.request("PUT", "/api/v1/contractors/me/profile", {
      token: contractor.accessToken,
      body: profile,
    });
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({
      id: contractor.id,
      name: "Priya Sparks",
      headline: profile.headline,
      categorySlugs: ["electrician", "handyman"],
      hourlyRate: { amount: 4500, currency: "gbp" },
      serviceArea: profile.serviceArea,
      yearsExperience: 12,
      verified: false,
      verificationStatus: "unverified",
      rating: { average: 0, count: 0 },
      availability: null,
    });

    const replaced = await app.request("PUT", "/api/v1/contractors/me/profile", {
      token: contractor.accessToken,
      body: { ...profile, categorySlugs: ["plumber"], yearsExperience: undefined },
    });
    expect(replaced.body.categorySlugs).toEqual(["plumber"]);
    expect(replaced.body.yearsExperience).toBeNull();
    const read = await app.request("GET", "/api/v1/contractors/me/profile", {
      token: contractor.accessToken,
    });
    expect(read.body).toEqual(replaced.body);
  });

  it("validates the profile, naming each bad field", async () => {
    const contractor = await register(app, "contractor");
    const bad = await app.request("PUT", "/api/v1/contractors/me/profile", {
      token: contractor.accessToken,
      body: {
        ...profile,
        headline: "",
        categorySlugs: [],
        hourlyRate: { amount: 12.5, currency: "dollars" },
        serviceArea: { lat: 91, lng: 0, radiusKm: 0 },
        verified: true,
      },
    });
    expect(bad.status).toBe(400);
    const paths = bad.body.errors.map((error: { path: string }) => error.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        "headline",
        "categorySlugs",
        "hourlyRate.amount",
        "hourlyRate.currency",
        "serviceArea.lat",
        "serviceArea.radiusKm",
        "verified",
      ]),
    );
    const unknown = await app.request("PUT", "/api/v1/contractors/me/profile", {
      token: contractor.accessToken,
      body: { ...profile, categorySlugs: ["electrician", "astronaut"] },
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.code).toBe("catalog.unknown_category");
    expect(unknown.body.errors).toEqual([
      { path: "categorySlugs.1", code: "not_found", message: 'no category "astronaut"', in: "body" },
    ]);
  });

  it("refuses a retired category in a new or replaced profile, naming the entry", async () => {
    const setActive = async (slug: string, active: boolean) => {
      const client = new pg.Client({ connectionString: app.database.url });
      await client.connect();
      try {
        await client.query("update categories set active = $2 where slug = $1", [slug, active]);
      } finally {
        await client.end();
      }
    };
    const contractor = await register(app, "contractor");
    const saved = await app.request("PUT", "/api/v1/contractors/me/profile", {
      token: contractor.accessToken,
      body: { ...profile, categorySlugs: ["electrician", "pest-control"] },
    });
    expect(saved.status).toBe(200);
    await setActive("pest-control", false);
    try {
      const listed = await app.request("GET", "/api/v1/categories");
      expect(listed.body.items.map((item: { slug: string }) => item.slug)).not.toContain("pest-control");
      for (const [slugs, index] of [
        [["pest-control"], 0],
        [["electrician", "pest-control"], 1],
        [["handyman", "electrician", "Pest-Control"], 2],
      ] as const) {
        const refused = await app.request("PUT", "/api/v1/contractors/me/profile", {
          token: contractor.accessToken,
          body: { ...profile, categorySlugs: slugs },
        });
        expect(refused.status, JSON.stringify(slugs)).toBe(400);
        expect(refused.body.code).toBe("catalog.unknown_category");
        expect(refused.body.errors).toEqual([
          {
            path: `categorySlugs.${index}`,
            code: "not_found",
            message: 'no category "pest-control"',
            in: "body",
          },
        ]);
      }
      // A refused save changes nothing; dropping the retired category is allowed.
      const kept = await app.request("GET", "/api/v1/contractors/me/profile", {
        token: contractor.accessToken,
      });
      expect(kept.body.categorySlugs).toEqual(["electrician", "pest-control"]);
      const dropped = await app.request("PUT", "/api/v1/contractors/me/profile", {
        token: contractor.accessToken,
        body: { ...profile, categorySlugs: ["electrician"] },
      });
      expect(dropped.status).toBe(200);
      expect(dropped.body.categorySlugs).toEqual(["electrician"]);
    } finally {
      await setActive("pest-control", true);
    }
  });

  it("keeps profile routes to contractors", async () => {
    const customer = await register(app, "customer");
    const response = await app.request("PUT", "/api/v1/contractors/me/profile", {
      token: customer.accessToken,
      body: profile,
    });
    expect(response.status).toBe(403);
  });

  it("stores weekly hours and exceptions in the contractor's time zone", async () => {
    const contractor = await register(app, "contractor");
    const early = await app.request("PUT", "/api/v1/contractors/me/availability", {
      token: contractor.accessToken,
      body: { timezone: "Europe/London", weekly: [] },
    });
    expect(early.status).toBe(409);
    await app.request("PUT", "/api/v1/contractors/me/profile", {
      token: contractor.accessToken,
      body: profile,
    });
    const availability = {
      timezone: "Europe/London",
      weekly: [
        { day: 1, start: "09:00", end: "12:00" },
        { day: 1, start: "13:00", end: "17:30" },
        { day: 6, start: "10:00", end: "24:00" },
      ],
      exceptions: [
        { date: "2026-12-25", available: false },
        { date: "2026-12-27", available: true, start: "10:00", end: "14:00" },
      ],
    };
    const saved = await app.request("PUT", "/api/v1/contractors/me/availability", {
      token: contractor.accessToken,
      body: availability,
    });
    expect(saved.status).toBe(200);
    expect(saved.body).toEqual(availability);
    const mine = await app.request("GET", "/api/v1/contractors/me/profile", {
      token: contractor.accessToken,
    });
    expect(mine.body.availability).toEqual(availability);

    const overlapping = await app.request("PUT", "/api/v1/contractors/me/availability", {
      token: contractor.accessToken,
      body: {
        timezone: "Mars/Olympus",
        weekly: [
          { day: 1, start: "09:00", end: "12:00" },
          { day: 1, start: "11:00", end: "13:00" },
        ],
      },
    });
    expect(overlapping.status).toBe(400);
    const paths = overlapping.body.errors.map((error: { path: string }) => error.path);
    expect(paths).toEqual(expect.arrayContaining(["timezone", "weekly.1"]));
    const unchanged = await app.request("GET", "/api/v1/contractors/me/availability", {
      token: contractor.accessToken,
    });
    expect(unchanged.body).toEqual(availability);
  });

  it("refreshes the search document when a contractor renames themselves", async () => {
    const contractor = await register(app, "contractor", { name: "Zebedee Original" });
    await app.request("PUT", "/api/v1/contractors/me/profile", {
      token: contractor.accessToken,
      body: profile,
    });
    await app.request("PATCH", "/api/v1/me", {
      token: contractor.accessToken,
      body: { name: "Quentin Renamed" },
    });
    const client = new pg.Client({ connectionString: app.database.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ renamed: boolean; original: boolean }>(
        `select search_document @@ to_tsquery('simple', 'quentin') as renamed,
                search_document @@ to_tsquery('simple', 'zebedee') as original
           from contractor_profiles where user_id = $1`,
        [contractor.id],
      );
      expect(rows[0]).toEqual({ renamed: true, original: false });
    } finally {
      await client.end();
    }
  });

  it("shows a public profile with portfolio and availability, hiding contact details from strangers", async () => {
    const contractor = await register(app, "contractor", { name: "Olu Carpenter" });
    await app.request("PATCH", "/api/v1/me", {
      token: contractor.accessToken,
      body: { phone: "+447700900555" },
    });
    await app.request("PUT", "/api/v1/contractors/me/profile", {
      token: contractor.accessToken,
      body: { ...profile, serviceArea: { lat: 51.556789, lng: -0.104321, radiusKm: 20 } },
    });
    await app.request("PUT", "/api/v1/contractors/me/availability", {
      token: contractor.accessToken,
      body: {
        timezone: "UTC",
        weekly: [0, 1, 2, 3, 4, 5, 6].map((day) => ({ day, start: "00:00", end: "24:00" })),
      },
    });
    const imageId = await uploadedFileId(
      app,
      contractor.accessToken,
      "portfolio",
      await pngImage(80, 60, "#aa5522"),
      "deck.png",
    );
    const item = await app.request("POST", "/api/v1/contractors/me/portfolio", {
      token: contractor.accessToken,
      body: { title: "Garden deck", fileIds: [imageId] },
    });
    expect(item.status).toBe(201);

    const anonymous = await app.request("GET", `/api/v1/contractors/${contractor.id}`);
    expect(anonymous.status).toBe(200);
    expect(anonymous.body).toMatchObject({
      id: contractor.id,
      name: "Olu Carpenter",
      serviceArea: { lat: 51.56, lng: -0.1, radiusKm: 20 },
      verified: false,
      rating: { average: 0, count: 0 },
      contact: null,
      availability: { timezone: "UTC", availableNow: true },
    });
    expect(anonymous.body.portfolio).toEqual([expect.objectContaining({ title: "Garden deck" })]);
    expect((await fetch(anonymous.body.portfolio[0].images[0].url)).status).toBe(200);
    expect(JSON.stringify(anonymous.body)).not.toContain("+447700900555");

    const customer = await register(app, "customer");
    const stranger = await app.request("GET", `/api/v1/contractors/${contractor.id}`, {
      token: customer.accessToken,
    });
    expect(stranger.body.contact).toBeNull();
    const self = await app.request("GET", `/api/v1/contractors/${contractor.id}`, {
      token: contractor.accessToken,
    });
    expect(self.body.contact).toEqual({ email: contractor.email, phone: "+447700900555" });

    for (const id of [customer.id, "0192f0c0-0000-7000-8000-000000000000"]) {
      const missing = await app.request("GET", `/api/v1/contractors/${id}`);
      expect(missing.status).toBe(404);
      expect(missing.body.code).toBe("contractor.not_found");
    }
    const client = new pg.Client({ connectionString: app.database.url });
    await client.connect();
    await client.query("update users set status = 'suspended' where id = $1", [contractor.id]);
    await client.end();
    expect((await app.request("GET", `/api/v1/contractors/${contractor.id}`)).status).toBe(404);
  });

  it("keeps a customer's default address and location", async () => {
    const customer = await register(app, "customer");
    const empty = await app.request("GET", "/api/v1/customers/me/profile", { token: customer.accessToken });
    expect(empty.body).toEqual({ defaultAddress: null, location: null });
    const saved = await app.request("PUT", "/api/v1/customers/me/profile", {
      token: customer.accessToken,
      body: { defaultAddress: "12 Baker Street, London", location: { lat: 51.5237, lng: -0.1585 } },
    });
    expect(saved.body).toEqual({
      defaultAddress: "12 Baker Street, London",
      location: { lat: 51.5237, lng: -0.1585 },
    });
    const partial = await app.request("PUT", "/api/v1/customers/me/profile", {
      token: customer.accessToken,
      body: { location: null },
    });
    expect(partial.body).toEqual({ defaultAddress: "12 Baker Street, London", location: null });
    const invalid = await app.request("PUT", "/api/v1/customers/me/profile", {
      token: customer.accessToken,
      body: { location: { lat: 100, lng: 0 } },
    });
    expect(invalid.status).toBe(400);
    expect(invalid.body.errors[0].path).toBe("location.lat");
  });
});
