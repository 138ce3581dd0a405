import { z } from "zod";
import { moneySchema } from "../../http/money.js";
import { pageQuery, pageSchema } from "../../http/pagination.js";
import { withoutRepeats } from "../../http/unique.js";
import { isoInstant, orNull } from "../../http/validation.js";
import { jobStatuses, quoteClosedReasons, quoteStatuses } from "./jobs.tables.js";

const instant = isoInstant();

const titleSchema = z.string().trim().min(3, "at least 3 characters").max(120, "at most 120 characters");
const descriptionSchema = z.string().trim().min(1, "is required").max(5000, "at most 5000 characters");

export const jobLocationInput = z
  .strictObject({
    lat: z.number().min(-90).max(90),
    lng: z.number().min(-180).max(180),
    address: z.string().trim().min(1, "is required").max(300, "at most 300 characters"),
  })
  .meta({ id: "JobLocationInput" });

const attachmentFileIds = withoutRepeats(
  z.array(z.uuid("must be a file id")).max(10, "at most 10 attachments"),
  "must not repeat a file",
).meta({ description: "Ids of `job_attachment` files you uploaded, in display order" });

export const createJobBody = z
  .strictObject({
    title: titleSchema,
    description: descriptionSchema,
    categorySlug: z.string().trim().toLowerCase().min(1).max(50),
    location: jobLocationInput,
    budget: moneySchema.optional(),
    preferredStart: instant.optional().meta({ description: "When the work should start; in the future" }),
    attachmentFileIds: attachmentFileIds.optional(),
  })
  .meta({ id: "JobInput" });

export const updateJobBody = z
  .strictObject({
    title: titleSchema.optional(),
    description: descriptionSchema.optional(),
    categorySlug: z.string().trim().toLowerCase().min(1).max(50).optional(),
    location: jobLocationInput.optional(),
    budget: orNull(moneySchema).optional(),
    preferredStart: instant.nullable().optional(),
    attachmentFileIds: attachmentFileIds.optional().meta({
      description:
        "Replaces the whole list: new ids are attached, ids left out are released and deleted later",
    }),
  })
  .meta({ id: "JobUpdate" });

export const jobParams = z.object({ id: z.uuid("must be a job id") });
export const quoteParams = z.object({
  id: z.uuid("must be a job id"),
  quoteId: z.uuid("must be a quote id"),
});

export const listJobsQuery = pageQuery
  .extend({
    status: z.enum(jobStatuses).optional().meta({
      description: "Customers: only jobs in this state. Contractors see open jobs only (`open` or nothing)",
    }),
  })
  .meta({ id: "JobListQuery" });

export const listQuotesQuery = pageQuery;

const attachmentSchema = z
  .object({
    id: z.uuid(),
    contentType: z.string(),
    size: z.number().int(),
    url: z.string().meta({ description: "Signed, short-lived: fetch a fresh one with GET /jobs/:id" }),
    thumbnailUrl: z.string().nullable(),
  })
  .meta({ id: "JobAttachment" });

export const jobSchema = z
  .object({
    id: z.uuid(),
    customerId: z.uuid(),
    title: z.string(),
    description: z.string(),
    categorySlug: z.string(),
    location: z
      .object({
        lat: z.number(),
        lng: z.number(),
        address: z.string().nullable(),
      })
      .meta({
        id: "JobLocation",
        description:
          "The owner, admins and the assigned contractor see the place as posted; other contractors see it rounded to 0.01° and no address",
      }),
    budget: orNull(moneySchema),
    preferredStart: z.iso.datetime().nullable(),
    status: z.enum(jobStatuses),
    attachments: z.array(attachmentSchema),
    expiresAt: z.iso.datetime().meta({ description: "An open job takes quotes until then" }),
    assignedContractorId: z.uuid().nullable(),
    bookingId: z
      .uuid()
      .nullable()
      .meta({ description: "The booking of the accepted quote (owner, admins, assigned contractor)" }),
    quoteCount: z
      .number()
      .int()
      .optional()
      .meta({ description: "Owner and admins: quotes received, in any state" }),
    distanceKm: z.number().optional().meta({
      description: "Contractors: from their service area's public centre to the job's rounded place",
    }),
    customerRating: z.object({ average: z.number(), count: z.number().int() }).optional().meta({
      description:
        "Contractors and admins: how contractors rated the job's customer (average 0 when never rated); never shown to the customer",
    }),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: "Job" });

export type JobView = z.infer<typeof jobSchema>;
export const jobPageSchema = pageSchema(jobSchema).meta({ id: "JobPage" });

const messageSchema = z.string().trim().min(1, "is required").max(2000, "at most 2000 characters");

export const createQuoteBody = z
  .strictObject({
    price: moneySchema,
    message: messageSchema,
    proposedStart: instant
      .optional()
      .meta({ description: "In the future; required when the job has no preferredStart" }),
  })
  .meta({ id: "QuoteInput" });

export const updateQuoteBody = z
  .strictObject({
    price: moneySchema.optional(),
    message: messageSchema.optional(),
    proposedStart: instant.nullable().optional(),
  })
  .meta({ id: "QuoteUpdate" });

export const quoteSchema = z
  .object({
    id: z.uuid(),
    jobId: z.uuid(),
    contractorId: z.uuid(),
    contractorName: z.string(),
    price: moneySchema,
    message: z.string(),
    proposedStart: z.iso.datetime().nullable(),
    status: z.enum(quoteStatuses),
    closedReason: z.enum(quoteClosedReasons).nullable().meta({
      description:
        "Why a quote was rejected or withdrawn without anyone choosing it: another quote accepted, the job cancelled or expired, an account deleted",
    }),
    decidedAt: z.iso.datetime().nullable(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: "Quote" });

export type QuoteView = z.infer<typeof quoteSchema>;
export const quotePageSchema = pageSchema(quoteSchema).meta({ id: "QuotePage" });

export type CreateJobInput = z.output<typeof createJobBody>;
export type UpdateJobInput = z.output<typeof updateJobBody>;
export type CreateQuoteInput = z.output<typeof createQuoteBody>;
export type UpdateQuoteInput = z.output<typeof updateQuoteBody>;
export type ListJobsQuery = z.output<typeof listJobsQuery>;
export type ListQuotesQuery = z.output<typeof listQuotesQuery>;
