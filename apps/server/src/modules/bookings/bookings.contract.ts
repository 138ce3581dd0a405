import { z } from "zod";
import { moneySchema } from "../../http/money.js";
import { pageQuery, pageSchema } from "../../http/pagination.js";
import { isoInstant, orNull } from "../../http/validation.js";
import { bookingStatuses } from "./bookings.machine.js";

const statusSchema = z.enum(bookingStatuses).meta({ id: "BookingStatus" });

const instant = isoInstant().transform((value) => new Date(value));

export const locationSchema = z
  .object({
    lat: z.number().min(-90).max(90),
    lng: z.number().min(-180).max(180),
    address: z.string().trim().min(1, "is required").max(500, "at most 500 characters"),
  })
  .meta({ id: "BookingLocation", description: "Where the work happens" });

export const createBookingBody = z
  .strictObject({
    contractorId: z.uuid(),
    categorySlug: z.string().trim().toLowerCase().min(1).max(50),
    description: z.string().trim().min(1, "is required").max(5000, "at most 5000 characters"),
    scheduledStart: instant.meta({ description: "When the work starts; must be in the future" }),
    scheduledEnd: instant.optional().meta({ description: "When the work ends; after scheduledStart" }),
    location: locationSchema.strict(),
    price: moneySchema,
  })
  .superRefine((body, ctx) => {
    if (typeof body.price?.amount === "number" && body.price.amount < 1) {
      ctx.addIssue({
        code: "custom",
        path: ["price", "amount"],
        message: "must be more than 0",
        params: { code: "too_small" },
      });
    }
    // Runs even when a field failed its own check; such a field is already reported.
    if (
      body.scheduledEnd instanceof Date &&
      body.scheduledStart instanceof Date &&
      body.scheduledEnd.getTime() <= body.scheduledStart.getTime()
    ) {
      ctx.addIssue({
        code: "custom",
        path: ["scheduledEnd"],
        message: "must be after scheduledStart",
        params: { code: "invalid_value" },
      });
    }
  })
  .meta({ id: "BookingRequestInput" });

export type CreateBookingInput = z.output<typeof createBookingBody>;

export const disputeBody = z
  .strictObject({
    reason: z.string().trim().min(3, "at least 3 characters").max(2000, "at most 2000 characters"),
  })
  .meta({ id: "DisputeInput" });

export const disputeResponseBody = z
  .strictObject({
    statement: z.string().trim().min(3, "at least 3 characters").max(2000, "at most 2000 characters"),
  })
  .meta({ id: "DisputeResponseInput" });

export const bookingParams = z.strictObject({ id: z.uuid() });

const partySchema = z
  .object({ id: z.uuid(), name: z.string() })
  .meta({ id: "BookingParty", description: "One side of a booking" });

const historyEntrySchema = z
  .object({
    status: statusSchema,
    from: orNull(statusSchema).meta({ description: "The status before; null for the first entry" }),
    at: z.iso.datetime(),
    by: z.string().meta({ description: 'The user id who made the change, or "system" (timers, payments)' }),
    note: z.string().nullable(),
  })
  .meta({ id: "BookingHistoryEntry" });

export const bookingSchema = z
  .object({
    id: z.uuid(),
    status: statusSchema,
    customer: partySchema,
    contractor: partySchema,
    categorySlug: z.string(),
    description: z.string(),
    scheduledStart: z.iso.datetime(),
    scheduledEnd: z.iso.datetime().nullable(),
    location: locationSchema,
    price: moneySchema,
    commission: moneySchema
      .nullable()
      .meta({ description: "The platform's share, frozen when the booking is paid; null before" }),
    contractorAmount: moneySchema
      .nullable()
      .meta({ description: "What the contractor receives, frozen when the booking is paid; null before" }),
    refundAmount: orNull(moneySchema).meta({
      description:
        "What the customer is owed back (cancellation policy or dispute resolution); null when nothing was paid",
    }),
    disputeReason: z.string().nullable(),
    disputeResponse: z
      .object({
        statement: z.string(),
        at: z.iso.datetime(),
      })
      .nullable()
      .meta({
        description:
          "The contractor's side of the dispute (`POST /bookings/{id}/dispute/response`), stated once; kept after the dispute is resolved. Null until stated",
      }),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
    history: z.array(historyEntrySchema).meta({ description: "Every status change, oldest first" }),
    customerRating: z.object({ average: z.number(), count: z.number().int() }).optional().meta({
      description:
        "How contractors rated the customer (average 0 when never rated): only in the answers of GET /bookings and GET /bookings/{id} to the booking's contractor and admins, never to the customer",
    }),
  })
  .meta({ id: "Booking" });

export type BookingView = z.infer<typeof bookingSchema>;

export const bookingPageSchema = pageSchema(bookingSchema);

/** `status=funded&status=completed` or `status=funded,completed`: one sorted set either way. */
export const statusFilter = z.preprocess(
  (value) =>
    value === undefined
      ? undefined
      : [
          ...new Set(
            (Array.isArray(value) ? value : [value]).flatMap((entry) =>
              typeof entry === "string" ? entry.split(",").map((part) => part.trim()) : [entry],
            ),
          ),
        ].sort(),
  z.array(statusSchema).min(1).max(bookingStatuses.length).optional(),
);

export const listBookingsQuery = pageQuery.extend({
  status: statusFilter.meta({
    description: "Only these statuses: repeat the parameter or separate by commas",
  }),
  role: z
    .enum(["customer", "contractor"])
    .optional()
    .meta({ description: "Only bookings where you are this party" }),
});
