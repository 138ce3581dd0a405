import { z } from "zod";
import { withoutRepeats } from "../../http/unique.js";
import { orNull } from "../../http/validation.js";

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

/** A portfolio item as the API document's examples show it. */
export const portfolioItemExample = {
  id: "0192e7a3-8c41-7d2f-b6e0-1f2a3b4c5d6e",
  title: "Kitchen rewire and LED downlights",
  description:
    "Full rewire of a Victorian terrace kitchen, twelve dimmable downlights and a new consumer unit.",
  position: 0,
  images: [
    {
      id: "0192e7a2-4b1c-7a9d-8e3f-0a1b2c3d4e5f",
      url: "https://api.jobsphere.example/storage/public/0192e7a2-4b1c-7a9d-8e3f-0a1b2c3d4e5f.jpg",
      thumbnailUrl:
        "https://api.jobsphere.example/storage/public/0192e7a2-4b1c-7a9d-8e3f-0a1b2c3d4e5f.thumb.webp",
      width: 2048,
      height: 1536,
    },
    {
      id: "0192e7a2-5d6e-7f80-9a1b-2c3d4e5f6a7b",
      url: "https://api.jobsphere.example/storage/public/0192e7a2-5d6e-7f80-9a1b-2c3d4e5f6a7b.jpg",
      thumbnailUrl:
        "https://api.jobsphere.example/storage/public/0192e7a2-5d6e-7f80-9a1b-2c3d4e5f6a7b.thumb.webp",
      width: 1536,
      height: 2048,
    },
  ],
  createdAt: "2026-02-03T14:27:51.002Z",
  updatedAt: "2026-02-03T14:27:51.002Z",
} satisfies PortfolioItem;

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
    description: orNull(descriptionSchema).optional(),
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
