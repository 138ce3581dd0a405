import type { Executor } from "../../db/client.js";
import { AppError } from "../../http/errors.js";
import { decodeCursor, invalidCursor, type Page, toPage } from "../../http/pagination.js";
import type { QueryBudget } from "../../http/query-budget.js";
import { unknownCategories } from "../catalog/index.js";
import type { PublicUrl } from "../users/index.js";
import { issuedUuid } from "./contractors.contract.js";
import { contractorErrors } from "./contractors.errors.js";
import type { ContractorSearchQuery, ContractorSearchResult, SearchSort } from "./search.contract.js";
import {
  contractorSearchStatement,
  nearestFirst,
  pageDetails,
  type SearchPlan,
  type SearchRow,
} from "./search.repo.js";

/** Parts of a cursor: the sort's name, its key values, the id. */
const cursorArity: Record<SearchSort, number> = { distance: 3, rating: 4, price: 3 };

/** The sort key a cursor resumes after, checked part by part: it is sent back verbatim into SQL. */
function readCursor(
  query: ContractorSearchQuery & { cursor: string },
  sort: SearchSort,
): (string | number)[] {
  const [issuedFor, ...key] = decodeCursor(query, cursorArity[sort]);
  if (issuedFor !== sort) {
    throw invalidCursor(`The cursor belongs to a list sorted by ${String(issuedFor)}, not by ${sort}`);
  }
  const id = key.at(-1);
  const values = key.slice(0, -1);
  const number = (value: unknown) => typeof value === "number" && Number.isFinite(value);
  const integer = (value: unknown) => typeof value === "number" && Number.isSafeInteger(value);
  const valid =
    typeof id === "string" &&
    issuedUuid.test(id) &&
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
  const after = query.cursor !== undefined ? readCursor({ ...query, cursor: query.cursor }, sort) : undefined;
  return { sort, limit: query.limit, after };
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
  const rows =
    plan.sort === "distance"
      ? await nearestFirst(db, query, plan)
      : (await db.execute<SearchRow>(contractorSearchStatement(query, plan))).rows;

  // A slug that matched someone exists; only an empty answer has to tell "no such category" apart.
  if (rows.length === 0 && query.category !== undefined) {
    const unknown = await unknownCategories(db, [query.category]);
    if (unknown.length > 0) {
      throw new AppError(
        contractorErrors.unknownCategory,
        `Unknown category ${query.category}; see GET /categories`,
        {
          errors: [
            { path: "category", code: "not_found", message: `no category "${query.category}"`, in: "query" },
          ],
        },
      );
    }
  }

  const pageIds = rows.slice(0, query.limit).map((row) => row.id);
  const details = await pageDetails(db, pageIds);
  const detailsById = new Map(details.map((detail) => [detail.id, detail]));

  return toPage(
    rows,
    query,
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

export interface SearchDeps {
  db: Executor;
  publicUrl: PublicUrl;
  budget?: QueryBudget | undefined;
}

export function createSearchService(deps: SearchDeps) {
  return {
    search: (query: ContractorSearchQuery) => {
      const work = () => searchContractors(deps.db, query, deps.publicUrl);
      return deps.budget ? deps.budget.run(work) : work();
    },
  };
}

export type SearchService = ReturnType<typeof createSearchService>;
