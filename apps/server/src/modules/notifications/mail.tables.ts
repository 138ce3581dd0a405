import { index, pgTable, text } from "drizzle-orm/pg-core";
import { createdAt, id } from "../../db/columns.js";

/**
 * Rendered emails waiting to be sent. They carry one-time codes, so the queue's job holds only this row's id
 * (pg-boss keeps jobs and their archive for days) and the row is deleted as soon as the message is sent.
 */
export const pendingEmails = pgTable(
  "pending_emails",
  {
    id: id(),
    to: text().notNull(),
    subject: text().notNull(),
    text: text().notNull(),
    html: text().notNull(),
    createdAt: createdAt(),
  },
  (table) => [index("pending_emails_created").on(table.createdAt)],
);
