import { z } from "zod";
import { withoutRepeats } from "../../http/unique.js";

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

export const portfolioListSchema = z
  .object({ items: z.array(portfolioItemSchema) })
  .meta({ id: "PortfolioItemList" });

const titleSchema = z.string().trim().min(1, "is required").max(120, "at most 120 characters");
const descriptionSchema = z.string().trim().max(2000, "at most 2000 characters");
const fileIdsSchema = withoutRepeats(
  z.array(z.uuid("must be a file id")).min(1, "add at least one image").max(20, "at most 20 images"),
  "must not repeat a file",
).meta({ description: "Ids of `portfolio` files you uploaded, in display order" });

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
    itemIds: withoutRepeats(
      z.array(z.uuid("must be a portfolio item id")).max(1000),
      "must not repeat an item",
    ).meta({ description: "Every one of your item ids, in the new display order" }),
  })
  .meta({ id: "PortfolioOrder" });

export const portfolioItemParams = z.object({ id: z.uuid("must be a portfolio item id") });

export type CreatePortfolioItemInput = z.output<typeof createPortfolioItemBody>;
export type UpdatePortfolioItemInput = z.output<typeof updatePortfolioItemBody>;
