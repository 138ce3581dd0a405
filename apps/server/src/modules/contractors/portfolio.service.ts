import type pg from "pg";
import type { Clock } from "../../clock.js";
import type { Database, Executor } from "../../db/client.js";
import { newId } from "../../db/columns.js";
import { transaction } from "../../db/transaction.js";
import { AppError, coreErrors } from "../../http/errors.js";
import type { FilesService } from "../files/index.js";
import { contractorErrors } from "./contractors.errors.js";
import { requireProfile } from "./contractors.service.js";
import type {
  CreatePortfolioItemInput,
  PortfolioItem,
  UpdatePortfolioItemInput,
} from "./portfolio.contract.js";
import {
  deleteItem,
  imagesOf,
  insertItem,
  itemOf,
  itemsOf,
  nextPosition,
  type PortfolioItemRow,
  setPositions,
  updateItem,
  writeImages,
} from "./portfolio.repo.js";

export interface PortfolioDeps {
  db: Database;
  pool: pg.Pool;
  clock: Clock;
  files: FilesService;
}

/** What `files.attachedKind` says of a portfolio image. */
export const portfolioItemKind = "portfolio_item";

/** An empty description is no description. */
function descriptionOf(text: string | null | undefined): string | null {
  return text ? text : null;
}

function notFound(): AppError {
  return new AppError(contractorErrors.portfolioItemNotFound, "You have no portfolio item with this id");
}

/**
 * Every change locks the contractor's profile row for its transaction: one contractor's portfolio changes
 * then run one at a time, which keeps positions dense and unique without a constraint.
 */
const lockProfile = (db: Executor, contractorId: string) =>
  requireProfile(db, contractorId, {
    lock: true,
    detail: "Create your contractor profile before your portfolio",
  });

export function createPortfolioService(deps: PortfolioDeps) {
  const { db, pool, clock, files } = deps;

  async function present(executor: Executor, rows: PortfolioItemRow[]): Promise<PortfolioItem[]> {
    if (rows.length === 0) return [];
    const images = await imagesOf(
      executor,
      rows.map((row) => row.id),
    );
    const attached = await files.presentLinked(
      executor,
      images.map((image) => ({ to: image.itemId, fileId: image.fileId })),
    );
    return rows.map((row) => ({
      id: row.id,
      title: row.title,
      description: row.description,
      position: row.position,
      images: (attached.get(row.id) ?? []).map((view) => ({
        id: view.id,
        url: view.url,
        thumbnailUrl: view.thumbnailUrl,
        width: view.width,
        height: view.height,
      })),
      createdAt: row.createdAt.toISOString(),
      updatedAt: row.updatedAt.toISOString(),
    }));
  }

  async function loadItem(executor: Executor, contractorId: string, itemId: string): Promise<PortfolioItem> {
    const [item] = await present(executor, await itemOf(executor, contractorId, itemId));
    if (!item) throw notFound();
    return item;
  }

  /** A contractor's portfolio in display order, each item's images in theirs. */
  const list = async (executor: Executor, contractorId: string) =>
    present(executor, await itemsOf(executor, contractorId));

  return {
    /** Also what the public profile shows. */
    list: (contractorId: string) => list(db, contractorId),

    async own(contractorId: string): Promise<PortfolioItem[]> {
      await requireProfile(db, contractorId);
      return list(db, contractorId);
    },

    async add(contractorId: string, input: CreatePortfolioItemInput): Promise<PortfolioItem> {
      const now = clock.now();
      return transaction(pool, async (tx) => {
        await lockProfile(tx.db, contractorId);
        const id = newId();
        await insertItem(tx.db, {
          id,
          contractorId,
          title: input.title,
          description: descriptionOf(input.description),
          position: await nextPosition(tx.db, contractorId),
          createdAt: now,
          updatedAt: now,
        });
        await files.attach(tx.db, {
          ownerId: contractorId,
          fileIds: input.fileIds,
          purposes: ["portfolio"],
          kind: portfolioItemKind,
          targetId: id,
          field: "fileIds",
        });
        await writeImages(tx.db, id, input.fileIds);
        return loadItem(tx.db, contractorId, id);
      });
    },

    async reorder(contractorId: string, itemIds: string[]): Promise<PortfolioItem[]> {
      return transaction(pool, async (tx) => {
        await lockProfile(tx.db, contractorId);
        const current = await itemsOf(tx.db, contractorId);
        const wanted = new Set(itemIds);
        if (current.length !== wanted.size || current.some((item) => !wanted.has(item.id))) {
          throw new AppError(coreErrors.validation, "itemIds must list each of your portfolio items once", {
            errors: [
              {
                path: "itemIds",
                code: "invalid_value",
                message: `must be exactly your ${current.length} portfolio item ids, in any order`,
                in: "body",
              },
            ],
          });
        }
        await setPositions(tx.db, itemIds);
        return list(tx.db, contractorId);
      });
    },

    async update(
      contractorId: string,
      itemId: string,
      input: UpdatePortfolioItemInput,
    ): Promise<PortfolioItem> {
      const now = clock.now();
      return transaction(pool, async (tx) => {
        await lockProfile(tx.db, contractorId);
        const found = await updateItem(tx.db, contractorId, itemId, {
          ...(input.title !== undefined ? { title: input.title } : {}),
          ...(input.description !== undefined ? { description: descriptionOf(input.description) } : {}),
          updatedAt: now,
        });
        if (!found) throw notFound();
        if (input.fileIds) {
          await files.attach(tx.db, {
            ownerId: contractorId,
            fileIds: input.fileIds,
            purposes: ["portfolio"],
            kind: portfolioItemKind,
            targetId: itemId,
            field: "fileIds",
          });
          await files.detach(tx.db, portfolioItemKind, itemId, input.fileIds);
          await writeImages(tx.db, itemId, input.fileIds);
        }
        return loadItem(tx.db, contractorId, itemId);
      });
    },

    async remove(contractorId: string, itemId: string): Promise<void> {
      await transaction(pool, async (tx) => {
        await lockProfile(tx.db, contractorId);
        if (!(await deleteItem(tx.db, contractorId, itemId))) throw notFound();
        await files.detach(tx.db, portfolioItemKind, itemId);
      });
    },
  };
}

export type PortfolioService = ReturnType<typeof createPortfolioService>;
