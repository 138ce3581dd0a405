import { QueryBuilder } from "drizzle-orm/pg-core";
import type { BookingStatus } from "./bookings.machine.js";
import { bookings } from "./bookings.tables.js";

/**
 * Read-only: the money side of each booking, for the ledger's consistency checks (what customer funds must be
 * held for it). A subquery, so readers never reach the table and writes go through the bookings service.
 */
export const bookingMoney = new QueryBuilder({ casing: "snake_case" })
  .select({
    id: bookings.id,
    status: bookings.status,
    contractorId: bookings.contractorId,
    priceAmount: bookings.priceAmount,
    currency: bookings.currency,
  })
  .from(bookings)
  .as("booking_money");

/**
 * Statuses in which the customer's whole payment is held in escrow: paid, and neither released nor refunded.
 * Every other status holds nothing (not yet paid, or settled by a release, a refund or a split).
 */
export const fundsHeldStatuses: readonly BookingStatus[] = ["funded", "in_progress", "completed", "disputed"];
