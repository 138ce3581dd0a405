import { z } from "zod";
import { moneySchema } from "../../http/money.js";
import { pageQuery, pageSchema } from "../../http/pagination.js";
import { bookingSchema } from "../bookings/index.js";

export const bookingIdParams = z.strictObject({ id: z.uuid() });

export const paymentBody = z
  .strictObject({
    paymentMethodId: z
      .string()
      .trim()
      .regex(/^pm_[A-Za-z0-9_]{1,200}$/, "must be a Stripe PaymentMethod id (pm_…)")
      .optional()
      .meta({
        description:
          "A PaymentMethod to confirm with now (simulated mode: `pm_card_visa`, `pm_card_chargeDeclined`, `pm_card_authenticationRequired`). Leave it out to confirm in the app with `clientSecret`.",
      }),
  })
  .meta({ id: "PaymentRequest" });

export const paymentSchema = z
  .object({
    status: z.string().meta({
      description:
        "The PaymentIntent's status: `requires_payment_method`, `requires_action` (3-D Secure: finish it with `clientSecret`), `processing`, `succeeded`, `canceled`. The booking turns `funded` only once Stripe reports the payment succeeded.",
    }),
    clientSecret: z
      .string()
      .nullable()
      .meta({ description: "For the Stripe SDK in the app (confirm, 3-D Secure); null once paid" }),
    paymentIntentId: z.string(),
    amount: moneySchema,
  })
  .meta({ id: "Payment" });

export const onboardingSchema = z
  .object({
    url: z.url().meta({ description: "Open it in a browser: Stripe's onboarding for this account" }),
  })
  .meta({ id: "ConnectOnboarding" });

export const connectStatusSchema = z
  .object({
    chargesEnabled: z.boolean(),
    payoutsEnabled: z.boolean(),
    detailsSubmitted: z.boolean(),
    transfersEnabled: z
      .boolean()
      .meta({ description: "Bookings with you can be paid only when this is true" }),
  })
  .meta({ id: "ConnectStatus" });

export const commissionSchema = z
  .object({
    rateBps: z
      .number()
      .int()
      .min(0)
      .max(10_000)
      .meta({ description: "Basis points of the price (1000 = 10%)" }),
    fixedFee: moneySchema.meta({
      description:
        "Added to every booking paid in this currency (bookings in other currencies pay the rate only)",
    }),
  })
  .meta({ id: "CommissionSettings" });

export const commissionBody = z.strictObject({
  rateBps: z.number().int().min(0).max(10_000),
  fixedFee: moneySchema.strict(),
});

export const withdrawalBody = z.strictObject({
  amount: moneySchema
    .extend({ amount: moneySchema.shape.amount.min(1, "must be at least 1 (a whole number of minor units)") })
    .strict(),
});

export const withdrawalSchema = z
  .object({
    id: z.uuid(),
    status: z.enum(["pending", "in_transit", "paid", "failed"]).meta({
      description:
        "`pending`: asked; `in_transit`: the payout is on its way to your bank; `paid`; `failed`: the bank returned it and the money is available again",
    }),
    amount: moneySchema,
    failureCode: z.string().nullable(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: "Withdrawal" });

export const withdrawalPageSchema = pageSchema(withdrawalSchema);

export const earningsQuery = pageQuery.extend({
  currency: z
    .string()
    .trim()
    .toLowerCase()
    .regex(/^[a-z]{3}$/, "must be a 3-letter ISO 4217 code, e.g. usd")
    .optional()
    .meta({ description: "Default: the currency of your latest paid booking" }),
});

export const ledgerEntrySchema = z
  .object({
    id: z.uuid(),
    transactionId: z.uuid(),
    kind: z
      .string()
      .meta({ description: "payment, release, reversal, refund, withdrawal, payout_paid, payout_failed…" }),
    account: z.string(),
    amount: z.number().int().meta({
      description:
        "Signed minor units: negative (a credit) adds to what you are owed, positive takes from it",
    }),
    currency: z.string(),
    bookingId: z.uuid().nullable(),
    withdrawalId: z.uuid().nullable(),
    memo: z.string().nullable(),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: "EarningsEntry" });

export const earningsSchema = z
  .object({
    held: moneySchema.meta({ description: "Your share of paid bookings not released yet" }),
    available: moneySchema.meta({ description: "Released to you and not withdrawn: what you may withdraw" }),
    paidOut: moneySchema.meta({ description: "Withdrawn to your bank" }),
    entries: z
      .array(ledgerEntrySchema)
      .meta({ description: "The ledger entries behind `available`, newest first" }),
    nextCursor: z.string().nullable(),
  })
  .meta({ id: "Earnings" });

export const disputeSchema = z
  .object({
    booking: bookingSchema,
    chargebacks: z.array(
      z.object({
        id: z.string(),
        amount: moneySchema,
        reason: z.string(),
        status: z.string(),
        createdAt: z.iso.datetime(),
      }),
    ),
  })
  .meta({ id: "Dispute" });

export const disputePageSchema = pageSchema(disputeSchema);

export const resolveBody = z.strictObject({
  refundAmount: moneySchema.strict().meta({
    description:
      "To the customer: 0 releases everything to the contractor, the full price refunds everything",
  }),
  note: z.string().trim().min(1, "is required").max(2000, "at most 2000 characters"),
});

export const webhookAnswerSchema = z
  .object({ received: z.literal(true), duplicate: z.boolean() })
  .meta({ id: "WebhookReceipt" });
