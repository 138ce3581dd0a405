import { eq } from "drizzle-orm";
import { drizzle } from "drizzle-orm/node-postgres";
import type pg from "pg";
import * as schema from "../../db/schema.js";
import {
  type ConnectedAccount,
  PaymentDeclined,
  type PaymentGateway,
  type PaymentIntentView,
  type TransferView,
} from "./gateway.js";
import { simulatedKeys, simulatedObjects } from "./payments.tables.js";
import {
  createStripeModel,
  type ModelAnswer,
  type ModelRequest,
  type ModelStore,
  type StripeEvent,
  type StripeModel,
  type StripeObject,
} from "./stripe-model.js";

/**
 * The model's objects in two tables, written on a pool of their own: like Stripe's, they exist as soon as a
 * call returns, whatever becomes of the caller's transaction, and a caller holding every connection of the
 * main pool cannot starve them.
 */
function tableStore(pool: pg.Pool): ModelStore {
  const db = drizzle(pool, { schema, casing: "snake_case" });
  return {
    async get(id) {
      const [row] = await db.select().from(simulatedObjects).where(eq(simulatedObjects.id, id));
      return row?.body as StripeObject | undefined;
    },
    async put(value) {
      await db
        .insert(simulatedObjects)
        .values({ id: value.id, object: value.object, body: value })
        .onConflictDoUpdate({ target: simulatedObjects.id, set: { body: value } });
    },
    async list(object) {
      const rows = await db.select().from(simulatedObjects).where(eq(simulatedObjects.object, object));
      return rows.map((row) => row.body as StripeObject);
    },
    async recall(key) {
      const [row] = await db.select().from(simulatedKeys).where(eq(simulatedKeys.key, key));
      return row ? { fingerprint: row.fingerprint, answer: row.answer as ModelAnswer } : undefined;
    },
    async remember(key, entry) {
      await db
        .insert(simulatedKeys)
        .values({ key, fingerprint: entry.fingerprint, answer: entry.answer })
        .onConflictDoNothing();
    },
  };
}

/** A gateway error other than a decline: the call failed and may be retried with the same key. */
export class GatewayError extends Error {
  override name = "GatewayError";
  constructor(
    message: string,
    readonly status: number,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

async function answerOf(model: StripeModel, request: ModelRequest): Promise<StripeObject> {
  const answer = await model.call(request);
  if ("error" in answer.body) {
    const error = answer.body.error as {
      type: string;
      message: string;
      code?: string;
      decline_code?: string;
    };
    if (answer.status === 402 && error.type === "card_error") {
      throw new PaymentDeclined(error.message, error.decline_code ?? error.code ?? null);
    }
    throw new GatewayError(error.message, answer.status, error.code);
  }
  return answer.body as StripeObject;
}

const account = (value: StripeObject): ConnectedAccount => ({
  id: value.id,
  chargesEnabled: value.charges_enabled,
  payoutsEnabled: value.payouts_enabled,
  detailsSubmitted: value.details_submitted,
  transfersEnabled: value.capabilities?.transfers === "active",
});

const intent = (value: StripeObject): PaymentIntentView => ({
  id: value.id,
  status: value.status,
  amount: value.amount,
  currency: value.currency,
  clientSecret: value.client_secret,
  latestCharge: value.latest_charge,
  metadata: value.metadata,
  transferGroup: value.transfer_group,
});

const transfer = (value: StripeObject): TransferView => ({
  id: value.id,
  amount: value.amount,
  amountReversed: value.amount_reversed,
  currency: value.currency,
  destination: value.destination,
  sourceTransaction: value.source_transaction,
  transferGroup: value.transfer_group,
});

/**
 * The offline gateway: Stripe test mode in process. Its events go through `deliver`, the webhook endpoint's
 * own intake (signature, store by id, processing job), so everything above the gateway runs as with Stripe.
 * Connected accounts finish onboarding as soon as they are created, as the API guide promises.
 */
export function createSimulatedGateway(options: {
  pool: pg.Pool;
  deliver: (event: StripeEvent) => Promise<void>;
}): PaymentGateway & { model: StripeModel } {
  const model = createStripeModel(tableStore(options.pool), options.deliver);
  return {
    mode: "simulated",
    model,
    async createAccount({ userId, idempotencyKey }) {
      const created = await answerOf(model, {
        method: "POST",
        path: "/v1/accounts",
        params: {
          type: "express",
          capabilities: { transfers: { requested: "true" } },
          settings: { payouts: { schedule: { interval: "manual" } } },
          metadata: { userId },
        },
        idempotencyKey,
      });
      return account(await model.completeOnboarding(created.id));
    },
    async retrieveAccount(accountId) {
      return account(await answerOf(model, { method: "GET", path: `/v1/accounts/${accountId}`, params: {} }));
    },
    async accountLink(accountId, urls) {
      // Onboarding is complete already: the link leads straight back to the app.
      await answerOf(model, { method: "GET", path: `/v1/accounts/${accountId}`, params: {} });
      return urls.returnUrl;
    },
    async createPaymentIntent(input) {
      return intent(
        await answerOf(model, {
          method: "POST",
          path: "/v1/payment_intents",
          params: {
            amount: input.amount,
            currency: input.currency,
            transfer_group: input.transferGroup,
            metadata: input.metadata,
          },
          idempotencyKey: input.idempotencyKey,
        }),
      );
    },
    async confirmPaymentIntent(id, paymentMethod, idempotencyKey) {
      return intent(
        await answerOf(model, {
          method: "POST",
          path: `/v1/payment_intents/${id}/confirm`,
          params: { payment_method: paymentMethod },
          idempotencyKey,
        }),
      );
    },
    async retrievePaymentIntent(id) {
      return intent(await answerOf(model, { method: "GET", path: `/v1/payment_intents/${id}`, params: {} }));
    },
    async cancelPaymentIntent(id, idempotencyKey) {
      return intent(
        await answerOf(model, {
          method: "POST",
          path: `/v1/payment_intents/${id}/cancel`,
          params: {},
          idempotencyKey,
        }),
      );
    },
    async createTransfer(input) {
      return transfer(
        await answerOf(model, {
          method: "POST",
          path: "/v1/transfers",
          params: {
            amount: input.amount,
            currency: input.currency,
            destination: input.destination,
            source_transaction: input.sourceTransaction,
            transfer_group: input.transferGroup,
            metadata: input.metadata,
          },
          idempotencyKey: input.idempotencyKey,
        }),
      );
    },
    async retrieveTransfer(id) {
      return transfer(await answerOf(model, { method: "GET", path: `/v1/transfers/${id}`, params: {} }));
    },
    async reverseTransfer(input) {
      const reversal = await answerOf(model, {
        method: "POST",
        path: `/v1/transfers/${input.transferId}/reversals`,
        params: { amount: input.amount, metadata: input.metadata },
        idempotencyKey: input.idempotencyKey,
      });
      return { id: reversal.id, amount: reversal.amount };
    },
    async createRefund(input) {
      const refund = await answerOf(model, {
        method: "POST",
        path: "/v1/refunds",
        params: { payment_intent: input.paymentIntent, amount: input.amount, metadata: input.metadata },
        idempotencyKey: input.idempotencyKey,
      });
      return { id: refund.id, amount: refund.amount, status: refund.status };
    },
    async createPayout(input) {
      const payout = await answerOf(model, {
        method: "POST",
        path: "/v1/payouts",
        params: { amount: input.amount, currency: input.currency, metadata: input.metadata },
        idempotencyKey: input.idempotencyKey,
        account: input.account,
      });
      return { id: payout.id, amount: payout.amount, currency: payout.currency, status: payout.status };
    },
    async retrievePayout(accountId, id) {
      const payout = await answerOf(model, {
        method: "GET",
        path: `/v1/payouts/${id}`,
        params: {},
        account: accountId,
      });
      return { id: payout.id, amount: payout.amount, currency: payout.currency, status: payout.status };
    },
  };
}

/** The simulated gateway's model of Stripe (tests drive chargebacks and failed payouts through it). */
export function simulatedModel(gateway: PaymentGateway): StripeModel | undefined {
  return "model" in gateway ? (gateway as PaymentGateway & { model: StripeModel }).model : undefined;
}
