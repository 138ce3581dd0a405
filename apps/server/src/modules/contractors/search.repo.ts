import { inArray, type SQL, sql } from "drizzle-orm";
import type { Executor } from "../../db/client.js";
import { userDirectory } from "../users/index.js";
import { contractorCategories } from "./contractors.tables.js";
import type { ContractorSearchQuery, SearchSort } from "./search.contract.js";
import {
  capBoxSql,
  EARTH_RADIUS_KM,
  EDGE_TOLERANCE_KM,
  greatCircleKmSql,
  microdegreesSql,
} from "./service-area.js";

export { EARTH_RADIUS_KM };

export interface SearchPlan {
  sort: SearchSort;
  limit: number;
  after?: (string | number)[] | undefined;
}

/**
 * The public (rounded) centre of each service area, (lng, lat), as its generated column stores it: search
 * never reads the stored centre.
 */
const centreLat = sql`cp.public_centre[1]`;
const centreLng = sql`cp.public_centre[0]`;

function haversineKm(lat: number, lng: number): SQL {
  return greatCircleKmSql(
    { lat: centreLat, lng: centreLng },
    { lat: sql`${lat}::float8`, lng: sql`${lng}::float8` },
  );
}

/**
 * Available at an instant: its wall-clock date and time in the contractor's zone fall inside that date's
 * exceptions if it has any, else inside the weekly hours of its weekday (the rule of `isAvailableAt`).
 * Seconds are compared, not whole minutes, so 08:59:30 is not yet inside 09:00–17:00. `row` names the
 * relation whose `user_id` and `timezone` are asked about. `oneByOne` keeps each test a probe of that
 * contractor's rows (`offset 0` stops PostgreSQL from hashing everyone's hours first), for a caller that
 * asks about a few rows in order and stops.
 */
function availableAt(availableAt: string, row: SQL, oneByOne = false): SQL {
  // Parsed by JavaScript and passed on at millisecond precision, as `isAvailableAt` sees it.
  const instant = new Date(availableAt).toISOString();
  const local = sql`${instant}::timestamptz at time zone ${row}.timezone`;
  const day = sql`(${local})::date`;
  const second = sql`extract(epoch from (${local})::time)`;
  const probe = oneByOne ? sql` offset 0` : sql``;
  return sql`${row}.timezone is not null and case
    when exists (select 1 from availability_exceptions e where e.user_id = ${row}.user_id and e.date = ${day}${probe})
      then exists (
        select 1 from availability_exceptions e
         where e.user_id = ${row}.user_id and e.date = ${day} and e.available
           and e.start_minute * 60 <= ${second} and ${second} < e.end_minute * 60${probe})
    else exists (
      select 1 from availability_weekly w
       where w.user_id = ${row}.user_id and w.day = extract(dow from ${local})::smallint
         and w.start_minute * 60 <= ${second} and ${second} < w.end_minute * 60${probe})
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

const where = (filters: SQL[]) =>
  sql.join(
    filters.map((filter) => sql`(${filter})`),
    sql` and `,
  );

interface Conditions {
  geo?: { point: SQL; lat: number; lng: number; distance: SQL } | undefined;
  distance: SQL;
  /** Every filter but availability, with the cursor's. */
  filters: SQL[];
  /** Availability, the costly filter, for the relation named `row`; absent when not asked for. */
  available?: ((row: SQL, oneByOne?: boolean) => SQL) | undefined;
}

function conditionsOf(query: ContractorSearchQuery, plan: SearchPlan): Conditions {
  const geo =
    query.lat !== undefined && query.lng !== undefined
      ? {
          lat: query.lat,
          lng: query.lng,
          point: sql`point(${query.lng}::float8, ${query.lat}::float8)`,
          distance: haversineKm(query.lat, query.lng),
        }
      : undefined;
  const distance = geo ? geo.distance : sql`null::float8`;
  const filters: SQL[] = [sql`${userDirectory.status} = 'active'`, sql`${userDirectory.role} = 'contractor'`];

  if (geo) {
    // Only service areas whose ranges hold the point can cover it: the location index answers this part.
    filters.push(sql`cp.service_latitudes @> ${microdegreesSql(sql`${geo.lat}::float8`)}`);
    filters.push(sql`cp.service_longitudes @> ${microdegreesSql(sql`${geo.lng}::float8`)}`);
    filters.push(sql`${distance} <= cp.service_radius_km + ${EDGE_TOLERANCE_KM}::float8`);
    if (query.radiusKm !== undefined) {
      const near = capBoxSql(
        sql`${geo.lat}::float8`,
        sql`${geo.lng}::float8`,
        sql`${query.radiusKm}::float8`,
      );
      filters.push(sql`cp.public_centre <@ ${near}`);
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

  const after = plan.after;
  if (after) {
    if (plan.sort === "distance") {
      filters.push(sql`(${distance}, cp.user_id) > (${after[0]}::float8, ${after[1]}::uuid)`);
    } else if (plan.sort === "rating") {
      // Descending keys are negated so one row comparison expresses the whole order; the plain bound on
      // rating_average lets the rating index start at the cursor.
      filters.push(sql`cp.rating_average <= ${after[0]}::numeric`);
      filters.push(
        sql`(-cp.rating_average, -cp.rating_count, cp.user_id) > (-${after[0]}::numeric, -${after[1]}::integer, ${after[2]}::uuid)`,
      );
    } else {
      filters.push(sql`(cp.hourly_rate_amount, cp.user_id) > (${after[0]}::bigint, ${after[1]}::uuid)`);
    }
  }
  const instant = query.availableAt;
  return {
    geo,
    distance,
    filters,
    available: instant === undefined ? undefined : (row, oneByOne) => availableAt(instant, row, oneByOne),
  };
}

/** The columns of a result row, of a `contractor_profiles cp` joined with the user directory. */
const resultColumns = (distance: SQL) => sql`cp.user_id as id, ${userDirectory.name} as name, cp.headline,
           cp.hourly_rate_amount as amount, cp.hourly_rate_currency as currency,
           cp.rating_average, cp.rating_count, cp.verified, ${distance} as distance`;

/**
 * The statement that finds one page (plus one row, to tell whether more exist) in rating or price order.
 * Exported so its plan can be examined against a large table.
 */
export function contractorSearchStatement(query: ContractorSearchQuery, plan: SearchPlan): SQL {
  const { distance, filters, available } = conditionsOf(query, plan);
  if (available) filters.push(available(sql`cp`));
  if (plan.sort === "distance") throw new Error("the distance order is searched by nearestFirst");
  const order =
    plan.sort === "rating"
      ? sql`cp.rating_average desc nulls last, cp.rating_count desc nulls last, cp.user_id`
      : sql`cp.hourly_rate_amount, cp.user_id`;
  return sql`
    select ${resultColumns(distance)}
      from contractor_profiles cp
      join ${userDirectory} on ${userDirectory.id} = cp.user_id
     where ${where(filters)}
     order by ${order}
     limit ${plan.limit + 1}`;
}

/** One round of the nearest-first search: how many candidates it reaches for, past which distance. */
export interface NearestRound {
  /** How many of the nearest candidates (every filter but availability) fix the distance this round reaches. */
  reach: number;
  /** The distance the previous round reached: every match up to it was seen already. */
  beyond?: number | undefined;
  /** How many rows the page still needs. */
  need: number;
}

/** A row of a round: a result, or only the round's figures (`id` null) when it found nothing to show. */
type NearestRow = (SearchRow | { [column in keyof SearchRow]: null }) & {
  /** The candidates the round reached for (fewer than `reach`: there are no more), and how far they were. */
  found: number;
  bound: number | null;
};

/**
 * Candidates a round with availability reaches for, per row the page needs. The bound they fix holds about
 * twice as many (the plane's order is looser than the great-circle one), and about half of the contractors
 * are available at a given time of a working day, so the first round usually fills the page; reaching for
 * more makes every page read more rows, reaching for fewer makes a second round common.
 */
const AVAILABILITY_REACH = 2;

/**
 * One round of the nearest-first order, as one statement.
 *
 * The location index gives centres nearest first by their distance in the (lng, lat) plane (KNN), which is
 * not the great-circle order, so it only says how far to look: the first `reach` candidates in that order
 * are taken, and the farthest of them by great-circle distance is the round's bound. Every candidate within
 * the bound (however the plane ranks it) is then read through the index's box, ordered exactly by distance
 * and id, and availability is probed one row at a time in that order until the page has what it needs; a
 * candidate past the last row shown is never probed. Past the bound nothing is known yet: when the page is
 * not full and the round found `reach` candidates, the next round starts beyond the bound.
 */
export function nearestFirstStatement(
  query: ContractorSearchQuery,
  plan: SearchPlan,
  round: NearestRound,
): SQL {
  const { geo, distance, filters, available } = conditionsOf(query, plan);
  if (!geo) throw new Error("the distance order needs lat and lng");
  if (round.beyond !== undefined) filters.push(sql`${distance} > ${round.beyond}::float8`);
  const within = capBoxSql(sql`${geo.lat}::float8`, sql`${geo.lng}::float8`, sql`reach.bound`);
  return sql`
    with nearest as materialized (
      select ${distance} as distance
        from contractor_profiles cp
        join ${userDirectory} on ${userDirectory.id} = cp.user_id
       where ${where(filters)}
       order by cp.public_centre <-> ${geo.point}
       limit ${round.reach}
    ), reach as materialized (
      select count(*)::int as found, max(distance) as bound from nearest
    )
    select reach.found, reach.bound, page.*
      from reach
      left join lateral (
        select candidate.id, candidate.name, candidate.headline, candidate.amount, candidate.currency,
               candidate.rating_average, candidate.rating_count, candidate.verified, candidate.distance
          from (
            select ${resultColumns(distance)}, cp.user_id, cp.timezone
              from contractor_profiles cp
              join ${userDirectory} on ${userDirectory.id} = cp.user_id
             where ${where(filters)} and (cp.public_centre <@ ${within}) and (${distance} <= reach.bound)
             order by distance, cp.user_id
            offset 0
          ) candidate
         where ${available ? available(sql`candidate`, true) : sql`true`}
         order by candidate.distance, candidate.id
         limit ${round.need}
      ) page on true
     order by page.distance, page.id`;
}

/** The first round of a page in distance order. */
export function firstNearestRound(query: ContractorSearchQuery, plan: SearchPlan): NearestRound {
  const need = plan.limit + 1;
  // Without availability every candidate within the bound is shown, so `limit + 1` of them fill the page.
  return { reach: need * (query.availableAt === undefined ? 1 : AVAILABILITY_REACH), need };
}

/** The page (plus one row) in distance order: one round, or more while availability leaves it short. */
export async function nearestFirst(
  db: Executor,
  query: ContractorSearchQuery,
  plan: SearchPlan,
): Promise<SearchRow[]> {
  const rows: SearchRow[] = [];
  let { reach } = firstNearestRound(query, plan);
  let beyond: number | undefined;
  for (;;) {
    const need = plan.limit + 1 - rows.length;
    const round = await db.execute<NearestRow>(nearestFirstStatement(query, plan, { reach, beyond, need }));
    for (const row of round.rows) if (row.id !== null) rows.push(row);
    const figures = round.rows[0];
    if (rows.length > plan.limit || !figures || figures.found < reach || figures.bound === null) return rows;
    beyond = figures.bound;
    // A short page means few candidates are available: reach far enough that few rounds get to the end.
    reach *= 4;
  }
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
