// Every table of the application, for Drizzle's typed queries and for drizzle-kit's migration generator.
export * from "../http/idempotency.tables.js";
