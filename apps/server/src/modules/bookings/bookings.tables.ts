import { sql } from "drizzle-orm";
import { bigint, check, doublePrecision, index, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { createdAt, id } from "../../db/columns.js";
import { categories } from "../catalog/catalog.tables.js";
import { users } from "../users/users.tables.js";

const statusList = sql.raw(
  `'requested','accepted','declined','expired','funded','in_progress','completed','released','disputed','refunded','partially_refunded','cancelled'`,
);

/** A booking between a customer and a contractor; its status changes only through the state machine. */
export const bookings = pgTable(
  "bookings",
  {
    id: id(),
    customerId: uuid()
      .notNull()
      .references(() => users.id),
    contractorId: uuid()
      .notNull()
      .references(() => users.id),
    categorySlug: text()
      .notNull()
      .references(() => categories.slug),
    description: text().notNull(),
    scheduledStart: timestamp({ withTimezone: true }).notNull(),
    scheduledEnd: timestamp({ withTimezone: true }),
    lat: doublePrecision().notNull(),
    lng: doublePrecision().notNull(),
    address: text().notNull(),
    priceAmount: bigint({ mode: "number" }).notNull(),
    currency: text().notNull(),
    /** Frozen when the booking is paid (payments module); null before. */
    commissionAmount: bigint({ mode: "number" }),
    contractorAmount: bigint({ mode: "number" }),
    /** What the customer is owed back (cancellation policy, dispute resolution); null when nothing. */
    refundAmount: bigint({ mode: "number" }),
    disputeReason: text(),
    /** The contractor's side of the dispute, stated once while it is open and kept after it is resolved. */
    disputeResponse: text(),
    disputeResponseAt: timestamp({ withTimezone: true }),
    status: text().notNull(),
    createdAt: createdAt(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    check("bookings_status", sql`${table.status} in (${statusList})`),
    check("bookings_price", sql`${table.priceAmount} > 0 and ${table.priceAmount} <= 100000000`),
    check("bookings_currency", sql`${table.currency} ~ '^[a-z]{3}$'`),
    check(
      "bookings_amounts",
      sql`(${table.commissionAmount} is null or ${table.commissionAmount} between 0 and ${table.priceAmount})
        and (${table.contractorAmount} is null or ${table.contractorAmount} between 0 and ${table.priceAmount})
        and (${table.refundAmount} is null or ${table.refundAmount} between 0 and ${table.priceAmount})`,
    ),
    check(
      "bookings_schedule",
      sql`${table.scheduledEnd} is null or ${table.scheduledEnd} > ${table.scheduledStart}`,
    ),
    check(
      "bookings_dispute_response",
      sql`(${table.disputeResponse} is null) = (${table.disputeResponseAt} is null)`,
    ),
    check("bookings_parties", sql`${table.customerId} <> ${table.contractorId}`),
    check("bookings_lat", sql`${table.lat} between -90 and 90`),
    check("bookings_lng", sql`${table.lng} between -180 and 180`),
    index("bookings_customer").on(table.customerId, table.id.desc()),
    index("bookings_contractor").on(table.contractorId, table.id.desc()),
  ],
);

/** Every status change of a booking, in order: who made it, when, from which status, and why. */
export const bookingHistory = pgTable(
  "booking_history",
  {
    id: id(),
    bookingId: uuid()
      .notNull()
      .references(() => bookings.id),
    fromStatus: text(),
    status: text().notNull(),
    /** The user who made the change; null for the server itself (timers, payments). */
    byUserId: uuid().references(() => users.id),
    note: text(),
    at: timestamp({ withTimezone: true }).notNull(),
  },
  (table) => [index("booking_history_booking").on(table.bookingId, table.at, table.id)],
);
