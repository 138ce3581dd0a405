import { sql } from "drizzle-orm";
import { type AnyPgColumn, check, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { createdAt, id } from "../../db/columns.js";
import { files } from "../files/files.tables.js";

export const users = pgTable(
  "users",
  {
    id: id(),
    /** Trimmed and lower-cased before it is stored, so the unique index is case-insensitive in effect. */
    email: text().notNull(),
    passwordHash: text().notNull(),
    name: text().notNull(),
    role: text({ enum: ["customer", "contractor", "admin"] }).notNull(),
    /** E.164, e.g. +14155550123. */
    phone: text(),
    avatarFileId: uuid().references((): AnyPgColumn => files.id),
    emailVerifiedAt: timestamp({ withTimezone: true }),
    /** `deleted`: the account was deleted by its owner; the row stays, anonymised, so references hold. */
    status: text({ enum: ["active", "suspended", "deleted"] })
      .notNull()
      .default("active"),
    createdAt: createdAt(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    uniqueIndex("users_email").on(table.email),
    check("users_role", sql`${table.role} in ('customer', 'contractor', 'admin')`),
    check("users_status", sql`${table.status} in ('active', 'suspended', 'deleted')`),
    check("users_email_normalised", sql`${table.email} = lower(btrim(${table.email}))`),
  ],
);

export type UserRow = typeof users.$inferSelect;
