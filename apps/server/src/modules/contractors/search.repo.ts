import { inArray, type SQL, sql } from "drizzle-orm";
import type { Executor } from "../../db/client.js";
import { userDirectory } from "../users/index.js";
import { contractorCategories } from "./contractors.tables.js";
import type { ContractorSearchQuery, SearchSort } from "./search.contract.js";
import { PUBLIC_CENTRE_STEP_DEGREES, publicCoordinateSql } from "./service-area.js";

export const EARTH_RADIUS_KM = 6371;
const KM_PER_DEGREE = (EARTH_RADIUS_KM * Math.PI) / 180;
/** The largest service radius a profile may have (its CHECK constraint): nobody farther can cover a point. */
export const MAX_SERVICE_RADIUS_KM = 500;
/**
 * A point exactly on the edge of a circle is inside it. The haversine is computed in floating point, so
 * "exactly" is allowed a millimetre: otherwise the last bit of a rounding error would decide the edge.
 */
const EDGE_TOLERANCE_KM = 1e-6;
/** The bounding box is only a prefilter: a little wider than needed, so rounding can never drop a match. */
const BOX_MARGIN_KM = 1;

interface BoundingBox {
  minLat: number;
  maxLat: number;
  /** Absent when the circle contains a pole or crosses ±180°: then every longitude may match. */
  lng?: { min: number; max: number };
}

const degrees = (radians: number) => (radians * 180) / Math.PI;

/** The (lat, lng) box holding every point within `km` of the centre, for the location index. */
export function boundingBox(lat: number, lng: number, km: number): BoundingBox {
  const angle = (km + BOX_MARGIN_KM) / EARTH_RADIUS_KM;
  const minLat = lat - degrees(angle);
  const maxLat = lat + degrees(angle);
  if (minLat <= -90 || maxLat >= 90) return { minLat: Math.max(minLat, -90), maxLat: Math.min(maxLat, 90) };
  // The widest longitude span of a spherical cap is where the meridians touch it, not at its top or bottom.
  const halfWidth = degrees(Math.asin(Math.sin(angle) / Math.cos((lat * Math.PI) / 180)));
  if (lng - halfWidth < -180 || lng + halfWidth > 180) return { minLat, maxLat };
  return { minLat, maxLat, lng: { min: lng - halfWidth, max: lng + halfWidth } };
}

export interface SearchPlan {
  sort: SearchSort;
  limit: number;
  after?: (string | number)[] | undefined;
}

/** The public (rounded) centre of each service area: search never reads the stored one. */
const centreLat = publicCoordinateSql(sql`cp.lat`);
const centreLng = publicCoordinateSql(sql`cp.lng`);
/** The rounded centre lies within half a step of the stored one, which is what the location index holds. */
const HALF_STEP = PUBLIC_CENTRE_STEP_DEGREES / 2;

function haversineKm(lat: number, lng: number): SQL {
  return sql`(2 * ${EARTH_RADIUS_KM}::float8 * asin(least(1::float8, sqrt(
    power(sin(radians(${centreLat} - ${lat}::float8) / 2), 2)
    + cos(radians(${lat}::float8)) * cos(radians(${centreLat})) * power(sin(radians(${centreLng} - ${lng}::float8) / 2), 2)
  ))))`;
}

/**
 * Available at an instant: its wall-clock date and time in the contractor's zone fall inside that date's
 * exceptions if it has any, else inside the weekly hours of its weekday (the rule of `isAvailableAt`).
 * Seconds are compared, not whole minutes, so 08:59:30 is not yet inside 09:00–17:00.
 */
function availableAt(local: SQL): SQL {
  const day = sql`(${local})::date`;
  const second = sql`extract(epoch from (${local})::time)`;
  return sql`case
    when exists (select 1 from availability_exceptions e where e.user_id = cp.user_id and e.date = ${day})
      then exists (
        select 1 from availability_exceptions e
         where e.user_id = cp.user_id and e.date = ${day} and e.available
           and e.start_minute * 60 <= ${second} and ${second} < e.end_minute * 60)
    else exists (
      select 1 from availability_weekly w
       where w.user_id = cp.user_id and w.day = extract(dow from ${local})::smallint
         and w.start_minute * 60 <= ${second} and ${second} < w.end_minute * 60)
  end`;
}

export interface TextTerm {
  /** A word or a quoted phrase, read by websearch_to_tsquery. */
  text: string;
  negated: boolean;
}

/**
 * Splits `q` in web-search syntax (words, "quoted phrases", -excluded, `or`) into groups that must all
 * match, each group matching when any of its terms does.
 */
export function parseSearchText(q: string): TextTerm[][] {
  const groups: TextTerm[][] = [];
  let joinNext = false;
  for (const match of q.matchAll(/(-*)"([^"]*)"?|(\S+)/g)) {
    const word = match[3];
    if (word?.toLowerCase() === "or") {
      joinNext = groups.length > 0;
      continue;
    }
    const term =
      word === undefined
        ? { text: `"${match[2] ?? ""}"`, negated: (match[1] ?? "") !== "" }
        : { text: word.replace(/^-+/, ""), negated: word.startsWith("-") };
    if (!/[\p{L}\p{N}]/u.test(term.text)) continue;
    const last = groups.at(-1);
    if (joinNext && last) last.push(term);
    else groups.push([term]);
    joinNext = false;
  }
  return groups;
}

/**
 * The document indexes the name unstemmed ('simple') and the headline and bio stemmed ('english'), so each
 * term is read both ways and either reading may match: "Sparks rewiring" finds the name Sparks (English
 * would stem it to spark) and the bio's "rewiring" (indexed as rewir) together. Reading the whole query
 * both ways instead would let "-sockets" through as the unstemmed "sockets", which a stemmed bio never
 * contains. A word English ignores (a stop word such as "the") is left out, as websearch_to_tsquery
 * would; when nothing else is left, the whole query is read unstemmed, so a name such as "Will" is found.
 */
function textQuery(q: string): SQL {
  const reading = (term: TextTerm) => {
    const english = sql`websearch_to_tsquery('english', ${term.text})`;
    const both = sql`(case when numnode(${english}) = 0 then ''::tsquery
      else ${english} || websearch_to_tsquery('simple', ${term.text}) end)`;
    return term.negated ? sql`(!! ${both})` : both;
  };
  const groups = parseSearchText(q).map((group) => sql`(${sql.join(group.map(reading), sql` || `)})`);
  if (groups.length === 0) return sql`websearch_to_tsquery('simple', ${q})`;
  const terms = sql.join(groups, sql` && `);
  return sql`(case when numnode(${terms}) = 0 then websearch_to_tsquery('simple', ${q}) else ${terms} end)`;
}

export interface SearchRow extends Record<string, unknown> {
  id: string;
  name: string;
  headline: string;
  amount: number;
  currency: string;
  rating_average: string;
  rating_count: number;
  verified: boolean;
  distance: number | null;
}

/**
 * The statement that finds one page (plus one row, to tell whether more exist). Exported so its plan can
 * be examined against a large table.
 */
export function contractorSearchStatement(query: ContractorSearchQuery, plan: SearchPlan): SQL {
  const geo =
    query.lat !== undefined && query.lng !== undefined ? { lat: query.lat, lng: query.lng } : undefined;
  const distance = geo ? haversineKm(geo.lat, geo.lng) : sql`null::float8`;
  const filters: SQL[] = [sql`${userDirectory.status} = 'active'`, sql`${userDirectory.role} = 'contractor'`];

  if (geo) {
    const reach = Math.min(MAX_SERVICE_RADIUS_KM, query.radiusKm ?? MAX_SERVICE_RADIUS_KM);
    const box = boundingBox(geo.lat, geo.lng, reach);
    // The box is on the stored columns (the index's), widened by the rounding the distances are taken from.
    filters.push(sql`cp.lat between ${box.minLat - HALF_STEP}::float8 and ${box.maxLat + HALF_STEP}::float8`);
    if (box.lng) {
      filters.push(
        sql`cp.lng between ${box.lng.min - HALF_STEP}::float8 and ${box.lng.max + HALF_STEP}::float8`,
      );
    }
    // Nobody is nearer than their difference in latitude: this cheap test spares most rows the haversine.
    filters.push(
      sql`abs(${centreLat} - ${geo.lat}::float8) * ${KM_PER_DEGREE}::float8 <= cp.service_radius_km + ${BOX_MARGIN_KM}::float8`,
    );
    filters.push(sql`${distance} <= cp.service_radius_km + ${EDGE_TOLERANCE_KM}::float8`);
    if (query.radiusKm !== undefined) {
      filters.push(sql`${distance} <= ${query.radiusKm}::float8 + ${EDGE_TOLERANCE_KM}::float8`);
    }
  }
  if (query.category !== undefined) {
    filters.push(
      sql`exists (select 1 from contractor_categories cc where cc.user_id = cp.user_id and cc.category_slug = ${query.category})`,
    );
  }
  if (query.q !== undefined) filters.push(sql`cp.search_document @@ ${textQuery(query.q)}`);
  if (query.minRating !== undefined) filters.push(sql`cp.rating_average >= ${query.minRating}::numeric`);
  if (query.currency !== undefined) filters.push(sql`cp.hourly_rate_currency = ${query.currency}`);
  if (query.maxHourlyRate !== undefined) {
    filters.push(sql`cp.hourly_rate_amount <= ${query.maxHourlyRate}::bigint`);
  }
  if (query.verifiedOnly) filters.push(sql`cp.verified`);
  if (query.availableAt !== undefined) {
    // Parsed by JavaScript and passed on at millisecond precision, as `isAvailableAt` sees it.
    const instant = new Date(query.availableAt).toISOString();
    filters.push(sql`cp.timezone is not null`);
    filters.push(availableAt(sql`${instant}::timestamptz at time zone cp.timezone`));
  }

  let order: SQL;
  const after = plan.after;
  if (plan.sort === "distance") {
    order = sql`${distance}, cp.user_id`;
    if (after) filters.push(sql`(${distance}, cp.user_id) > (${after[0]}::float8, ${after[1]}::uuid)`);
  } else if (plan.sort === "rating") {
    order = sql`cp.rating_average desc nulls last, cp.rating_count desc nulls last, cp.user_id`;
    if (after) {
      // Descending keys are negated so one row comparison expresses the whole order; the plain bound on
      // rating_average lets the rating index start at the cursor.
      filters.push(sql`cp.rating_average <= ${after[0]}::numeric`);
      filters.push(
        sql`(-cp.rating_average, -cp.rating_count, cp.user_id) > (-${after[0]}::numeric, -${after[1]}::integer, ${after[2]}::uuid)`,
      );
    }
  } else {
    order = sql`cp.hourly_rate_amount, cp.user_id`;
    if (after)
      filters.push(sql`(cp.hourly_rate_amount, cp.user_id) > (${after[0]}::bigint, ${after[1]}::uuid)`);
  }

  return sql`
    select cp.user_id as id, ${userDirectory.name} as name, cp.headline,
           cp.hourly_rate_amount as amount, cp.hourly_rate_currency as currency,
           cp.rating_average, cp.rating_count, cp.verified, ${distance} as distance
      from contractor_profiles cp
      join ${userDirectory} on ${userDirectory.id} = cp.user_id
     where ${sql.join(
       filters.map((filter) => sql`(${filter})`),
       sql` and `,
     )}
     order by ${order}
     limit ${plan.limit + 1}`;
}

/** Categories and avatar key of the contractors of one page, by id. */
export async function pageDetails(db: Executor, ids: string[]) {
  if (ids.length === 0) return [];
  return db
    .select({
      id: userDirectory.id,
      avatarKey: userDirectory.avatarKey,
      categorySlugs: sql<string[]>`array(
        select ${contractorCategories.categorySlug} from ${contractorCategories}
         where ${contractorCategories.userId} = ${userDirectory.id}
         order by ${contractorCategories.categorySlug})`,
    })
    .from(userDirectory)
    .where(inArray(userDirectory.id, ids));
}
