import { z } from "zod";
import { pageQuery } from "../../http/pagination.js";
import { orNull } from "../../http/validation.js";

const stars = z
  .number()
  .int("must be a whole number of stars")
  .min(1, "must be from 1 to 5")
  .max(5, "must be from 1 to 5")
  .meta({ description: "Stars, 1 (poor) to 5 (excellent)" });

const comment = z
  .string()
  .trim()
  .min(1, "must not be empty: leave it out instead")
  .max(2000, "at most 2000 characters");

export const reviewBody = z
  .strictObject({ rating: stars, comment: comment.optional() })
  .meta({ id: "ReviewInput" });

export const editReviewBody = z
  .strictObject({
    rating: stars.optional(),
    comment: comment.nullable().optional().meta({ description: "null removes the comment" }),
  })
  .refine((body) => body.rating !== undefined || body.comment !== undefined, {
    message: "give rating, comment or both",
    params: { code: "invalid_value" },
  })
  .meta({ id: "ReviewChange" });

export const replyBody = z
  .strictObject({
    text: z.string().trim().min(1, "is required").max(2000, "at most 2000 characters"),
  })
  .meta({ id: "ReviewReplyInput" });

export const customerRatingBody = z
  .strictObject({ rating: stars, comment: comment.optional() })
  .meta({ id: "CustomerRatingInput" });

export const hideBody = z
  .strictObject({
    reason: z.string().trim().min(3, "at least 3 characters").max(500, "at most 500 characters"),
  })
  .meta({ id: "ReviewHideInput" });

export const unhideBody = z
  .strictObject({
    reason: z.string().trim().min(3, "at least 3 characters").max(500, "at most 500 characters").optional(),
  })
  .meta({ id: "ReviewUnhideInput" });

export const idParams = z.strictObject({ id: z.uuid() });

export const contractorReviewsQuery = pageQuery;

export const adminReviewsQuery = pageQuery.extend({
  status: z
    .enum(["visible", "hidden"], "must be visible or hidden")
    .optional()
    .meta({ description: "Only visible or only hidden reviews; both by default" }),
  contractorId: z.uuid().optional().meta({ description: "Only the reviews of this contractor" }),
  customerId: z.uuid().optional().meta({ description: "Only the reviews this customer wrote" }),
});

const replySchema = z
  .object({ text: z.string(), createdAt: z.iso.datetime() })
  .meta({ id: "ReviewReply", description: "The reviewed contractor's one reply" });

export const ratingSummarySchema = z
  .object({
    average: z
      .number()
      .meta({ description: "Mean stars of the visible reviews, to two decimals; 0 when none" }),
    count: z.number().int(),
    distribution: z
      .object({
        1: z.number().int(),
        2: z.number().int(),
        3: z.number().int(),
        4: z.number().int(),
        5: z.number().int(),
      })
      .meta({ description: "How many visible reviews gave each number of stars" }),
  })
  .meta({ id: "RatingSummary" });

export type RatingSummary = z.infer<typeof ratingSummarySchema>;

/** A review as its author sees it (and as the answers to writing, editing and replying show it). */
export const reviewSchema = z
  .object({
    id: z.uuid(),
    bookingId: z.uuid(),
    contractorId: z.uuid(),
    categorySlug: z.string(),
    rating: z.number().int(),
    comment: z.string().nullable(),
    createdAt: z.iso.datetime(),
    editedAt: z.iso.datetime().nullable(),
    editableUntil: z.iso.datetime().meta({
      description: "The customer may change the rating and comment until then (REVIEW_EDIT_WINDOW)",
    }),
    reply: orNull(replySchema),
    hidden: z.boolean().meta({ description: "Hidden by a moderator: out of the public list and the rating" }),
  })
  .meta({ id: "Review" });

export type ReviewView = z.infer<typeof reviewSchema>;

export const publicReviewSchema = z
  .object({
    id: z.uuid(),
    rating: z.number().int(),
    comment: z.string().nullable(),
    reviewer: z.object({ firstName: z.string() }),
    categorySlug: z.string().meta({ description: "The service category of the reviewed booking" }),
    createdAt: z.iso.datetime(),
    editedAt: z.iso.datetime().nullable(),
    reply: orNull(replySchema),
  })
  .meta({ id: "PublicReview" });

export type PublicReview = z.infer<typeof publicReviewSchema>;

export const contractorReviewsPageSchema = z
  .object({
    items: z.array(publicReviewSchema),
    nextCursor: z.string().nullable(),
    rating: ratingSummarySchema,
  })
  .meta({ id: "ContractorReviewsPage" });

const personSchema = z.object({ id: z.uuid(), name: z.string() });

export const adminReviewSchema = reviewSchema
  .omit({ contractorId: true })
  .extend({
    customer: personSchema,
    contractor: personSchema,
    moderation: z
      .object({ hiddenAt: z.iso.datetime(), reason: z.string(), by: z.uuid() })
      .nullable()
      .meta({ description: "Why and when an admin hid the review; null while it is visible" }),
  })
  .meta({ id: "AdminReview" });

export type AdminReview = z.infer<typeof adminReviewSchema>;

export const adminReviewPageSchema = z
  .object({ items: z.array(adminReviewSchema), nextCursor: z.string().nullable() })
  .meta({ id: "AdminReviewPage" });

export const customerRatingSchema = z
  .object({
    id: z.uuid(),
    bookingId: z.uuid(),
    customerId: z.uuid(),
    rating: z.number().int(),
    comment: z.string().nullable(),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: "CustomerRating" });

export type CustomerRatingView = z.infer<typeof customerRatingSchema>;

export const customerRatingSummarySchema = z
  .object({
    customerId: z.uuid(),
    average: z.number().meta({ description: "Mean stars contractors gave, to two decimals; 0 when none" }),
    count: z.number().int(),
  })
  .meta({ id: "CustomerRatingSummary" });
