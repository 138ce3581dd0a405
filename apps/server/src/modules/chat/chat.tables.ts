import { sql } from "drizzle-orm";
import {
  bigint,
  check,
  index,
  integer,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import { createdAt, id } from "../../db/columns.js";
import { files } from "../files/files.tables.js";
import { users } from "../users/users.tables.js";

/**
 * One conversation per customer–contractor pair. Each message takes the next `lastSeq` under this row's lock,
 * so a conversation's messages are numbered in commit order: a page or a catch-up resumed after a number
 * never misses a message committed later with a lower one. Each side's read position lives here too.
 */
export const conversations = pgTable(
  "conversations",
  {
    id: id(),
    customerId: uuid()
      .notNull()
      .references(() => users.id),
    contractorId: uuid()
      .notNull()
      .references(() => users.id),
    lastSeq: bigint({ mode: "number" }).notNull().default(0),
    /** When the last message was sent (creation time before any); the conversation list's order. */
    activityAt: timestamp({ withTimezone: true }).notNull(),
    customerReadSeq: bigint({ mode: "number" }).notNull().default(0),
    customerReadMessageId: uuid(),
    customerReadAt: timestamp({ withTimezone: true }),
    contractorReadSeq: bigint({ mode: "number" }).notNull().default(0),
    contractorReadMessageId: uuid(),
    contractorReadAt: timestamp({ withTimezone: true }),
    createdAt: createdAt(),
  },
  (table) => [
    uniqueIndex("conversations_pair").on(table.customerId, table.contractorId),
    index("conversations_customer_activity").on(table.customerId, table.activityAt.desc(), table.id.desc()),
    index("conversations_contractor_activity").on(
      table.contractorId,
      table.activityAt.desc(),
      table.id.desc(),
    ),
    check("conversations_parties", sql`${table.customerId} <> ${table.contractorId}`),
    check(
      "conversations_read_positions",
      sql`${table.customerReadSeq} between 0 and ${table.lastSeq} and ${table.contractorReadSeq} between 0 and ${table.lastSeq}`,
    ),
  ],
);

export const messages = pgTable(
  "messages",
  {
    id: id(),
    conversationId: uuid()
      .notNull()
      .references(() => conversations.id),
    /** The message's number in its conversation, from 1, in commit order. */
    seq: bigint({ mode: "number" }).notNull(),
    senderId: uuid()
      .notNull()
      .references(() => users.id),
    /** Trimmed; empty only when the message carries attachments (or its sender's account was deleted). */
    text: text().notNull(),
    /** The sender's own id for the message: a resend with the same one finds the stored message. */
    clientMessageId: text(),
    createdAt: createdAt(),
  },
  (table) => [
    uniqueIndex("messages_conversation_seq").on(table.conversationId, table.seq),
    uniqueIndex("messages_sender_client_id").on(table.senderId, table.clientMessageId),
    check("messages_text_length", sql`char_length(${table.text}) <= 4000`),
    check("messages_seq", sql`${table.seq} > 0`),
  ],
);

/** The files a message carries, in the order the sender gave them. */
export const messageAttachments = pgTable(
  "message_attachments",
  {
    messageId: uuid()
      .notNull()
      .references(() => messages.id),
    position: integer().notNull(),
    fileId: uuid()
      .notNull()
      .references(() => files.id),
  },
  (table) => [
    primaryKey({ columns: [table.messageId, table.position] }),
    uniqueIndex("message_attachments_file").on(table.fileId),
  ],
);

export type ConversationRow = typeof conversations.$inferSelect;
export type MessageRow = typeof messages.$inferSelect;
