import { createHash } from "node:crypto";
import { type AnyColumn, and, desc, lt, type SQL } from "drizzle-orm";
import type { PgSelect } from "drizzle-orm/pg-core";
import { z } from "zod";
import { AppError, coreErrors, type FieldError } from "./errors.js";

export const maxPageSize = 100;

/**
 * Query parameters every list accepts. Strict, like bodies: a misspelt filter (`categroy=plumber`) is a 400
 * naming it, not a list that silently ignores it.
 */
export const pageQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(maxPageSize).default(20),
  // Its length is checked when it is decoded, so a long one is answered as the invalid cursor it is.
  cursor: z.string().min(1).optional(),
});

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export function pageSchema<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), nextCursor: z.string().nullable() });
}

/** What a list request asks for besides where its page starts and how long it is. */
type ListQuery = { readonly limit: number; readonly cursor?: string | undefined };

/**
 * A digest of a cursor's sort key and of the list request it was issued for: every parameter but `cursor`
 * and `limit`, as parsed, so `verifiedOnly=1` and `verifiedOnly=true` are the same filters and changing the
 * page size mid-walk is harmless. It binds the position to its filters, so neither can be swapped or edited
 * alone. Not a secret: a client that recomputes it gains only a position in a list it may read anyway.
 */
function digestOf(key: readonly (string | number)[], query: ListQuery): string {
  const filters = Object.entries(query)
    .filter(([name, value]) => name !== "cursor" && name !== "limit" && value !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return createHash("sha256")
    .update(JSON.stringify([filters, key]))
    .digest("base64url")
    .slice(0, 22);
}

/**
 * Cursors are opaque to clients: base64url-encoded JSON of the digest, then the sort key of the last item.
 * A cursor replayed with other filters is refused rather than resuming a different list at a position it
 * never had.
 */
function encodeCursor(key: readonly (string | number)[], query: ListQuery): string {
  return Buffer.from(JSON.stringify([digestOf(key, query), ...key])).toString("base64url");
}

/** No cursor we issue comes near this; a longer one is refused before it is decoded. */
const maxCursorLength = 512;

/**
 * The sort key `query.cursor` carries, or a 400 `pagination.invalid_cursor` for anything this list did not
 * issue for these filters: a cursor of other filters (or another sort) is refused like a forged one. Give the
 * parts' schemas (`z.tuple([z.uuid()])`) so a forged cursor is refused here rather than failing in SQL; with
 * only an arity the caller must check each part's type itself. Strings holding NUL are refused either way:
 * PostgreSQL text cannot carry them.
 */
export function decodeCursor(query: ListQuery & { cursor: string }, arity: number): (string | number)[];
export function decodeCursor<T extends z.ZodTuple>(
  query: ListQuery & { cursor: string },
  parts: T,
): z.output<T>;
export function decodeCursor(query: ListQuery & { cursor: string }, shape: number | z.ZodTuple): unknown {
  const { cursor } = query;
  let value: unknown;
  if (cursor.length <= maxCursorLength) {
    try {
      value = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    } catch {
      // refused below
    }
  }
  const parts: unknown[] = Array.isArray(value) ? value : [];
  const plain = parts.every(
    (part) =>
      (typeof part === "string" && !part.includes("\u0000")) ||
      (typeof part === "number" && Number.isFinite(part)),
  );
  const [digest, ...key] = parts as (string | number)[];
  if (!plain || typeof digest !== "string") throw invalidCursor();
  if (digest !== digestOf(key, query)) {
    throw invalidCursor(
      "The cursor was issued for other filters or another sort, or altered: start again without one",
      {
        path: "cursor",
        code: "invalid_value",
        message: "belongs to other filters, or was altered",
        in: "query",
      },
    );
  }
  if (typeof shape === "number" && key.length === shape) return key;
  if (typeof shape !== "number") {
    const parsed = shape.safeParse(key);
    if (parsed.success) return parsed.data;
  }
  throw invalidCursor();
}

/** The 400 for a cursor this list did not issue (also for lists that check more than its shape). */
export function invalidCursor(
  detail = "The cursor was not issued by this list",
  error: FieldError = {
    path: "cursor",
    code: "invalid_value",
    message: "is not a cursor of this list",
    in: "query",
  },
): AppError {
  return new AppError(coreErrors.invalidCursor, detail, { errors: [error] });
}

/**
 * Turns `limit + 1` rows fetched in sort order into a page: the extra row only tells that more exist.
 * `keyOf` returns the sort key the next query resumes after; the cursor is bound to `query`'s filters.
 */
export function toPage<Row, Item>(
  rows: Row[],
  query: ListQuery,
  keyOf: (row: Row) => readonly (string | number)[],
  present: (row: Row) => Item,
): Page<Item> {
  const hasMore = rows.length > query.limit;
  const pageRows = hasMore ? rows.slice(0, query.limit) : rows;
  const last = pageRows.at(-1);
  return {
    items: pageRows.map(present),
    nextCursor: hasMore && last !== undefined ? encodeCursor(keyOf(last), query) : null,
  };
}

/**
 * One page of a list ordered by id, newest first (UUIDv7 ids sort by creation): the rows of `select` (a
 * dynamic select, `.$dynamic()`, with its joins and no filter yet) that meet `conditions`, resuming after the
 * cursor's id, and one row more than the page to know whether another follows. The one way such a list
 * pages. `idOf` finds a row's id where the selection nests it. A cursor that is not one this list issued is
 * refused as `decodeCursor` refuses it.
 */
export async function pageNewestById<Select extends PgSelect>(
  select: Select,
  id: AnyColumn,
  conditions: readonly (SQL | undefined)[],
  query: ListQuery,
  idOf: (row: Select["_"]["result"][number]) => string,
): Promise<Page<Select["_"]["result"][number]>> {
  const resume = query.cursor
    ? lt(id, decodeCursor({ ...query, cursor: query.cursor }, z.tuple([z.uuid()]))[0])
    : undefined;
  const rows: Select["_"]["result"] = await select
    .where(and(...conditions, resume))
    .orderBy(desc(id))
    .limit(query.limit + 1);
  return toPage(
    rows,
    query,
    (row) => [idOf(row)],
    (row) => row,
  );
}
