import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createContractor, sampleProfile } from "../../../test/fixtures.js";
import { startTestServer, type TestServer } from "../../../test/server.js";

/**
 * Search must never tell more about where a contractor is based than the public profile does (the centre
 * rounded to 0.01°). These tests run the attacks that used to pin a base within millimetres.
 */
const EARTH_RADIUS_KM = 6371;
const KM_PER_DEGREE = (EARTH_RADIUS_KM * Math.PI) / 180;
const radians = (degrees: number) => (degrees * Math.PI) / 180;

function haversineKm(a: { lat: number; lng: number }, b: { lat: number; lng: number }): number {
  const h =
    Math.sin(radians(b.lat - a.lat) / 2) ** 2 +
    Math.cos(radians(a.lat)) * Math.cos(radians(b.lat)) * Math.sin(radians(b.lng - a.lng) / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** Where Vera really works from, and another point of the same 0.01° cell, about 1.2 km away. */
const veraBase = { lat: 51.50437, lng: -0.13462 };
const tomBase = { lat: 51.49563, lng: -0.12541 };
/** What the public profile shows for both: each coordinate rounded to 0.01°. */
const cellCentre = { lat: 51.5, lng: -0.13 };
const serviceRadiusKm = 30;
/** Points the attacker measures from, a few km around the cell. */
const vantagePoints = [
  { lat: 51.52, lng: -0.1 },
  { lat: 51.47, lng: -0.11 },
  { lat: 51.51, lng: -0.18 },
];

describe("search does not reveal a contractor's exact base", () => {
  let app: TestServer;
  const ids = new Map<string, string>();

  beforeAll(async () => {
    app = await startTestServer();
    for (const [name, base] of [
      ["Vera Quarry", veraBase],
      ["Tom Quarry", tomBase],
    ] as const) {
      const account = await createContractor(app, name, {
        ...sampleProfile,
        serviceArea: { ...base, radiusKm: serviceRadiusKm },
      });
      ids.set(name, account.id);
    }
  });
  afterAll(async () => {
    await app.close();
  });

  const idOf = (name: string) => {
    const id = ids.get(name);
    if (!id) throw new Error(`no contractor ${name}`);
    return id;
  };

  /** What an anonymous caller sees of one contractor (found by a word of the name): listed, and how far. */
  const probe = async (name: string, params: Record<string, number>) => {
    const query = new URLSearchParams({ q: name.split(" ")[0] ?? name, limit: "100" });
    for (const [key, value] of Object.entries(params)) query.set(key, String(value));
    const response = await app.request("GET", `/api/v1/contractors?${query}`);
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    const item = response.body.items.find((entry: { id: string }) => entry.id === idOf(name));
    return item ? { listed: true, distanceKm: item.distanceKm as number } : { listed: false };
  };

  /** Binary search of the smallest `radiusKm` that still lists the contractor: their distance from `point`. */
  const bisectRadius = async (name: string, point: { lat: number; lng: number }) => {
    let inside = serviceRadiusKm;
    let outside = 0;
    for (let step = 0; step < 40; step++) {
      const middle = (inside + outside) / 2;
      if ((await probe(name, { ...point, radiusKm: middle })).listed) inside = middle;
      else outside = middle;
    }
    return inside;
  };

  /** Binary search, along a meridian, of the latitude where the service area stops covering the point. */
  const bisectEdge = async (name: string, lng: number, from: number, to: number) => {
    let covered = from;
    let beyond = to;
    for (let step = 0; step < 40; step++) {
      const middle = (covered + beyond) / 2;
      if ((await probe(name, { lat: middle, lng })).listed) covered = middle;
      else beyond = middle;
    }
    return covered;
  };

  it("shows the public profile's rounded centre", async () => {
    const profile = await app.request("GET", `/api/v1/contractors/${idOf("Vera Quarry")}`);
    expect(profile.status).toBe(200);
    expect(profile.body.serviceArea).toEqual({ ...cellCentre, radiusKm: serviceRadiusKm });
  });

  it("lets a radiusKm bisection from three points recover only the rounded centre", {
    timeout: 90_000,
  }, async () => {
    const measured: number[] = [];
    for (const point of vantagePoints) measured.push(await bisectRadius("Vera Quarry", point));

    // Each measured distance is the distance to the public centre, to the metre, and not to the real base.
    for (const [index, point] of vantagePoints.entries()) {
      expect(Math.abs((measured[index] ?? 0) - haversineKm(point, cellCentre))).toBeLessThan(0.001);
    }
    const misses = vantagePoints.map((point, index) =>
      Math.abs((measured[index] ?? 0) - haversineKm(point, veraBase)),
    );
    expect(Math.max(...misses)).toBeGreaterThan(0.2);

    // Trilateration on a local plane (a few km: metres of distortion) lands on the cell centre.
    const [p0, p1, p2] = vantagePoints.map((point) => ({
      x: (point.lng - cellCentre.lng) * Math.cos(radians(cellCentre.lat)) * KM_PER_DEGREE,
      y: (point.lat - cellCentre.lat) * KM_PER_DEGREE,
    })) as [{ x: number; y: number }, { x: number; y: number }, { x: number; y: number }];
    const [d0, d1, d2] = measured as [number, number, number];
    const a1 = 2 * (p1.x - p0.x);
    const b1 = 2 * (p1.y - p0.y);
    const c1 = d0 ** 2 - d1 ** 2 - p0.x ** 2 + p1.x ** 2 - p0.y ** 2 + p1.y ** 2;
    const a2 = 2 * (p2.x - p0.x);
    const b2 = 2 * (p2.y - p0.y);
    const c2 = d0 ** 2 - d2 ** 2 - p0.x ** 2 + p2.x ** 2 - p0.y ** 2 + p2.y ** 2;
    const determinant = a1 * b2 - a2 * b1;
    const estimate = {
      lat: cellCentre.lat + (a1 * c2 - a2 * c1) / determinant / KM_PER_DEGREE,
      lng:
        cellCentre.lng +
        (c1 * b2 - c2 * b1) / determinant / KM_PER_DEGREE / Math.cos(radians(cellCentre.lat)),
    };
    expect(haversineKm(estimate, cellCentre)).toBeLessThan(0.03);
    expect(haversineKm(estimate, veraBase)).toBeGreaterThan(0.5);
  });

  it("puts the edges of the searchable service area around the rounded centre", {
    timeout: 90_000,
  }, async () => {
    const reach = (serviceRadiusKm + 5) / KM_PER_DEGREE;
    const north = await bisectEdge("Vera Quarry", cellCentre.lng, cellCentre.lat, cellCentre.lat + reach);
    const south = await bisectEdge("Vera Quarry", cellCentre.lng, cellCentre.lat, cellCentre.lat - reach);
    expect(Math.abs((north + south) / 2 - cellCentre.lat) * KM_PER_DEGREE).toBeLessThan(0.001);
    expect(Math.abs((north + south) / 2 - veraBase.lat) * KM_PER_DEGREE).toBeGreaterThan(0.4);
    expect(Math.abs((north - south) / 2) * KM_PER_DEGREE).toBeCloseTo(serviceRadiusKm, 3);
  });

  it("answers every probe alike for two contractors based 1.2 km apart in the same cell", {
    timeout: 120_000,
  }, async () => {
    expect(haversineKm(veraBase, tomBase)).toBeGreaterThan(1.1);
    for (const point of vantagePoints) {
      expect(await bisectRadius("Tom Quarry", point)).toBe(await bisectRadius("Vera Quarry", point));
    }
    const reach = (serviceRadiusKm + 5) / KM_PER_DEGREE;
    for (const lng of [cellCentre.lng, veraBase.lng, tomBase.lng]) {
      expect(await bisectEdge("Tom Quarry", lng, cellCentre.lat, cellCentre.lat + reach)).toBe(
        await bisectEdge("Vera Quarry", lng, cellCentre.lat, cellCentre.lat + reach),
      );
    }
    // Shown distances, from points all around the cell and right on top of each real base.
    for (const point of [...vantagePoints, veraBase, tomBase, cellCentre]) {
      const vera = await probe("Vera Quarry", point);
      expect(vera).toEqual({
        listed: true,
        distanceKm: Math.round(haversineKm(point, cellCentre) * 10) / 10,
      });
      expect(await probe("Tom Quarry", point)).toEqual(vera);
    }
  });

  it("orders contractors of one cell by id at every distance, never by their real bases", async () => {
    const ordered = [idOf("Vera Quarry"), idOf("Tom Quarry")].sort();
    for (const point of [veraBase, tomBase]) {
      const query = new URLSearchParams({ q: "Quarry", lat: String(point.lat), lng: String(point.lng) });
      const response = await app.request("GET", `/api/v1/contractors?${query}`);
      expect(response.body.items.map((item: { id: string }) => item.id)).toEqual(ordered);
    }
  });
});
