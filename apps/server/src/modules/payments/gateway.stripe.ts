import Stripe from "stripe";
import {
  type ConnectedAccount,
  PaymentDeclined,
  type PaymentGateway,
  type PaymentIntentView,
  type TransferView,
} from "./gateway.js";

export interface StripeGatewayOptions {
  secretKey: string;
  /** Another API base (a local double in tests): `http://127.0.0.1:12111`. */
  apiBase?: string;
  timeoutMs: number;
}

/** The SDK pointed at Stripe, or at the base the settings name. */
export function stripeClient(options: StripeGatewayOptions): Stripe {
  const base = options.apiBase ? new URL(options.apiBase) : undefined;
  return new Stripe(options.secretKey, {
    // Retries reuse the idempotency key the SDK was given, so a retried money call is answered, not repeated.
    maxNetworkRetries: 2,
    timeout: options.timeoutMs,
    ...(base
      ? {
          host: base.hostname,
          port: base.port || (base.protocol === "https:" ? 443 : 80),
          protocol: base.protocol === "https:" ? "https" : "http",
        }
      : {}),
  });
}

function account(value: Stripe.Account): ConnectedAccount {
  return {
    id: value.id,
    chargesEnabled: value.charges_enabled ?? false,
    payoutsEnabled: value.payouts_enabled ?? false,
    detailsSubmitted: value.details_submitted ?? false,
    transfersEnabled: value.capabilities?.transfers === "active",
  };
}

function idOf(value: string | { id: string } | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  return typeof value === "string" ? value : value.id;
}

function intent(value: Stripe.PaymentIntent): PaymentIntentView {
  return {
    id: value.id,
    status: value.status,
    amount: value.amount,
    currency: value.currency,
    clientSecret: value.client_secret,
    latestCharge: idOf(value.latest_charge),
    metadata: value.metadata ?? {},
    transferGroup: value.transfer_group ?? null,
  };
}

function transfer(value: Stripe.Transfer): TransferView {
  return {
    id: value.id,
    amount: value.amount,
    amountReversed: value.amount_reversed,
    currency: value.currency,
    destination: idOf(value.destination) ?? "",
    sourceTransaction: idOf(value.source_transaction),
    transferGroup: value.transfer_group ?? null,
  };
}

/** The official SDK; used when `STRIPE_SECRET_KEY` is set. */
export function createStripeGateway(options: StripeGatewayOptions): PaymentGateway {
  const stripe = stripeClient(options);
  return {
    mode: "stripe",
    async createAccount({ userId, idempotencyKey }) {
      const created = await stripe.accounts.create(
        {
          type: "express",
          capabilities: { transfers: { requested: true } },
          // Money reaches the contractor's bank only when they ask for a withdrawal.
          settings: { payouts: { schedule: { interval: "manual" } } },
          metadata: { userId },
        },
        { idempotencyKey },
      );
      return account(created);
    },
    async retrieveAccount(accountId) {
      return account(await stripe.accounts.retrieve(accountId));
    },
    async accountLink(accountId, urls) {
      const link = await stripe.accountLinks.create({
        account: accountId,
        type: "account_onboarding",
        return_url: urls.returnUrl,
        refresh_url: urls.refreshUrl,
      });
      return link.url;
    },
    async createPaymentIntent(input) {
      return intent(
        await stripe.paymentIntents.create(
          {
            amount: input.amount,
            currency: input.currency,
            transfer_group: input.transferGroup,
            metadata: input.metadata,
            automatic_payment_methods: { enabled: true, allow_redirects: "never" },
          },
          { idempotencyKey: input.idempotencyKey },
        ),
      );
    },
    async confirmPaymentIntent(id, paymentMethod, idempotencyKey) {
      try {
        return intent(
          await stripe.paymentIntents.confirm(id, { payment_method: paymentMethod }, { idempotencyKey }),
        );
      } catch (error) {
        if (error instanceof Stripe.errors.StripeCardError) {
          throw new PaymentDeclined(error.message, error.decline_code ?? error.code ?? null);
        }
        throw error;
      }
    },
    async retrievePaymentIntent(id) {
      return intent(await stripe.paymentIntents.retrieve(id));
    },
    async cancelPaymentIntent(id, idempotencyKey) {
      return intent(await stripe.paymentIntents.cancel(id, {}, { idempotencyKey }));
    },
    async createTransfer(input) {
      return transfer(
        await stripe.transfers.create(
          {
            amount: input.amount,
            currency: input.currency,
            destination: input.destination,
            source_transaction: input.sourceTransaction,
            transfer_group: input.transferGroup,
            metadata: input.metadata,
          },
          { idempotencyKey: input.idempotencyKey },
        ),
      );
    },
    async retrieveTransfer(id) {
      return transfer(await stripe.transfers.retrieve(id));
    },
    async reverseTransfer(input) {
      const reversal = await stripe.transfers.createReversal(
        input.transferId,
        { amount: input.amount, metadata: input.metadata },
        { idempotencyKey: input.idempotencyKey },
      );
      return { id: reversal.id, amount: reversal.amount };
    },
    async createRefund(input) {
      const refund = await stripe.refunds.create(
        { payment_intent: input.paymentIntent, amount: input.amount, metadata: input.metadata },
        { idempotencyKey: input.idempotencyKey },
      );
      return { id: refund.id, amount: refund.amount, status: refund.status ?? "pending" };
    },
    async createPayout(input) {
      const payout = await stripe.payouts.create(
        { amount: input.amount, currency: input.currency, metadata: input.metadata },
        { idempotencyKey: input.idempotencyKey, stripeAccount: input.account },
      );
      return { id: payout.id, amount: payout.amount, currency: payout.currency, status: payout.status };
    },
    async retrievePayout(accountId, id) {
      const payout = await stripe.payouts.retrieve(id, {}, { stripeAccount: accountId });
      return { id: payout.id, amount: payout.amount, currency: payout.currency, status: payout.status };
    },
  };
}
