import { and, inArray, isNull, sql } from "drizzle-orm";
import type { Executor } from "../../db/client.js";
import { notifications } from "./notifications.tables.js";

/**
 * The demo inbox: the seed's own story (quotes sent, a quote accepted) has already notified the demo users
 * inside the seed's transaction; all but each user's newest are marked read, so every inbox that has any shows
 * read and unread items. Booking changes arrive after the commit, unread, from the booking.changed worker.
 */
export async function seedDemoInbox(db: Executor, userIds: string[], now: Date): Promise<void> {
  if (userIds.length === 0) return;
  await db
    .update(notifications)
    .set({ readAt: now })
    .where(
      and(
        inArray(notifications.userId, userIds),
        isNull(notifications.readAt),
        sql`${notifications.id} <> (
          select newest.id from notifications newest
           where newest.user_id = ${notifications.userId}
           order by newest.created_at desc, newest.id desc limit 1)`,
      ),
    );
}
