import { eq, inArray, type SQL, sql } from "drizzle-orm";
import { z } from "zod";
import type { Clock } from "../../clock.js";
import type { Database, Executor } from "../../db/client.js";
import type { ApiRouter } from "../../http/api.js";
import { AppError, coreErrors } from "../../http/errors.js";
import { moneySchema } from "../../http/money.js";
import {
  decodeCursor,
  invalidCursor,
  type Page,
  pageQuery,
  pageSchema,
  toPage,
} from "../../http/pagination.js";
import { unknownCategories } from "../catalog/index.js";
import { files } from "../files/index.js";
import { type PublicUrl, users } from "../users/index.js";
import { ratingSchema } from "./contractors.contract.js";
import { contractorErrors } from "./contractors.errors.js";
import { contractorCategories } from "./contractors.tables.js";
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

export const searchSorts = ["distance", "rating", "price"] as const;
export type SearchSort = (typeof searchSorts)[number];

const decimalPattern = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * Query strings are text. z.coerce would read a blank `lat=` as 0 (a real place) and accept `0x1f`; only a
 * decimal number is coerced here, anything else fails as "must be a number". The documented type stays
 * the number, with its bounds.
 */
function queryNumber(schema: z.ZodNumber) {
  return z.preprocess(
    (value) => (typeof value === "string" && decimalPattern.test(value.trim()) ? Number(value) : value),
    schema,
  );
}

const number = () =>
  z.number({ error: (issue) => (issue.code === "invalid_type" ? "must be a number" : undefined) });

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export const contractorSearchQuery = pageQuery
  .extend({
    category: z
      .string()
      .trim()
      .toLowerCase()
      .min(1, "is required when given")
      .max(50)
      .optional()
      .meta({ description: "Category slug (see GET /categories)" }),
    lat: queryNumber(number().min(-90, "must be at least -90").max(90, "must be at most 90"))
      .optional()
      .meta({ description: "Latitude of the place the work is needed; give lng with it" }),
    lng: queryNumber(number().min(-180, "must be at least -180").max(180, "must be at most 180"))
      .optional()
      .meta({ description: "Longitude of the place the work is needed; give lat with it" }),
    radiusKm: queryNumber(number().gt(0, "must be more than 0").max(500, "must be at most 500"))
      .optional()
      .meta({ description: "Only contractors based within this many km of lat/lng" }),
    q: z.string().trim().min(1, "must not be blank").max(100, "at most 100 characters").optional().meta({
      description: 'Words in the name, headline or bio; web-search syntax ("quoted phrase", -word, or)',
    }),
    minRating: queryNumber(number().min(0, "must be at least 0").max(5, "must be at most 5")).optional(),
    maxHourlyRate: queryNumber(
      number()
        .int("must be a whole number of minor units (cents)")
        .min(0, "must be at least 0")
        .max(100_000_000, "must be at most 100000000"),
    )
      .optional()
      .meta({
        description:
          "In minor units. With `currency`, compared within that currency; without it, against each contractor's own amount (a marketplace in one currency needs no more)",
      }),
    currency: moneySchema.shape.currency
      .optional()
      .meta({ description: "Only contractors charging in this currency (ISO 4217, e.g. gbp)" }),
    availableAt: z.iso
      .datetime({
        offset: true,
        message: "must be an ISO 8601 date-time with an offset, e.g. 2026-03-29T09:30:00Z",
      })
      .refine((value) => !Number.isNaN(Date.parse(value)), "must be an ISO 8601 date-time with an offset")
      .optional()
      .meta({ description: "Only contractors whose hours, in their own time zone, include this instant" }),
    verifiedOnly: z
      .enum(["true", "false"], "must be true or false")
      .transform((value) => value === "true")
      .optional(),
    sort: z
      .enum(searchSorts, "must be distance, rating or price")
      .optional()
      .meta({ description: "Default: distance when lat/lng are given, else rating" }),
  })
  .superRefine((query, ctx) => {
    const needs = (present: unknown, missing: unknown, path: string, message: string) => {
      if (present !== undefined && missing === undefined)
        ctx.addIssue({ code: "custom", path: [path], message });
    };
    needs(query.lat, query.lng, "lng", "is required with lat");
    needs(query.lng, query.lat, "lat", "is required with lng");
    if (query.lat === undefined && query.lng === undefined) {
      needs(query.radiusKm, undefined, "radiusKm", "needs lat and lng");
      if (query.sort === "distance") {
        ctx.addIssue({ code: "custom", path: ["sort"], message: "distance needs lat and lng" });
      }
    }
  });

export type ContractorSearchQuery = z.output<typeof contractorSearchQuery>;

export const contractorSearchResultSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    headline: z.string(),
    categorySlugs: z.array(z.string()),
    hourlyRate: moneySchema,
    rating: ratingSchema,
    distanceKm: z.number().nullable().meta({
      description:
        "Great-circle km from lat/lng to the centre of the contractor's service area as the public profile shows it (rounded to 0.01°, about 1 km), to 0.1; null without lat/lng",
    }),
    verified: z.boolean(),
    avatarUrl: z.string().nullable(),
  })
  .meta({ id: "ContractorSearchResult" });

export type ContractorSearchResult = z.infer<typeof contractorSearchResultSchema>;

export const contractorSearchPageSchema = pageSchema(contractorSearchResultSchema).meta({
  id: "ContractorSearchPage",
});

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

/** Parts of a cursor: the sort's name, its key values, the id. */
const cursorArity: Record<SearchSort, number> = { distance: 3, rating: 4, price: 3 };

/** The sort key a cursor resumes after, checked part by part: it is sent back verbatim into SQL. */
function readCursor(cursor: string, sort: SearchSort): (string | number)[] {
  const [issuedFor, ...key] = decodeCursor(cursor, cursorArity[sort]);
  if (issuedFor !== sort) {
    throw invalidCursor(`The cursor belongs to a list sorted by ${String(issuedFor)}, not by ${sort}`);
  }
  const id = key.at(-1);
  const values = key.slice(0, -1);
  const number = (value: unknown) => typeof value === "number" && Number.isFinite(value);
  const integer = (value: unknown) => typeof value === "number" && Number.isSafeInteger(value);
  const valid =
    typeof id === "string" &&
    uuidPattern.test(id) &&
    (sort === "distance"
      ? number(values[0])
      : sort === "rating"
        ? number(values[0]) && integer(values[1])
        : integer(values[0]));
  if (!valid) throw invalidCursor("The cursor was not issued by this list");
  return key;
}

/** The order of the answer and where in it this page starts (a 400 for a cursor of another order). */
export function searchPlan(query: ContractorSearchQuery): SearchPlan {
  const sort = query.sort ?? (query.lat !== undefined && query.lng !== undefined ? "distance" : "rating");
  const after = query.cursor !== undefined ? readCursor(query.cursor, sort) : undefined;
  return { sort, limit: query.limit, after };
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

interface SearchRow extends Record<string, unknown> {
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
  const filters: SQL[] = [sql`u.status = 'active'`, sql`u.role = 'contractor'`];

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
    select cp.user_id as id, u.name, cp.headline,
           cp.hourly_rate_amount as amount, cp.hourly_rate_currency as currency,
           cp.rating_average, cp.rating_count, cp.verified, ${distance} as distance
      from contractor_profiles cp
      join users u on u.id = cp.user_id
     where ${sql.join(
       filters.map((filter) => sql`(${filter})`),
       sql` and `,
     )}
     order by ${order}
     limit ${plan.limit + 1}`;
}

function sortKey(row: SearchRow, sort: SearchSort): (string | number)[] {
  if (sort === "distance") return [sort, row.distance ?? 0, row.id];
  if (sort === "rating") return [sort, Number(row.rating_average), row.rating_count, row.id];
  return [sort, row.amount, row.id];
}

/** Active contractors with a profile that match every filter, one page at a time in a stable order. */
export async function searchContractors(
  db: Executor,
  query: ContractorSearchQuery,
  publicUrl: PublicUrl,
): Promise<Page<ContractorSearchResult>> {
  const plan = searchPlan(query);
  const { rows } = await db.execute<SearchRow>(contractorSearchStatement(query, plan));

  // A slug that matched someone exists; only an empty answer has to tell "no such category" apart.
  if (rows.length === 0 && query.category !== undefined) {
    const unknown = await unknownCategories(db, [query.category]);
    if (unknown.length > 0) {
      throw new AppError(
        contractorErrors.unknownCategory,
        `Unknown category ${query.category}; see GET /categories`,
        {
          errors: [{ path: "category", message: `no category "${query.category}"`, in: "query" }],
        },
      );
    }
  }

  const pageIds = rows.slice(0, query.limit).map((row) => row.id);
  const details =
    pageIds.length === 0
      ? []
      : await db
          .select({
            id: users.id,
            avatarKey: files.storageKey,
            categorySlugs: sql<string[]>`array(
              select ${contractorCategories.categorySlug} from ${contractorCategories}
               where ${contractorCategories.userId} = ${users.id}
               order by ${contractorCategories.categorySlug})`,
          })
          .from(users)
          .leftJoin(files, eq(files.id, users.avatarFileId))
          .where(inArray(users.id, pageIds));
  const detailsById = new Map(details.map((detail) => [detail.id, detail]));

  return toPage(
    rows,
    query.limit,
    (row) => sortKey(row, plan.sort),
    (row) => {
      const detail = detailsById.get(row.id);
      return {
        id: row.id,
        name: row.name,
        headline: row.headline,
        categorySlugs: detail?.categorySlugs ?? [],
        hourlyRate: { amount: row.amount, currency: row.currency },
        rating: { average: Number(row.rating_average), count: row.rating_count },
        distanceKm: row.distance === null ? null : Math.round(row.distance * 10) / 10,
        verified: row.verified,
        avatarUrl: detail?.avatarKey ? publicUrl(detail.avatarKey) : null,
      };
    },
  );
}

export function contractorSearchRoutes(deps: { db: Database; clock: Clock; publicUrl: PublicUrl }) {
  return (api: ApiRouter) => {
    api.route({
      method: "get",
      path: "/contractors",
      tags: ["Contractors"],
      summary: "Search contractors by category, place, words, rating, price, verification and availability",
      description: [
        "Lists active contractors with a profile. With `lat`/`lng`, only contractors whose service area covers",
        "that point are listed, each with its great-circle `distanceKm`; `radiusKm` further limits them to those",
        "based within that distance. Coverage, `radiusKm`, `distanceKm` and the distance order are all measured",
        "from the service area's public centre (rounded to 0.01°, about 1 km, as on the public profile), never",
        "from the contractor's exact base. `maxHourlyRate` is compared within `currency` when it is given.",
        "`availableAt` keeps contractors whose hours in their own time zone include that instant (a dated",
        "exception replaces the weekly hours of its date). Every order ends with the id, so paging with",
        "`cursor` lists each match exactly once; a cursor only continues the sort it was issued for.",
      ].join(" "),
      access: "public",
      query: contractorSearchQuery,
      response: { status: 200, description: "A page of contractors", schema: contractorSearchPageSchema },
      errors: [contractorErrors.unknownCategory, coreErrors.invalidCursor],
      handler: ({ query }) => searchContractors(deps.db, query, deps.publicUrl),
    });
  };
}
