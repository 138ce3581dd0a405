import { QueryBuilder } from "drizzle-orm/pg-core";
import { bookings } from "./bookings.tables.js";

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
