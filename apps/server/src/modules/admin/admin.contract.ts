import { z } from "zod";
import { roles } from "../../http/auth.js";
import { moneySchema } from "../../http/money.js";
import { pageQuery, pageSchema } from "../../http/pagination.js";
import { isStorableInstant, orNull } from "../../http/validation.js";
import { bookingSchema, bookingStatusFilter } from "../bookings/index.js";
import { jobSchema, quoteSchema } from "../jobs/index.js";
import { nameSchema, phoneSchema, userSchema } from "../users/index.js";

const bookingStatusSchema = bookingSchema.shape.status;

export const listUsersQuery = pageQuery.extend({
  role: z.enum(roles).optional(),
  status: z.enum(["active", "suspended", "deleted"]).optional().meta({
    description:
      '`deleted`: accounts their owners deleted, shown anonymised ("Deleted user", no contact details); without a status every account is listed',
  }),
  q: z.string().trim().min(1).max(100).optional().meta({ description: "Part of the name or email" }),
});

export const userIdParams = z.object({ id: z.uuid("must be a user id") });

export const adminUpdateUserBody = z
  .strictObject({
    name: nameSchema.optional(),
    phone: orNull(phoneSchema).optional(),
    status: z.enum(["active", "suspended"]).optional(),
    reason: z
      .string()
      .trim()
      .min(1)
      .max(500, "at most 500 characters")
      .optional()
      .meta({ description: "Why: kept in the audit log with the change" }),
  })
  .meta({ id: "AdminUpdateUser" });

export const userPageSchema = pageSchema(userSchema).meta({ id: "UserPage" });

/** A query's instant: ISO 8601 with an offset, or a plain date (midnight UTC). */
const instantParam = z
  .union([z.iso.datetime({ offset: true }), z.iso.date()], {
    error: "must be an ISO 8601 date (2026-03-01) or date-time with an offset (2026-03-01T09:00:00Z)",
  })
  .transform((value) => new Date(value.length === 10 ? `${value}T00:00:00Z` : value))
  .refine(isStorableInstant, { message: "must be in year 1 or later", params: { code: "too_small" } });

const periodParams = {
  from: instantParam.optional().meta({ description: "From this instant (inclusive)" }),
  to: instantParam.optional().meta({ description: "Up to this instant (exclusive)" }),
};

export const metricsQuery = z
  .strictObject({
    from: periodParams.from.meta({
      description: "Start of the period (inclusive); default: 30 days before `to`",
    }),
    to: periodParams.to.meta({ description: "End of the period (exclusive); default: now" }),
  })
  .meta({ id: "AdminMetricsQuery" });

const countsBy = <K extends string>(keys: readonly [K, ...K[]]) =>
  z.object(Object.fromEntries(keys.map((key) => [key, z.number().int()])) as Record<K, z.ZodNumber>);

/** Money that nets gains against reversals: negative when a period gave back more than it earned. */
const netMoneySchema = z
  .object({
    amount: z.number().int().meta({ description: "Signed minor units" }),
    currency: moneySchema.shape.currency,
  })
  .meta({ id: "NetMoney" });

export const metricsSchema = z
  .object({
    period: z.object({ from: z.iso.datetime(), to: z.iso.datetime() }),
    users: z.object({
      byRole: countsBy(["customer", "contractor", "admin"]).meta({ description: "Every account now" }),
      byStatus: countsBy(["active", "suspended", "deleted"]).meta({ description: "Every account now" }),
      newSignUps: z.number().int().meta({ description: "Accounts created in the period" }),
    }),
    openJobs: z.number().int().meta({ description: "Jobs taking quotes now" }),
    bookings: z.object({
      byStatus: z.record(bookingStatusSchema, z.number().int()).meta({
        description:
          "Bookings created in the period, by the status they are in now (every status, 0 included)",
      }),
      created: z.number().int().meta({ description: "Bookings created in the period" }),
    }),
    grossBookingValue: z.array(moneySchema).meta({
      description:
        "Price of the bookings paid in the period (they became `funded` in it), one entry per currency",
    }),
    commissionEarned: z.array(netMoneySchema).meta({
      description:
        "The platform's commission earned in the period, per currency, from the ledger: commission on money released in the period, less commission given back by refunds after release in it",
    }),
    moneyHeld: z.array(moneySchema).meta({
      description:
        "Customers' payments held now (bookings funded, in progress, completed or disputed), per currency",
    }),
    pendingVerifications: z.number().int().meta({ description: "Verification requests waiting now" }),
    openDisputes: z.number().int().meta({ description: "Bookings in status `disputed` now" }),
    daily: z
      .array(
        z.object({
          date: z.iso.date(),
          signUps: z.number().int(),
          bookings: z.number().int().meta({ description: "Bookings created that day" }),
          grossBookingValue: z.array(moneySchema).meta({ description: "Value paid that day, per currency" }),
          commissionEarned: z
            .array(netMoneySchema)
            .meta({ description: "Commission earned that day, per currency" }),
        }),
      )
      .meta({
        description: "One entry per UTC day of the period, oldest first, days without activity included",
      }),
  })
  .meta({ id: "AdminMetrics" });

export type Metrics = z.infer<typeof metricsSchema>;

export const listBookingsQuery = pageQuery
  .extend({
    status: bookingStatusFilter.meta({
      description: "Only these statuses: repeat the parameter or separate by commas",
    }),
    category: z
      .string()
      .trim()
      .toLowerCase()
      .min(1)
      .max(50)
      .optional()
      .meta({ description: "Category slug" }),
    customerId: z.uuid().optional(),
    contractorId: z.uuid().optional(),
    userId: z.uuid().optional().meta({ description: "Bookings where this user is either party" }),
    ...periodParams,
  })
  .meta({ id: "AdminBookingListQuery" });

export const listJobsQuery = pageQuery
  .extend({
    status: jobSchema.shape.status.optional(),
    category: z
      .string()
      .trim()
      .toLowerCase()
      .min(1)
      .max(50)
      .optional()
      .meta({ description: "Category slug" }),
    customerId: z.uuid().optional(),
    contractorId: z.uuid().optional().meta({ description: "Jobs assigned to this contractor" }),
    q: z.string().trim().min(1).max(100).optional().meta({ description: "Part of the title" }),
    ...periodParams,
  })
  .meta({ id: "AdminJobListQuery" });

export const idParams = z.strictObject({ id: z.uuid() });

export const bookingPageSchema = pageSchema(bookingSchema).meta({ id: "AdminBookingPage" });
export const jobPageSchema = pageSchema(jobSchema).meta({ id: "AdminJobPage" });
export const jobDetailSchema = z
  .object({
    job: jobSchema,
    quotes: z.array(quoteSchema).meta({ description: "Every quote the job received, oldest first" }),
  })
  .meta({ id: "AdminJobDetail" });
