import { asc, eq, type SQL, sql } from "drizzle-orm";
import type { Executor } from "../../db/client.js";
import { userDirectory } from "../users/index.js";
import { contractorCategories, contractorProfiles } from "./contractors.tables.js";
import { EDGE_TOLERANCE_KM, greatCircleKmSql, publicCentre, publicCoordinateSql } from "./service-area.js";

/**
 * Read-only: what an active contractor covers, for modules matching work to them (open jobs). The centre is
 * the public, rounded one, as search and the public profile show it.
 */
export interface Coverage {
  contractorId: string;
  categorySlugs: string[];
  centre: { lat: number; lng: number };
  radiusKm: number;
}

/** The contractor's coverage, or undefined when they have no profile or their account is not active. */
export async function coverageOf(db: Executor, contractorId: string): Promise<Coverage | undefined> {
  const [profile] = await db
    .select({
      lat: contractorProfiles.lat,
      lng: contractorProfiles.lng,
      radiusKm: contractorProfiles.serviceRadiusKm,
    })
    .from(contractorProfiles)
    .innerJoin(userDirectory, eq(userDirectory.id, contractorProfiles.userId))
    .where(sql`${contractorProfiles.userId} = ${contractorId} and ${userDirectory.status} = 'active'`);
  if (!profile) return undefined;
  const categories = await db
    .select({ slug: contractorCategories.categorySlug })
    .from(contractorCategories)
    .where(eq(contractorCategories.userId, contractorId))
    .orderBy(asc(contractorCategories.categorySlug));
  return {
    contractorId,
    categorySlugs: categories.map((row) => row.slug),
    centre: publicCentre(profile),
    radiusKm: profile.radiusKm,
  };
}

/**
 * Great-circle distance in km from the coverage's public centre to a point given as float8 SQL expressions,
 * the point rounded as public centres are: distances shown to a contractor then say no more than the cell a
 * customer's place lies in.
 */
export function distanceFromCentreSql(coverage: Coverage, lat: SQL, lng: SQL): SQL {
  const pointLat = publicCoordinateSql(lat);
  const pointLng = publicCoordinateSql(lng);
  const { lat: centreLat, lng: centreLng } = coverage.centre;
  return greatCircleKmSql(
    { lat: pointLat, lng: pointLng },
    { lat: sql`${centreLat}::float8`, lng: sql`${centreLng}::float8` },
  );
}

/** True in SQL when the point lies inside the coverage's area (edge included). */
export function coversSql(coverage: Coverage, lat: SQL, lng: SQL): SQL {
  return sql`(${distanceFromCentreSql(coverage, lat, lng)} <= ${coverage.radiusKm}::float8 + ${EDGE_TOLERANCE_KM}::float8)`;
}

/** A point rounded as public centres are, for showing a customer's place to contractors. */
export const roundedPoint = publicCentre;
