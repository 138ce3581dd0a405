// Every table of the application, for Drizzle's typed queries and for drizzle-kit's migration generator.
export * from "../http/idempotency.tables.js";
export * from "../http/rate-limit.tables.js";
export * from "../modules/audit/audit.tables.js";
export * from "../modules/auth/auth.tables.js";
export * from "../modules/bookings/bookings.tables.js";
export * from "../modules/catalog/catalog.tables.js";
export * from "../modules/chat/chat.tables.js";
export * from "../modules/contractors/contractors.tables.js";
export * from "../modules/files/files.tables.js";
export * from "../modules/jobs/jobs.tables.js";
export * from "../modules/ledger/ledger.tables.js";
export * from "../modules/notifications/mail.tables.js";
export * from "../modules/notifications/notifications.tables.js";
export * from "../modules/payments/payments.tables.js";
export * from "../modules/reviews/reviews.tables.js";
export * from "../modules/users/users.tables.js";
export * from "../realtime/realtime.tables.js";
