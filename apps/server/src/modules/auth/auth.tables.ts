import { sql } from "drizzle-orm";
import { check, index, integer, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { createdAt, id } from "../../db/columns.js";
import { users } from "../users/users.tables.js";

/** A login: one refresh-token family. Revoking it ends every token issued in it. */
export const sessions = pgTable(
  "sessions",
  {
    id: id(),
    userId: uuid()
      .notNull()
      .references(() => users.id),
    createdAt: createdAt(),
    lastUsedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    /** Absolute end of the session, however active it is. */
    expiresAt: timestamp({ withTimezone: true }).notNull(),
    revokedAt: timestamp({ withTimezone: true }),
    revokedReason: text({
      enum: [
        "logout",
        "logout_all",
        "refresh_reused",
        "password_reset",
        "password_changed",
        "suspended",
        "account_deleted",
      ],
    }),
    userAgent: text(),
    ip: text(),
  },
  (table) => [index("sessions_user").on(table.userId)],
);

/**
 * Refresh tokens are stored only as sha256 hashes and are single-use. Each records the token it was exchanged
 * for (`parentId`), so a retry of a spent token can be told from reuse of an older one (auth.service refresh).
 */
export const refreshTokens = pgTable(
  "refresh_tokens",
  {
    id: id(),
    sessionId: uuid()
      .notNull()
      .references(() => sessions.id),
    tokenHash: text().notNull(),
    /** The token exchanged for this one; null for a session's first. No foreign key: purges drop parents first. */
    parentId: uuid(),
    createdAt: createdAt(),
    /** Idle expiry: unused for this long, the token is dead. */
    expiresAt: timestamp({ withTimezone: true }).notNull(),
    /** Set when the token is exchanged; presenting it again is reuse. */
    spentAt: timestamp({ withTimezone: true }),
  },
  (table) => [
    uniqueIndex("refresh_tokens_hash").on(table.tokenHash),
    index("refresh_tokens_session").on(table.sessionId),
    index("refresh_tokens_parent").on(table.parentId),
  ],
);

/** Six-digit codes sent by email: email verification and password reset. Stored hashed. */
export const oneTimeCodes = pgTable(
  "one_time_codes",
  {
    id: id(),
    userId: uuid()
      .notNull()
      .references(() => users.id),
    purpose: text({ enum: ["email_verification", "password_reset"] }).notNull(),
    codeHash: text().notNull(),
    createdAt: createdAt(),
    expiresAt: timestamp({ withTimezone: true }).notNull(),
    attempts: integer().notNull().default(0),
    /** Used, replaced by a newer code, or out of attempts: no longer accepted. */
    closedAt: timestamp({ withTimezone: true }),
  },
  (table) => [
    index("one_time_codes_user_purpose").on(table.userId, table.purpose),
    uniqueIndex("one_time_codes_one_open")
      .on(table.userId, table.purpose)
      .where(sql`${table.closedAt} is null`),
    check("one_time_codes_purpose", sql`${table.purpose} in ('email_verification', 'password_reset')`),
    check("one_time_codes_attempts", sql`${table.attempts} >= 0`),
  ],
);
