import { sql } from "drizzle-orm";
import {
  bigint,
  check,
  doublePrecision,
  index,
  pgTable,
  primaryKey,
  smallint,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import { createdAt, id } from "../../db/columns.js";
import { bookings } from "../bookings/bookings.tables.js";
import { categories } from "../catalog/catalog.tables.js";
import { files } from "../files/files.tables.js";
import { users } from "../users/users.tables.js";

export const jobStatuses = ["open", "assigned", "cancelled", "expired"] as const;
export type JobStatus = (typeof jobStatuses)[number];

export const quoteStatuses = ["pending", "accepted", "rejected", "withdrawn"] as const;
export type QuoteStatus = (typeof quoteStatuses)[number];

/** Why a quote was closed without the contractor's or the owner's choice of it. */
export const quoteClosedReasons = [
  "other_quote_accepted",
  "job_cancelled",
  "job_expired",
  "account_deleted",
] as const;
export type QuoteClosedReason = (typeof quoteClosedReasons)[number];

/** A customer's request for work, open to quotes from contractors whose categories and area match. */
export const jobs = pgTable(
  "jobs",
  {
    id: id(),
    customerId: uuid()
      .notNull()
      .references(() => users.id),
    title: text().notNull(),
    description: text().notNull(),
    categorySlug: text()
      .notNull()
      .references(() => categories.slug),
    lat: doublePrecision().notNull(),
    lng: doublePrecision().notNull(),
    address: text().notNull(),
    budgetAmount: bigint({ mode: "number" }),
    budgetCurrency: text(),
    preferredStart: timestamp({ withTimezone: true }),
    status: text({ enum: jobStatuses }).notNull().default("open"),
    /** An open job stops taking quotes at this instant; the expiry timer then marks it `expired`. */
    expiresAt: timestamp({ withTimezone: true }).notNull(),
    /** Set when a quote is accepted. */
    assignedContractorId: uuid().references(() => users.id),
    /** The booking the accepted quote created. */
    bookingId: uuid().references(() => bookings.id),
    createdAt: createdAt(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    check("jobs_status", sql`${table.status} in ('open', 'assigned', 'cancelled', 'expired')`),
    check("jobs_lat", sql`${table.lat} between -90 and 90`),
    check("jobs_lng", sql`${table.lng} between -180 and 180`),
    check(
      "jobs_budget",
      sql`(${table.budgetAmount} is null and ${table.budgetCurrency} is null) or (${table.budgetAmount} between 0 and 100000000 and ${table.budgetCurrency} ~ '^[a-z]{3}$')`,
    ),
    check("jobs_assigned", sql`(${table.status} = 'assigned') = (${table.assignedContractorId} is not null)`),
    // Newest first, per owner and per category for the open ones (what contractors list).
    index("jobs_customer_order").on(table.customerId, table.createdAt.desc(), table.id.desc()),
    index("jobs_open_category_order")
      .on(table.categorySlug, table.createdAt.desc(), table.id.desc())
      .where(sql`${table.status} = 'open'`),
    index("jobs_open_expiry").on(table.expiresAt).where(sql`${table.status} = 'open'`),
  ],
);

/** A job's attached files (purpose `job_attachment`), in the order the owner gave them. */
export const jobAttachments = pgTable(
  "job_attachments",
  {
    jobId: uuid()
      .notNull()
      .references(() => jobs.id, { onDelete: "cascade" }),
    fileId: uuid()
      .notNull()
      .references(() => files.id),
    position: smallint().notNull(),
  },
  (table) => [
    primaryKey({ columns: [table.jobId, table.fileId] }),
    uniqueIndex("job_attachments_file").on(table.fileId),
  ],
);

/** A contractor's offer for a job: one per contractor and job. */
export const jobQuotes = pgTable(
  "job_quotes",
  {
    id: id(),
    jobId: uuid()
      .notNull()
      .references(() => jobs.id),
    contractorId: uuid()
      .notNull()
      .references(() => users.id),
    priceAmount: bigint({ mode: "number" }).notNull(),
    priceCurrency: text().notNull(),
    message: text().notNull(),
    proposedStart: timestamp({ withTimezone: true }),
    status: text({ enum: quoteStatuses }).notNull().default("pending"),
    closedReason: text({ enum: quoteClosedReasons }),
    decidedAt: timestamp({ withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    uniqueIndex("job_quotes_one_per_contractor").on(table.jobId, table.contractorId),
    index("job_quotes_job_order").on(table.jobId, table.createdAt, table.id),
    index("job_quotes_contractor_pending").on(table.contractorId).where(sql`${table.status} = 'pending'`),
    check("job_quotes_status", sql`${table.status} in ('pending', 'accepted', 'rejected', 'withdrawn')`),
    check(
      "job_quotes_price",
      sql`${table.priceAmount} between 0 and 100000000 and ${table.priceCurrency} ~ '^[a-z]{3}$'`,
    ),
  ],
);

export type JobRow = typeof jobs.$inferSelect;
export type QuoteRow = typeof jobQuotes.$inferSelect;
