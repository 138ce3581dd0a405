import { boolean, integer, pgTable, text } from "drizzle-orm/pg-core";

/** Service categories (electrician, plumber…), seeded by migration; contractors pick theirs by slug. */
export const categories = pgTable("categories", {
  slug: text().primaryKey(),
  name: text().notNull(),
  description: text().notNull(),
  sortOrder: integer().notNull().default(0),
  active: boolean().notNull().default(true),
});
