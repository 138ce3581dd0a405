import { type SQL, sql } from "drizzle-orm";

/**
 * The public centre of a service area is the stored one rounded to this many degrees (about 1.1 km of
 * latitude). Everything anyone else sees of a contractor's location (the public profile, search's
 * coverage, `radiusKm`, `distanceKm` and the distance order) derives from the rounded centre only, so no
 * sequence of queries can learn more than the cell the base lies in.
 */
export const PUBLIC_CENTRE_STEP_DEGREES = 0.01;
const STEPS_PER_DEGREE = 1 / PUBLIC_CENTRE_STEP_DEGREES;

export const EARTH_RADIUS_KM = 6371;

/**
 * A point exactly on the edge of a circle is inside it. The haversine is computed in floating point, so
 * "exactly" is allowed a millimetre: otherwise the last bit of a rounding error would decide the edge.
 */
export const EDGE_TOLERANCE_KM = 1e-6;

/**
 * Great-circle distance in km between two points given as float8 SQL expressions (haversine). The one
 * formula search and job matching both use, so a contractor found covering a place also sees jobs there.
 */
export function greatCircleKmSql(from: { lat: SQL; lng: SQL }, to: { lat: SQL; lng: SQL }): SQL {
  return sql`(2 * ${sql.raw(String(EARTH_RADIUS_KM))}::float8 * asin(least(1::float8, sqrt(
    power(sin(radians(${from.lat} - ${to.lat}) / 2), 2)
    + cos(radians(${to.lat})) * cos(radians(${from.lat})) * power(sin(radians(${from.lng} - ${to.lng}) / 2), 2)
  ))))`;
}
/**
 * What a cap's box adds to its radius. The box is only a prefilter in front of the exact great-circle test:
 * a little wider than the cap, so the rounding of its trigonometry can never leave out a match.
 */
const CAP_BOX_MARGIN_KM = 0.01;

/**
 * floor(x·100 + 0.5) / 100, in the same IEEE double operations as `publicCentreSql`, so the profile and
 * search agree to the last bit (Math.round and PostgreSQL's round() break ties differently).
 */
function roundCoordinate(value: number): number {
  return Math.floor(value * STEPS_PER_DEGREE + 0.5) / STEPS_PER_DEGREE;
}

export function publicCentre(centre: { lat: number; lng: number }): { lat: number; lng: number } {
  return { lat: roundCoordinate(centre.lat), lng: roundCoordinate(centre.lng) };
}

/** `publicCentre` in SQL, for a float8 column or expression. */
export function publicCoordinateSql(column: SQL): SQL {
  return sql`(floor(${column} * ${sql.raw(String(STEPS_PER_DEGREE))}::float8 + 0.5::float8) / ${sql.raw(String(STEPS_PER_DEGREE))}::float8)`;
}

interface CapBounds {
  south: SQL;
  north: SQL;
  west: SQL;
  east: SQL;
}

/**
 * The latitudes and longitudes, in degrees, between which lie all points within `km` of the centre (a
 * spherical cap), in SQL. A cap around a pole spans every longitude; one crossing ±180° does too, rather
 * than splitting in two (rare, and only ever a prefilter in front of the exact great-circle test).
 */
function capBounds(lat: SQL, lng: SQL, km: SQL): CapBounds {
  const angle = sql`((${km} + ${sql.raw(String(CAP_BOX_MARGIN_KM))}::float8) / ${sql.raw(String(EARTH_RADIUS_KM))}::float8)`;
  const height = sql`degrees(${angle})`;
  // The widest longitude span of a cap is where the meridians touch it, not at its top or bottom.
  const halfWidth = sql`degrees(asin(least(1::float8, sin(${angle}) / cos(radians(${lat})))))`;
  const everyLongitude = sql`(abs(${lat}) + ${height} >= 90::float8 or abs(${lng}) + ${halfWidth} > 180::float8)`;
  return {
    south: sql`greatest(${lat} - ${height}, -90::float8)`,
    north: sql`least(${lat} + ${height}, 90::float8)`,
    west: sql`(case when ${everyLongitude} then -180::float8 else ${lng} - ${halfWidth} end)`,
    east: sql`(case when ${everyLongitude} then 180::float8 else ${lng} + ${halfWidth} end)`,
  };
}

/** The (lng, lat) box of a cap, for the location index's first column (the public centre). */
export function capBoxSql(lat: SQL, lng: SQL, km: SQL): SQL {
  const { south, north, west, east } = capBounds(lat, lng, km);
  return sql`box(point(${west}, ${south}), point(${east}, ${north}))`;
}

/**
 * Service areas are also kept as two integer ranges of millionths of a degree, rounded outwards: PostgreSQL
 * keeps histograms of ranges, not of boxes, so the planner knows how many areas contain a point and can
 * tell the few from the many (a box's containment is always guessed at 0.1 %).
 */
const MICRODEGREES = 1_000_000;

export function microdegreesSql(degrees: SQL): SQL {
  return sql`floor(${degrees} * ${sql.raw(String(MICRODEGREES))}::float8)::int4`;
}

function microdegreeRange(from: SQL, to: SQL): SQL {
  const scale = sql.raw(String(MICRODEGREES));
  return sql`int4range(floor(${from} * ${scale}::float8)::int4, ceil(${to} * ${scale}::float8)::int4, '[]')`;
}

/** The latitudes (north–south) and longitudes (west–east) a cap spans, as ranges of microdegrees. */
export function capRangesSql(lat: SQL, lng: SQL, km: SQL): { latitudes: SQL; longitudes: SQL } {
  const { south, north, west, east } = capBounds(lat, lng, km);
  return { latitudes: microdegreeRange(south, north), longitudes: microdegreeRange(west, east) };
}
