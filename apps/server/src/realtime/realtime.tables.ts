import { bigserial, customType, pgTable, timestamp } from "drizzle-orm/pg-core";

const bytea = customType<{ data: Buffer }>({ dataType: () => "bytea" });

/**
 * Socket.IO packets too large for a NOTIFY (8000 bytes) or carrying binary data, on their way from the server
 * process that emitted them to the others (`@socket.io/postgres-adapter`, which reads and cleans this table by
 * these column names).
 */
export const socketIoAttachments = pgTable("socket_io_attachments", {
  id: bigserial({ mode: "number" }).unique().notNull(),
  createdAt: timestamp("created_at", { withTimezone: true }).defaultNow(),
  payload: bytea(),
});
