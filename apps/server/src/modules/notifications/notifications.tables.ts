import { sql } from "drizzle-orm";
import {
  boolean,
  check,
  index,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import { createdAt, id } from "../../db/columns.js";
import { users } from "../users/users.tables.js";

/** What a notification's `data` carries for the app to route on. */
export interface NotificationData {
  kind: string;
  bookingId?: string;
  conversationId?: string;
  jobId?: string;
  quoteId?: string;
  withdrawalId?: string;
  reviewId?: string;
}

/**
 * The in-app inbox. `event_key` names the event a row was made for (`booking:<id>:accepted`), unique per user,
 * so an event delivered twice (a retried worker, two sources of one payment) stores one row and one push.
 */
export const notifications = pgTable(
  "notifications",
  {
    id: id(),
    userId: uuid()
      .notNull()
      .references(() => users.id),
    kind: text().notNull(),
    title: text().notNull(),
    body: text().notNull(),
    data: jsonb().$type<NotificationData>().notNull(),
    eventKey: text().notNull(),
    /** Whether a mobile push was wanted when it was made (the user's preference for its kind). */
    push: boolean().notNull(),
    /** Device tokens the push reached, so a retry after a partial failure sends only to the others. */
    pushedTo: text().array().notNull().default(sql`'{}'::text[]`),
    /** When `notification:new` was emitted; set once, so a retried push job does not emit it again. */
    emittedAt: timestamp({ withTimezone: true }),
    readAt: timestamp({ withTimezone: true }),
    createdAt: createdAt(),
  },
  (table) => [
    uniqueIndex("notifications_user_event").on(table.userId, table.eventKey),
    index("notifications_user_newest").on(table.userId, table.createdAt.desc(), table.id.desc()),
    index("notifications_user_unread").on(table.userId).where(sql`${table.readAt} is null`),
  ],
);

/** Mobile and web push tokens. A token belongs to one user at a time: registering it again moves it. */
export const devices = pgTable(
  "devices",
  {
    token: text().primaryKey(),
    userId: uuid()
      .notNull()
      .references(() => users.id),
    platform: text().notNull(),
    /** The SNS platform endpoint made for this token (PUSH_PROVIDER=sns), once it exists. */
    snsEndpointArn: text(),
    createdAt: createdAt(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    index("devices_user").on(table.userId),
    check("devices_platform", sql`${table.platform} in ('android', 'ios', 'web')`),
  ],
);

/** A user's choices per kind; a kind without a row has the defaults (`kinds.ts`). */
export const notificationPreferences = pgTable(
  "notification_preferences",
  {
    userId: uuid()
      .notNull()
      .references(() => users.id),
    kind: text().notNull(),
    push: boolean().notNull(),
    email: boolean().notNull(),
  },
  (table) => [primaryKey({ columns: [table.userId, table.kind] })],
);
