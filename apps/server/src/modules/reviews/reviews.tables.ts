import { sql } from "drizzle-orm";
import {
  check,
  index,
  integer,
  pgTable,
  smallint,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import { createdAt, id } from "../../db/columns.js";
import { bookings } from "../bookings/bookings.tables.js";
import { categories } from "../catalog/catalog.tables.js";
import { users } from "../users/users.tables.js";

/**
 * A customer's review of the contractor of one finished booking. The parties and the category are copied
 * from the booking when the review is written (they never change afterwards), so the public list reads one
 * table. A hidden review stays stored but leaves the aggregate and the public list.
 */
export const reviews = pgTable(
  "reviews",
  {
    id: id(),
    bookingId: uuid()
      .notNull()
      .references(() => bookings.id),
    customerId: uuid()
      .notNull()
      .references(() => users.id),
    contractorId: uuid()
      .notNull()
      .references(() => users.id),
    categorySlug: text()
      .notNull()
      .references(() => categories.slug),
    rating: smallint().notNull(),
    comment: text(),
    createdAt: createdAt(),
    /** Set when the customer changes the rating or comment. */
    editedAt: timestamp({ withTimezone: true }),
    replyText: text(),
    repliedAt: timestamp({ withTimezone: true }),
    /** Moderation: set while an admin keeps the review out of the public list and the aggregate. */
    hiddenAt: timestamp({ withTimezone: true }),
    hiddenReason: text(),
    hiddenBy: uuid().references(() => users.id),
  },
  (table) => [
    uniqueIndex("reviews_booking").on(table.bookingId),
    check("reviews_rating", sql`${table.rating} between 1 and 5`),
    check("reviews_comment", sql`${table.comment} is null or char_length(${table.comment}) <= 2000`),
    check("reviews_reply", sql`(${table.replyText} is null) = (${table.repliedAt} is null)`),
    check(
      "reviews_hidden",
      sql`(${table.hiddenAt} is null) = (${table.hiddenReason} is null) and (${table.hiddenAt} is null) = (${table.hiddenBy} is null)`,
    ),
    // The public list (a contractor's visible reviews, newest first) and the aggregate's recount.
    index("reviews_contractor_visible")
      .on(table.contractorId, table.id.desc())
      .where(sql`${table.hiddenAt} is null`),
    index("reviews_contractor").on(table.contractorId),
    index("reviews_customer").on(table.customerId),
  ],
);

/**
 * Each contractor's rating over their visible reviews: count, sum and the count of each star. Rewritten in
 * the transaction of every review change, under this row's lock, from the reviews themselves.
 */
export const contractorRatings = pgTable(
  "contractor_ratings",
  {
    contractorId: uuid()
      .primaryKey()
      .references(() => users.id),
    count: integer().notNull().default(0),
    sum: integer().notNull().default(0),
    stars1: integer().notNull().default(0),
    stars2: integer().notNull().default(0),
    stars3: integer().notNull().default(0),
    stars4: integer().notNull().default(0),
    stars5: integer().notNull().default(0),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    check(
      "contractor_ratings_counts",
      sql`${table.stars1} >= 0 and ${table.stars2} >= 0 and ${table.stars3} >= 0 and ${table.stars4} >= 0 and ${table.stars5} >= 0
        and ${table.count} = ${table.stars1} + ${table.stars2} + ${table.stars3} + ${table.stars4} + ${table.stars5}
        and ${table.sum} = ${table.stars1} + 2 * ${table.stars2} + 3 * ${table.stars3} + 4 * ${table.stars4} + 5 * ${table.stars5}`,
    ),
  ],
);

/** A contractor's rating of the customer of one finished booking; seen only by contractors and admins. */
export const customerRatings = pgTable(
  "customer_ratings",
  {
    id: id(),
    bookingId: uuid()
      .notNull()
      .references(() => bookings.id),
    customerId: uuid()
      .notNull()
      .references(() => users.id),
    contractorId: uuid()
      .notNull()
      .references(() => users.id),
    rating: smallint().notNull(),
    comment: text(),
    createdAt: createdAt(),
  },
  (table) => [
    uniqueIndex("customer_ratings_booking").on(table.bookingId),
    check("customer_ratings_rating", sql`${table.rating} between 1 and 5`),
    check("customer_ratings_comment", sql`${table.comment} is null or char_length(${table.comment}) <= 2000`),
    index("customer_ratings_customer").on(table.customerId),
  ],
);
