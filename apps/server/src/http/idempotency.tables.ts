import { index, integer, jsonb, pgTable, primaryKey, text, timestamp } from "drizzle-orm/pg-core";
import { createdAt } from "../db/columns.js";

/**
 * Answers of POSTs that carried an `Idempotency-Key`, so a retry replays instead of repeating. A row is
 * written in the same transaction as the request's own changes, so it exists exactly when they committed;
 * a request still running holds a transaction-scoped advisory lock instead of a row.
 */
export const idempotencyKeys = pgTable(
  "idempotency_keys",
  {
    /** Whose key: the user id, or `anonymous`. Two users may pick the same key. */
    scope: text().notNull(),
    key: text().notNull(),
    /** sha256 of the canonical request (method, path, caller, query, body): another request is refused. */
    requestHash: text().notNull(),
    responseStatus: integer().notNull(),
    responseBody: jsonb(),
    /** Headers the handler set on its answer (e.g. Location), replayed with it. */
    responseHeaders: jsonb().$type<Record<string, string>>().notNull().default({}),
    createdAt: createdAt(),
    expiresAt: timestamp({ withTimezone: true }).notNull(),
  },
  (table) => [
    primaryKey({ columns: [table.scope, table.key] }),
    index("idempotency_keys_expires_at").on(table.expiresAt),
  ],
);
