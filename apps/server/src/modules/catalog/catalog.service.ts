import { and, asc, eq, inArray } from "drizzle-orm";
import type { Database, Executor } from "../../db/client.js";
import { categories } from "./catalog.tables.js";

export interface Category {
  slug: string;
  name: string;
  description: string;
}

export async function listCategories(db: Executor): Promise<Category[]> {
  return db
    .select({ slug: categories.slug, name: categories.name, description: categories.description })
    .from(categories)
    .where(eq(categories.active, true))
    .orderBy(asc(categories.sortOrder), asc(categories.slug));
}

/** The slugs among `slugs` that are not active categories (a retired category takes no new profiles). */
export async function unknownCategories(db: Executor, slugs: string[]): Promise<string[]> {
  if (slugs.length === 0) return [];
  const found = await db
    .select({ slug: categories.slug })
    .from(categories)
    .where(and(inArray(categories.slug, slugs), eq(categories.active, true)));
  const known = new Set(found.map((row) => row.slug));
  return slugs.filter((slug) => !known.has(slug));
}

export interface CatalogDeps {
  db: Database;
}

export function createCatalogService(deps: CatalogDeps) {
  return {
    list: () => listCategories(deps.db),
    /** Takes the caller's executor, so a check inside another module's transaction reads what it sees. */
    unknownCategories: (db: Executor, slugs: string[]) => unknownCategories(db, slugs),
  };
}

export type CatalogService = ReturnType<typeof createCatalogService>;
