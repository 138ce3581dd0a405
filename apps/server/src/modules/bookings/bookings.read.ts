import { and, desc, eq } from "drizzle-orm";
import { QueryBuilder } from "drizzle-orm/pg-core";
import type { Executor } from "../../db/client.js";
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

/** Read-only: a customer's bookings with one contractor, newest first (a conversation lists its pair's). */
export async function bookingsBetween(
  db: Executor,
  customerId: string,
  contractorId: string,
): Promise<{ id: string; status: string; scheduledStart: Date }[]> {
  return db
    .select({ id: bookings.id, status: bookings.status, scheduledStart: bookings.scheduledStart })
    .from(bookings)
    .where(and(eq(bookings.customerId, customerId), eq(bookings.contractorId, contractorId)))
    .orderBy(desc(bookings.id))
    .limit(50);
}

/**
 * Read-only: what other modules may know of a booking to act on its outcome (reviews): its parties, its
 * category and its status. A subquery, so joins never reach the table and status changes stay the machine's.
 */
export const bookingFacts = new QueryBuilder({ casing: "snake_case" })
  .select({
    id: bookings.id,
    customerId: bookings.customerId,
    contractorId: bookings.contractorId,
    categorySlug: bookings.categorySlug,
    status: bookings.status,
  })
  .from(bookings)
  .as("booking_facts");
