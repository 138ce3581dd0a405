import { and, asc, eq, gt, inArray, sql } from "drizzle-orm";
import type { Executor } from "../../db/client.js";
import { portfolioImages, portfolioItems } from "./contractors.tables.js";

export type PortfolioItemRow = typeof portfolioItems.$inferSelect;

export function itemsOf(db: Executor, contractorId: string): Promise<PortfolioItemRow[]> {
  return db
    .select()
    .from(portfolioItems)
    .where(eq(portfolioItems.contractorId, contractorId))
    .orderBy(asc(portfolioItems.position), asc(portfolioItems.id));
}

export function itemOf(db: Executor, contractorId: string, itemId: string): Promise<PortfolioItemRow[]> {
  return db
    .select()
    .from(portfolioItems)
    .where(and(eq(portfolioItems.id, itemId), eq(portfolioItems.contractorId, contractorId)));
}

/** The images of the given items, each item's in display order. */
export function imagesOf(db: Executor, itemIds: string[]) {
  return db
    .select({ itemId: portfolioImages.itemId, fileId: portfolioImages.fileId })
    .from(portfolioImages)
    .where(inArray(portfolioImages.itemId, itemIds))
    .orderBy(asc(portfolioImages.itemId), asc(portfolioImages.position));
}

export async function nextPosition(db: Executor, contractorId: string): Promise<number> {
  const [last] = await db
    .select({ position: sql<number>`coalesce(max(${portfolioItems.position}), -1)::int` })
    .from(portfolioItems)
    .where(eq(portfolioItems.contractorId, contractorId));
  return (last?.position ?? -1) + 1;
}

export async function insertItem(db: Executor, values: typeof portfolioItems.$inferInsert): Promise<void> {
  await db.insert(portfolioItems).values(values);
}

/** Changes an item of this contractor; false when they have none with this id. */
export async function updateItem(
  db: Executor,
  contractorId: string,
  itemId: string,
  changes: Partial<Pick<PortfolioItemRow, "title" | "description" | "updatedAt">>,
): Promise<boolean> {
  const updated = await db
    .update(portfolioItems)
    .set(changes)
    .where(and(eq(portfolioItems.id, itemId), eq(portfolioItems.contractorId, contractorId)))
    .returning({ id: portfolioItems.id });
  return updated.length > 0;
}

export async function setPositions(db: Executor, itemIds: string[]): Promise<void> {
  for (const [position, itemId] of itemIds.entries()) {
    await db.update(portfolioItems).set({ position }).where(eq(portfolioItems.id, itemId));
  }
}

/** Deletes an item and moves the ones after it up a place; false when the contractor has no such item. */
export async function deleteItem(db: Executor, contractorId: string, itemId: string): Promise<boolean> {
  const [deleted] = await db
    .delete(portfolioItems)
    .where(and(eq(portfolioItems.id, itemId), eq(portfolioItems.contractorId, contractorId)))
    .returning({ position: portfolioItems.position });
  if (!deleted) return false;
  await db
    .update(portfolioItems)
    .set({ position: sql`${portfolioItems.position} - 1` })
    .where(and(eq(portfolioItems.contractorId, contractorId), gt(portfolioItems.position, deleted.position)));
  return true;
}

export async function writeImages(db: Executor, itemId: string, fileIds: string[]): Promise<void> {
  await db.delete(portfolioImages).where(eq(portfolioImages.itemId, itemId));
  await db.insert(portfolioImages).values(fileIds.map((fileId, position) => ({ itemId, fileId, position })));
}
