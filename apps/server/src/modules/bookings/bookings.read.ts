import { and, desc, eq } from "drizzle-orm";
import type { Executor } from "../../db/client.js";
import { bookings } from "./bookings.tables.js";

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
