import { sql } from "drizzle-orm";
import { check, index, integer, jsonb, pgTable, primaryKey, text, timestamp } from "drizzle-orm/pg-core";
import { createdAt } from "../db/columns.js";

/** Stored answers of POSTs that carried an `Idempotency-Key`, so a retry replays instead of repeating. */
export const idempotencyKeys = pgTable(
  "idempotency_keys",
  {
    /** Whose key: the user id, or `anonymous`. Two users may pick the same key. */
    scope: text().notNull(),
    key: text().notNull(),
    /** sha256 of method, path and body: the same key with another request is refused. */
    requestHash: text().notNull(),
    state: text({ enum: ["in_progress", "completed"] }).notNull(),
    responseStatus: integer(),
    responseBody: jsonb(),
    createdAt: createdAt(),
    /** An `in_progress` row older than this is an abandoned attempt (crashed process) and may be retaken. */
    lockedUntil: timestamp({ withTimezone: true }).notNull(),
    expiresAt: timestamp({ withTimezone: true }).notNull(),
  },
  (table) => [
    primaryKey({ columns: [table.scope, table.key] }),
    check("idempotency_keys_state", sql`${table.state} in ('in_progress', 'completed')`),
    index("idempotency_keys_expires_at").on(table.expiresAt),
  ],
);
