import { z } from "zod";
import { AppError, coreErrors } from "./errors.js";

export const maxPageSize = 100;

/** Query parameters every list accepts. */
export const pageQuery = z.object({
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

/** Cursors are opaque to clients: the sort key of the last item, base64url-encoded JSON. */
export function encodeCursor(key: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(key)).toString("base64url");
}

/** No cursor we issue comes near this; a longer one is refused before it is decoded. */
const maxCursorLength = 512;

/**
 * The sort key a cursor carries, or a 400 `pagination.invalid_cursor` for anything this list did not issue.
 * Give the parts' schemas (`z.tuple([z.uuid()])`) so a forged cursor is refused here rather than failing in
 * SQL; with only an arity the caller must check each part's type itself. Strings holding NUL are refused
 * either way: PostgreSQL text cannot carry them.
 */
export function decodeCursor(cursor: string, arity: number): (string | number)[];
export function decodeCursor<T extends z.ZodTuple>(cursor: string, parts: T): z.output<T>;
export function decodeCursor(cursor: string, shape: number | z.ZodTuple): unknown {
  if (cursor.length <= maxCursorLength) {
    try {
      const value: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
      const plain =
        Array.isArray(value) &&
        value.every(
          (part) =>
            (typeof part === "string" && !part.includes("\u0000")) ||
            (typeof part === "number" && Number.isFinite(part)),
        );
      if (plain && typeof shape === "number" && value.length === shape) return value;
      if (plain && typeof shape !== "number") {
        const parsed = shape.safeParse(value);
        if (parsed.success) return parsed.data;
      }
    } catch {
      // fall through to the 400 below
    }
  }
  throw invalidCursor();
}

/** The 400 for a cursor this list did not issue (also for lists that check more than its shape). */
export function invalidCursor(detail = "The cursor was not issued by this list"): AppError {
  return new AppError(coreErrors.invalidCursor, detail, {
    errors: [{ path: "cursor", message: "not a cursor of this list", in: "query" }],
  });
}

/**
 * Turns `limit + 1` rows fetched in sort order into a page: the extra row only tells that more exist.
 * `keyOf` returns the sort key the next query resumes after.
 */
export function toPage<Row, Item>(
  rows: Row[],
  limit: number,
  keyOf: (row: Row) => readonly (string | number)[],
  present: (row: Row) => Item,
): Page<Item> {
  const hasMore = rows.length > limit;
  const pageRows = hasMore ? rows.slice(0, limit) : rows;
  const last = pageRows.at(-1);
  return {
    items: pageRows.map(present),
    nextCursor: hasMore && last !== undefined ? encodeCursor(keyOf(last)) : null,
  };
}
