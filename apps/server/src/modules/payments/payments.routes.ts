import type { Request } from "express";
import type { ApiRouter } from "../../http/api.js";
import { AppError, coreErrors } from "../../http/errors.js";
import { pageQuery } from "../../http/pagination.js";
import {
  type BookingView,
  bookingErrors,
  bookingSchema,
  exampleContractorId as contractorId,
  exampleCustomerId as customerId,
  answeredDisputeExample as disputedBooking,
} from "../bookings/index.js";
import { ledgerErrors } from "../ledger/index.js";
import {
  bookingIdParams,
  commissionBody,
  commissionSchema,
  connectStatusSchema,
  disputePageSchema,
  earningsQuery,
  earningsSchema,
  onboardingSchema,
  paymentBody,
  paymentSchema,
  resolveBody,
  webhookAnswerSchema,
  withdrawalBody,
  withdrawalPageSchema,
  withdrawalSchema,
} from "./payments.contract.js";
import { paymentErrors } from "./payments.errors.js";
import type { PaymentsService } from "./payments.service.js";
import type { WebhookIntake } from "./webhooks.js";

/** Stripe's events are a few kilobytes; anything near this is not one. */
const webhookBodyLimit = 256 * 1024;

/** The request's bytes exactly as sent: the signature covers them, not a re-serialised parse. */
async function rawBody(req: Request): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > webhookBodyLimit) {
      throw new AppError(coreErrors.tooLarge, `A webhook body is at most ${webhookBodyLimit} bytes`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

const adminId = "0192f0a4-7d30-7e5f-8fb1-2c3d4e5f6a71";

const resolvedBooking: BookingView = {
  ...disputedBooking,
  status: "partially_refunded",
  refundAmount: { amount: 6000, currency: "gbp" },
  updatedAt: "2026-12-08T09:00:00.000Z",
  history: [
    ...disputedBooking.history,
    {
      status: "partially_refunded",
      from: "disputed",
      at: "2026-12-08T09:00:00.000Z",
      by: adminId,
      note: "Two of eight sockets faulty: a quarter back",
    },
  ],
};

const withdrawalExample = {
  id: "0193b1c2-3d4e-7f50-8a6b-7c8d9e0f1a2b",
  status: "in_transit" as const,
  amount: { amount: 15000, currency: "gbp" },
  failureCode: null,
  createdAt: "2026-12-09T08:00:00.000Z",
  updatedAt: "2026-12-09T08:00:01.000Z",
};

/** The payments routes: paying a booking, onboarding, earnings and withdrawals, admin money, webhooks. */
export function paymentRoutes(service: PaymentsService, intake: WebhookIntake) {
  return (api: ApiRouter) => {
    api.route({
      method: "post",
      path: "/bookings/:id/payment",
      tags: ["Payments"],
      summary: "Pay for an accepted booking (customer)",
      description:
        "Creates (once per booking) a PaymentIntent for the booking's price on the platform account, held in escrow until release. Send `paymentMethodId` to confirm at once, or confirm in the app with the Stripe SDK and `clientSecret` (also for 3-D Secure, `requires_action`). The booking turns `funded` only when Stripe reports `payment_intent.succeeded`, never on this answer alone: watch `booking:updated` or read the booking. Calling again for the same booking answers the same PaymentIntent (a declined card may be replaced by another `paymentMethodId`). A declined card is 402 `payment.declined`; a contractor who has not finished Stripe onboarding makes the booking unpayable (409 `payment.contractor_not_onboarded`).",
      access: ["customer"],
      params: bookingIdParams,
      body: paymentBody,
      idempotent: true,
      response: { status: 200, description: "The payment as it stands", schema: paymentSchema },
      errors: [
        bookingErrors.notFound,
        bookingErrors.invalidTransition,
        paymentErrors.contractorNotOnboarded,
        paymentErrors.declined,
        paymentErrors.gatewayFailed,
      ],
      examples: {
        request: { paymentMethodId: "pm_card_visa" },
        response: {
          status: "succeeded",
          clientSecret: null,
          paymentIntentId: "pi_3QyZ8bLkdIwHu7ix0h1aBcDe",
          amount: { amount: 24000, currency: "gbp" },
        },
      },
      handler: ({ user, params, body }) => service.pay(user, params.id, body.paymentMethodId),
    });

    api.route({
      method: "post",
      path: "/payments/connect/onboarding",
      tags: ["Payments"],
      summary: "Start or continue Stripe onboarding (contractor)",
      description:
        "Creates your Stripe Connect Express account on the first call (payouts on a manual schedule: money reaches your bank when you withdraw) and answers a fresh onboarding link each time. With the simulated gateway, onboarding completes at once.",
      access: ["contractor"],
      response: { status: 200, description: "The onboarding link", schema: onboardingSchema },
      errors: [paymentErrors.gatewayFailed],
      examples: { response: { url: "https://connect.stripe.com/setup/e/acct_1QyZ8bLkdIwHu7ix/Jk3s9aQ2" } },
      handler: ({ user }) => service.onboard(user),
    });

    api.route({
      method: "get",
      path: "/payments/connect/status",
      tags: ["Payments"],
      summary: "Your Stripe onboarding status (contractor)",
      description: "Kept current by Stripe's `account.updated` events. All false before onboarding starts.",
      access: ["contractor"],
      response: { status: 200, description: "What your account may do", schema: connectStatusSchema },
      examples: {
        response: {
          chargesEnabled: true,
          payoutsEnabled: true,
          detailsSubmitted: true,
          transfersEnabled: true,
        },
      },
      handler: ({ user }) => service.connectStatus(user),
    });

    api.route({
      method: "get",
      path: "/earnings",
      tags: ["Payments"],
      summary: "Your earnings (contractor)",
      description:
        "`held`: your share of paid bookings not released yet; `available`: released to you and not withdrawn; `paidOut`: withdrawn to your bank. `entries` are the ledger entries of your available balance, newest first (`limit`, `cursor` page them).",
      access: ["contractor"],
      query: earningsQuery,
      response: { status: 200, description: "Balances and entries", schema: earningsSchema },
      errors: [coreErrors.invalidCursor],
      examples: {
        response: {
          held: { amount: 21600, currency: "gbp" },
          available: { amount: 6600, currency: "gbp" },
          paidOut: { amount: 15000, currency: "gbp" },
          entries: [
            {
              id: "0193b1c2-3d4e-7f50-8a6b-7c8d9e0f1a3c",
              transactionId: "0193b1c2-3d4e-7f50-8a6b-7c8d9e0f1a3d",
              kind: "withdrawal",
              account: `contractor_payable:${contractorId}`,
              amount: 15000,
              currency: "gbp",
              bookingId: null,
              withdrawalId: withdrawalExample.id,
              memo: "Withdrawal asked",
              createdAt: "2026-12-09T08:00:00.000Z",
            },
          ],
          nextCursor: null,
        },
      },
      handler: ({ user, query }) => service.earnings(user, query),
    });

    api.route({
      method: "post",
      path: "/withdrawals",
      tags: ["Payments"],
      summary: "Withdraw available earnings to your bank (contractor)",
      description:
        "Takes the amount from your available balance at once and pays it out from your Stripe account (a Payout). Beyond the available balance: 422 `withdrawal.insufficient_funds` (its `available` says how much you may take). Send an `Idempotency-Key` so a retry cannot withdraw twice. A payout the bank returns makes the money available again.",
      access: ["contractor"],
      body: withdrawalBody,
      idempotent: true,
      response: { status: 201, description: "The withdrawal", schema: withdrawalSchema },
      errors: [paymentErrors.insufficientFunds, paymentErrors.notOnboarded, ledgerErrors.keyReused],
      examples: {
        request: { amount: { amount: 15000, currency: "gbp" } },
        response: { ...withdrawalExample, status: "pending" },
      },
      handler: ({ user, body }) => service.withdraw(user, body.amount),
    });

    api.route({
      method: "get",
      path: "/withdrawals",
      tags: ["Payments"],
      summary: "Your withdrawals, newest first (contractor)",
      access: ["contractor"],
      query: pageQuery,
      response: { status: 200, description: "A page of withdrawals", schema: withdrawalPageSchema },
      errors: [coreErrors.invalidCursor],
      examples: { response: { items: [withdrawalExample], nextCursor: null } },
      handler: ({ user, query }) => service.listWithdrawals(user, query),
    });

    api.route({
      method: "get",
      path: "/admin/disputes",
      tags: ["Admin"],
      summary: "Disputed bookings and open chargebacks, newest first",
      description:
        "Bookings held as `disputed`, by their customer or by a card-network chargeback (listed with each), and released bookings with a chargeback the bank has not closed yet.",
      access: ["admin"],
      query: pageQuery,
      response: { status: 200, description: "A page of disputes", schema: disputePageSchema },
      errors: [coreErrors.invalidCursor],
      examples: { response: { items: [{ booking: disputedBooking, chargebacks: [] }], nextCursor: null } },
      handler: ({ query }) => service.disputes(query),
    });

    api.route({
      method: "post",
      path: "/admin/disputes/:id/resolve",
      tags: ["Admin"],
      summary: "Resolve a dispute: refund part, release the rest",
      description:
        "`refundAmount` (0 to the price, in the booking's currency) goes back to the customer; the rest is released to the contractor less the commission on the released part (rounded half up). The booking becomes `released`, `partially_refunded` or `refunded` at once; the refund and the Transfer follow within seconds. Audit-logged with the note.",
      access: ["admin"],
      params: bookingIdParams,
      body: resolveBody,
      response: { status: 200, description: "The booking after the resolution", schema: bookingSchema },
      errors: [bookingErrors.notFound, bookingErrors.invalidTransition, paymentErrors.currencyMismatch],
      examples: {
        request: {
          refundAmount: { amount: 6000, currency: "gbp" },
          note: "Two of eight sockets faulty: a quarter back",
        },
        response: resolvedBooking,
      },
      handler: ({ user, params, body }) => service.resolveDispute(user, params.id, body),
    });

    api.route({
      method: "post",
      path: "/admin/bookings/:id/refund",
      tags: ["Admin"],
      summary: "Refund a released booking, in part or in full",
      description:
        "For money already released: `refundAmount` (1 to the price) goes back to the customer, the contractor's Transfer is reversed for their share of it and the commission on it is given back. The booking becomes `partially_refunded` or `refunded`. Audit-logged with the note.",
      access: ["admin"],
      params: bookingIdParams,
      body: resolveBody,
      response: { status: 200, description: "The booking after the refund", schema: bookingSchema },
      errors: [bookingErrors.notFound, bookingErrors.invalidTransition, paymentErrors.currencyMismatch],
      examples: {
        request: {
          refundAmount: { amount: 24000, currency: "gbp" },
          note: "Work redone by another contractor",
        },
        response: {
          ...resolvedBooking,
          // Released without a dispute, then refunded: no side was stated.
          disputeReason: null,
          disputeResponse: null,
          status: "refunded",
          refundAmount: { amount: 24000, currency: "gbp" },
          history: [
            ...disputedBooking.history.slice(0, 3),
            {
              status: "released",
              from: "funded",
              at: "2026-12-07T19:30:00.000Z",
              by: customerId,
              note: null,
            },
            {
              status: "refunded",
              from: "released",
              at: "2026-12-09T09:00:00.000Z",
              by: adminId,
              note: "Work redone by another contractor",
            },
          ],
        },
      },
      handler: ({ user, params, body }) => service.refundReleased(user, params.id, body),
    });

    api.route({
      method: "get",
      path: "/admin/settings/commission",
      tags: ["Admin"],
      summary: "The commission in force",
      access: ["admin"],
      response: { status: 200, description: "The commission settings", schema: commissionSchema },
      examples: { response: { rateBps: 1000, fixedFee: { amount: 50, currency: "gbp" } } },
      handler: () => service.commission(),
    });

    api.route({
      method: "put",
      path: "/admin/settings/commission",
      tags: ["Admin"],
      summary: "Change the commission",
      description:
        "Applies to bookings paid from now on; a booking already paid keeps the commission frozen on it. Audit-logged.",
      access: ["admin"],
      body: commissionBody,
      response: { status: 200, description: "The commission now in force", schema: commissionSchema },
      examples: {
        request: { rateBps: 1200, fixedFee: { amount: 50, currency: "gbp" } },
        response: { rateBps: 1200, fixedFee: { amount: 50, currency: "gbp" } },
      },
      handler: ({ user, body }) => service.setCommission(user, body),
    });

    api.route({
      method: "post",
      path: "/webhooks/stripe",
      tags: ["Payments"],
      summary: "Stripe webhook endpoint",
      description:
        "For Stripe only. The `Stripe-Signature` header is verified on the raw body with `STRIPE_WEBHOOK_SECRET` (tolerance `STRIPE_WEBHOOK_TOLERANCE`); a bad or stale signature is 400 and nothing is stored. Each event is stored by id and processed once, in the background; a repeated delivery is answered `duplicate: true` and changes nothing.",
      access: "public",
      response: { status: 200, description: "Stored for processing", schema: webhookAnswerSchema },
      errors: [paymentErrors.badSignature, coreErrors.tooLarge],
      examples: { response: { received: true, duplicate: false } },
      handler: async ({ req }) => {
        const received = await intake.receive(await rawBody(req), req.get("stripe-signature"));
        return { received: true as const, duplicate: received.duplicate };
      },
    });
  };
}
