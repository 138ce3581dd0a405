import { type SQL, sql } from "drizzle-orm";

/**
 * The public centre of a service area is the stored one rounded to this many degrees (about 1.1 km of
 * latitude). Everything anyone else sees of a contractor's location (the public profile, search's
 * coverage, `radiusKm`, `distanceKm` and the distance order) derives from the rounded centre only, so no
 * sequence of queries can learn more than the cell the base lies in.
 */
export const PUBLIC_CENTRE_STEP_DEGREES = 0.01;
const STEPS_PER_DEGREE = 1 / PUBLIC_CENTRE_STEP_DEGREES;

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
  return sql`(floor(${column} * ${STEPS_PER_DEGREE}::float8 + 0.5::float8) / ${STEPS_PER_DEGREE}::float8)`;
}
