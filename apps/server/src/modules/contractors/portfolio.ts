import { and, asc, eq, gt, inArray, sql } from "drizzle-orm";
import type pg from "pg";
import { z } from "zod";
import type { Clock } from "../../clock.js";
import type { Database, Executor } from "../../db/client.js";
import { newId } from "../../db/columns.js";
import { transaction } from "../../db/transaction.js";
import type { ApiRouter } from "../../http/api.js";
import { AppError, coreErrors } from "../../http/errors.js";
import type { FilesService } from "../files/index.js";
import { fileErrors, files } from "../files/index.js";
import { contractorErrors } from "./contractors.errors.js";
import { hasProfile } from "./contractors.service.js";
import { contractorProfiles, portfolioImages, portfolioItems } from "./contractors.tables.js";

export interface PortfolioDeps {
  db: Database;
  pool: pg.Pool;
  clock: Clock;
  files: FilesService;
}

/** What `files.attachedKind` says of a portfolio image. */
export const portfolioItemKind = "portfolio_item";

export const portfolioImageSchema = z
  .object({
    id: z.uuid().meta({ description: "The file id" }),
    url: z.string(),
    thumbnailUrl: z.string().nullable(),
    width: z.number().int().nullable(),
    height: z.number().int().nullable(),
  })
  .meta({ id: "PortfolioImage" });

export const portfolioItemSchema = z
  .object({
    id: z.uuid(),
    title: z.string(),
    description: z.string().nullable(),
    position: z.number().int().meta({ description: "Display order among the contractor's items, 0 first" }),
    images: z.array(portfolioImageSchema),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: "PortfolioItem" });

export type PortfolioItem = z.infer<typeof portfolioItemSchema>;

const portfolioListSchema = z
  .object({ items: z.array(portfolioItemSchema) })
  .meta({ id: "PortfolioItemList" });

const titleSchema = z.string().trim().min(1, "is required").max(120, "at most 120 characters");
const descriptionSchema = z.string().trim().max(2000, "at most 2000 characters");
const fileIdsSchema = z
  .array(z.uuid("must be a file id"))
  .min(1, "add at least one image")
  .max(20, "at most 20 images")
  .refine((ids) => new Set(ids).size === ids.length, "must not repeat a file")
  .meta({ description: "Ids of `portfolio` files you uploaded, in display order" });

export const createPortfolioItemBody = z
  .strictObject({ title: titleSchema, description: descriptionSchema.optional(), fileIds: fileIdsSchema })
  .meta({ id: "PortfolioItemInput" });

export const updatePortfolioItemBody = z
  .strictObject({
    title: titleSchema.optional(),
    description: descriptionSchema.nullable().optional(),
    fileIds: fileIdsSchema.optional(),
  })
  .meta({ id: "PortfolioItemUpdate" });

export const reorderPortfolioBody = z
  .strictObject({
    itemIds: z
      .array(z.uuid("must be a portfolio item id"))
      .max(1000)
      .refine((ids) => new Set(ids).size === ids.length, "must not repeat an item")
      .meta({ description: "Every one of your item ids, in the new display order" }),
  })
  .meta({ id: "PortfolioOrder" });

const itemParams = z.object({ id: z.uuid("must be a portfolio item id") });

/** An empty description is no description. */
function descriptionOf(text: string | null | undefined): string | null {
  return text ? text : null;
}

async function present(
  db: Executor,
  rows: (typeof portfolioItems.$inferSelect)[],
  filesService: FilesService,
): Promise<PortfolioItem[]> {
  if (rows.length === 0) return [];
  const images = await db
    .select({ itemId: portfolioImages.itemId, file: files })
    .from(portfolioImages)
    .innerJoin(files, eq(files.id, portfolioImages.fileId))
    .where(
      inArray(
        portfolioImages.itemId,
        rows.map((row) => row.id),
      ),
    )
    .orderBy(asc(portfolioImages.itemId), asc(portfolioImages.position));
  const byItem = new Map<string, PortfolioItem["images"]>();
  for (const image of images) {
    const view = await filesService.present(image.file);
    const list = byItem.get(image.itemId) ?? [];
    list.push({
      id: view.id,
      url: view.url,
      thumbnailUrl: view.thumbnailUrl,
      width: view.width,
      height: view.height,
    });
    byItem.set(image.itemId, list);
  }
  return rows.map((row) => ({
    id: row.id,
    title: row.title,
    description: row.description,
    position: row.position,
    images: byItem.get(row.id) ?? [],
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  }));
}

/** A contractor's portfolio in display order, each item's images in theirs; also used by the public profile. */
export async function listPortfolio(
  db: Executor,
  contractorId: string,
  filesService: FilesService,
): Promise<PortfolioItem[]> {
  const rows = await db
    .select()
    .from(portfolioItems)
    .where(eq(portfolioItems.contractorId, contractorId))
    .orderBy(asc(portfolioItems.position), asc(portfolioItems.id));
  return present(db, rows, filesService);
}

async function loadItem(
  db: Executor,
  contractorId: string,
  itemId: string,
  filesService: FilesService,
): Promise<PortfolioItem> {
  const rows = await db
    .select()
    .from(portfolioItems)
    .where(and(eq(portfolioItems.id, itemId), eq(portfolioItems.contractorId, contractorId)));
  const [item] = await present(db, rows, filesService);
  if (!item)
    throw new AppError(contractorErrors.portfolioItemNotFound, "You have no portfolio item with this id");
  return item;
}

/**
 * Locks the contractor's profile row for the rest of the transaction: one contractor's portfolio changes then
 * run one at a time, which keeps positions dense and unique without a constraint.
 */
async function lockProfile(db: Executor, contractorId: string): Promise<void> {
  const [row] = await db
    .select({ userId: contractorProfiles.userId })
    .from(contractorProfiles)
    .where(eq(contractorProfiles.userId, contractorId))
    .for("no key update");
  if (!row) {
    throw new AppError(
      contractorErrors.profileMissing,
      "Create your contractor profile before your portfolio",
    );
  }
}

export function portfolioRoutes(deps: PortfolioDeps) {
  const { db, pool, clock } = deps;

  async function writeImages(db: Executor, itemId: string, fileIds: string[]): Promise<void> {
    await db.delete(portfolioImages).where(eq(portfolioImages.itemId, itemId));
    await db
      .insert(portfolioImages)
      .values(fileIds.map((fileId, position) => ({ itemId, fileId, position })));
  }

  return (api: ApiRouter) => {
    const fileFailures = [fileErrors.notFound, fileErrors.wrongPurpose, fileErrors.alreadyAttached];

    api.route({
      method: "post",
      path: "/contractors/me/portfolio",
      tags: ["Contractors"],
      summary: "Add a portfolio item at the end of the portfolio",
      description:
        "Upload the images first (`POST /files` with purpose `portfolio`), then send their ids here; each file can belong to one item only.",
      access: ["contractor"],
      body: createPortfolioItemBody,
      idempotent: true,
      response: { status: 201, description: "The new item", schema: portfolioItemSchema },
      errors: [contractorErrors.profileMissing, ...fileFailures],
      handler: async ({ user, body }) => {
        const now = clock.now();
        return transaction(pool, async (tx) => {
          await lockProfile(tx.db, user.id);
          const [last] = await tx.db
            .select({ position: sql<number>`coalesce(max(${portfolioItems.position}), -1)::int` })
            .from(portfolioItems)
            .where(eq(portfolioItems.contractorId, user.id));
          const id = newId();
          await tx.db.insert(portfolioItems).values({
            id,
            contractorId: user.id,
            title: body.title,
            description: descriptionOf(body.description),
            position: (last?.position ?? -1) + 1,
            createdAt: now,
            updatedAt: now,
          });
          await deps.files.attach(tx.db, {
            ownerId: user.id,
            fileIds: body.fileIds,
            purposes: ["portfolio"],
            kind: portfolioItemKind,
            targetId: id,
            field: "fileIds",
          });
          await writeImages(tx.db, id, body.fileIds);
          return loadItem(tx.db, user.id, id, deps.files);
        });
      },
    });

    api.route({
      method: "get",
      path: "/contractors/me/portfolio",
      tags: ["Contractors"],
      summary: "The contractor's portfolio, in display order",
      access: ["contractor"],
      response: { status: 200, description: "The items", schema: portfolioListSchema },
      errors: [contractorErrors.profileMissing],
      handler: async ({ user }) => {
        if (!(await hasProfile(db, user.id))) {
          throw new AppError(contractorErrors.profileMissing, "You have no contractor profile yet");
        }
        return { items: await listPortfolio(db, user.id, deps.files) };
      },
    });

    api.route({
      method: "put",
      path: "/contractors/me/portfolio/order",
      tags: ["Contractors"],
      summary: "Reorder the portfolio",
      description: "`itemIds` must list every item of the portfolio exactly once.",
      access: ["contractor"],
      body: reorderPortfolioBody,
      response: { status: 200, description: "The items in their new order", schema: portfolioListSchema },
      errors: [contractorErrors.profileMissing],
      handler: async ({ user, body }) =>
        transaction(pool, async (tx) => {
          await lockProfile(tx.db, user.id);
          const current = await tx.db
            .select({ id: portfolioItems.id })
            .from(portfolioItems)
            .where(eq(portfolioItems.contractorId, user.id));
          const wanted = new Set(body.itemIds);
          if (current.length !== wanted.size || current.some((item) => !wanted.has(item.id))) {
            throw new AppError(coreErrors.validation, "itemIds must list each of your portfolio items once", {
              errors: [
                {
                  path: "itemIds",
                  message: `must be exactly your ${current.length} portfolio item ids, in any order`,
                  in: "body",
                },
              ],
            });
          }
          for (const [position, itemId] of body.itemIds.entries()) {
            await tx.db.update(portfolioItems).set({ position }).where(eq(portfolioItems.id, itemId));
          }
          return { items: await listPortfolio(tx.db, user.id, deps.files) };
        }),
    });

    api.route({
      method: "patch",
      path: "/contractors/me/portfolio/:id",
      tags: ["Contractors"],
      summary: "Change a portfolio item's title, description or images",
      description:
        "`fileIds` replaces the whole image list: new ids are attached, ids left out are released and deleted later.",
      access: ["contractor"],
      params: itemParams,
      body: updatePortfolioItemBody,
      response: { status: 200, description: "The updated item", schema: portfolioItemSchema },
      errors: [contractorErrors.profileMissing, contractorErrors.portfolioItemNotFound, ...fileFailures],
      handler: async ({ user, params, body }) => {
        const now = clock.now();
        return transaction(pool, async (tx) => {
          await lockProfile(tx.db, user.id);
          const updated = await tx.db
            .update(portfolioItems)
            .set({
              ...(body.title !== undefined ? { title: body.title } : {}),
              ...(body.description !== undefined ? { description: descriptionOf(body.description) } : {}),
              updatedAt: now,
            })
            .where(and(eq(portfolioItems.id, params.id), eq(portfolioItems.contractorId, user.id)))
            .returning({ id: portfolioItems.id });
          if (updated.length === 0) {
            throw new AppError(
              contractorErrors.portfolioItemNotFound,
              "You have no portfolio item with this id",
            );
          }
          if (body.fileIds) {
            await deps.files.attach(tx.db, {
              ownerId: user.id,
              fileIds: body.fileIds,
              purposes: ["portfolio"],
              kind: portfolioItemKind,
              targetId: params.id,
              field: "fileIds",
            });
            await deps.files.detach(tx.db, portfolioItemKind, params.id, body.fileIds);
            await writeImages(tx.db, params.id, body.fileIds);
          }
          return loadItem(tx.db, user.id, params.id, deps.files);
        });
      },
    });

    api.route({
      method: "delete",
      path: "/contractors/me/portfolio/:id",
      tags: ["Contractors"],
      summary: "Delete a portfolio item; its images are released and deleted later",
      access: ["contractor"],
      params: itemParams,
      response: { status: 204, description: "Deleted; the items after it move up one place" },
      errors: [contractorErrors.profileMissing, contractorErrors.portfolioItemNotFound],
      handler: async ({ user, params }) =>
        transaction(pool, async (tx) => {
          await lockProfile(tx.db, user.id);
          const [deleted] = await tx.db
            .delete(portfolioItems)
            .where(and(eq(portfolioItems.id, params.id), eq(portfolioItems.contractorId, user.id)))
            .returning({ position: portfolioItems.position });
          if (!deleted) {
            throw new AppError(
              contractorErrors.portfolioItemNotFound,
              "You have no portfolio item with this id",
            );
          }
          await deps.files.detach(tx.db, portfolioItemKind, params.id);
          await tx.db
            .update(portfolioItems)
            .set({ position: sql`${portfolioItems.position} - 1` })
            .where(
              and(eq(portfolioItems.contractorId, user.id), gt(portfolioItems.position, deleted.position)),
            );
        }),
    });
  };
}
