import { createHash, randomBytes } from "node:crypto";

/**
 * Stripe test mode in miniature: the objects escrow uses (accounts, PaymentIntents and their charges,
 * transfers and reversals, refunds, payouts), shaped and named as Stripe's API returns them, with Stripe's
 * idempotency (a key replays its first answer; the same key with other parameters is an error), its test
 * payment methods, and the events Stripe would send. The simulated gateway runs it in process; the tests
 * serve it over HTTP for the real SDK to talk to.
 */

// biome-ignore lint/suspicious/noExplicitAny: Stripe objects are open JSON documents here, as on the wire
export type StripeObject = { id: string; object: string } & Record<string, any>;

export interface StripeEvent {
  id: string;
  object: "event";
  type: string;
  created: number;
  api_version: string;
  livemode: false;
  /** The connected account the event happened on (payouts). */
  account?: string;
  data: { object: StripeObject };
}

/** Where the model keeps its objects: memory for the test double, a table for the simulated gateway. */
export interface ModelStore {
  get(id: string): Promise<StripeObject | undefined>;
  put(value: StripeObject): Promise<void>;
  list(object: string): Promise<StripeObject[]>;
  recall(key: string): Promise<{ fingerprint: string; answer: ModelAnswer } | undefined>;
  remember(key: string, entry: { fingerprint: string; answer: ModelAnswer }): Promise<void>;
}

export type ModelAnswer = { status: number; body: StripeObject | { error: StripeErrorBody } };

export interface StripeErrorBody {
  type: "card_error" | "invalid_request_error" | "idempotency_error";
  code?: string;
  decline_code?: string;
  message: string;
  param?: string;
  payment_intent?: StripeObject;
}

export class ModelError extends Error {
  constructor(
    readonly status: number,
    readonly body: StripeErrorBody,
  ) {
    super(body.message);
  }
}

export function memoryStore(): ModelStore {
  const objects = new Map<string, StripeObject>();
  const keys = new Map<string, { fingerprint: string; answer: ModelAnswer }>();
  return {
    get: async (id) => structuredClone(objects.get(id)),
    put: async (value) => {
      objects.set(value.id, structuredClone(value));
    },
    list: async (object) => [...objects.values()].filter((value) => value.object === object),
    recall: async (key) => keys.get(key),
    remember: async (key, entry) => {
      keys.set(key, entry);
    },
  };
}

export const apiVersion = "2026-10-28.endive";

const newId = (prefix: string) => `${prefix}_${randomBytes(12).toString("base64url").replace(/[-_]/g, "x")}`;
const now = () => Math.floor(Date.now() / 1000);

function invalid(message: string, param?: string): ModelError {
  return new ModelError(400, { type: "invalid_request_error", message, ...(param ? { param } : {}) });
}

/** The request a call makes: what it does, to which object, with which parameters, as which account. */
export interface ModelRequest {
  method: "GET" | "POST";
  path: string;
  // biome-ignore lint/suspicious/noExplicitAny: form-decoded Stripe parameters, checked per operation
  params: Record<string, any>;
  idempotencyKey?: string;
  /** `Stripe-Account`: the connected account the call acts on. */
  account?: string;
}

function int(value: unknown, param: string): number {
  const number = typeof value === "string" ? Number(value) : value;
  if (typeof number !== "number" || !Number.isInteger(number) || number < 1) {
    throw invalid(`Invalid integer: ${String(value)}`, param);
  }
  return number;
}

function text(value: unknown, param: string): string {
  if (typeof value !== "string" || value.length === 0)
    throw invalid(`Missing required param: ${param}.`, param);
  return value;
}

function metadata(value: unknown): Record<string, string> {
  return value && typeof value === "object" ? (value as Record<string, string>) : {};
}

/**
 * Runs Stripe's operations on a store. Calls are serialised (one at a time), as Stripe serialises requests on
 * one object; events produced by a call are handed to `emit` after it.
 */
export function createStripeModel(store: ModelStore, deliver: (event: StripeEvent) => Promise<void>) {
  let queue: Promise<unknown> = Promise.resolve();
  // While held, events wait, as when Stripe's delivery is slow: later calls may be answered first.
  let held: StripeEvent[] | undefined;
  const emit = async (event: StripeEvent) => {
    if (held) held.push(event);
    else await deliver(event);
  };
  const serial = <T>(work: () => Promise<T>): Promise<T> => {
    const run = queue.then(work, work);
    queue = run.catch(() => undefined);
    return run;
  };

  function event(type: string, object: StripeObject, account?: string): StripeEvent {
    return {
      id: newId("evt"),
      object: "event",
      type,
      created: now(),
      api_version: apiVersion,
      livemode: false,
      ...(account ? { account } : {}),
      data: { object },
    };
  }

  async function must(id: string, object: string, param = "id"): Promise<StripeObject> {
    const found = await store.get(id);
    if (!found || found.object !== object) {
      throw new ModelError(404, {
        type: "invalid_request_error",
        code: "resource_missing",
        message: `No such ${object}: '${id}'`,
        param,
      });
    }
    return found;
  }

  /** Money on a connected account: transferred in, minus reversals, minus payouts not failed. */
  async function connectedBalance(account: string, currency: string): Promise<number> {
    let balance = 0;
    for (const transfer of await store.list("transfer")) {
      if (transfer.destination === account && transfer.currency === currency)
        balance += transfer.amount - transfer.amount_reversed;
    }
    for (const payout of await store.list("payout")) {
      if (payout.account === account && payout.currency === currency && payout.status !== "failed")
        balance -= payout.amount;
    }
    return balance;
  }

  type Produced = { status: number; body: StripeObject; events: StripeEvent[] };

  async function operate(request: ModelRequest): Promise<Produced> {
    const { method, path, params } = request;
    const parts = path.replace(/^\/v1\//, "").split("/");
    const ok = (body: StripeObject, events: StripeEvent[] = []): Produced => ({ status: 200, body, events });

    if (method === "POST" && path === "/v1/accounts") {
      const account: StripeObject = {
        id: newId("acct"),
        object: "account",
        type: text(params.type, "type"),
        email: params.email ?? null,
        charges_enabled: false,
        payouts_enabled: false,
        details_submitted: false,
        capabilities: { transfers: "inactive" },
        settings: {
          payouts: { schedule: { interval: params.settings?.payouts?.schedule?.interval ?? "daily" } },
        },
        metadata: metadata(params.metadata),
        created: now(),
      };
      await store.put(account);
      return ok(account);
    }
    if (parts[0] === "accounts" && parts.length === 2) {
      const account = await must(parts[1] ?? "", "account");
      if (method === "GET") return ok(account);
    }
    if (method === "POST" && path === "/v1/account_links") {
      const account = await must(text(params.account, "account"), "account", "account");
      text(params.return_url, "return_url");
      text(params.refresh_url, "refresh_url");
      return ok({
        id: newId("acctlink"),
        object: "account_link",
        created: now(),
        expires_at: now() + 300,
        url: `https://connect.stripe.com/setup/e/${account.id}/${randomBytes(9).toString("base64url")}`,
      });
    }
    if (method === "POST" && path === "/v1/payment_intents") {
      const id = newId("pi");
      const intent: StripeObject = {
        id,
        object: "payment_intent",
        amount: int(params.amount, "amount"),
        amount_received: 0,
        currency: text(params.currency, "currency").toLowerCase(),
        status: "requires_payment_method",
        client_secret: `${id}_secret_${randomBytes(12).toString("base64url")}`,
        transfer_group: params.transfer_group ?? null,
        metadata: metadata(params.metadata),
        latest_charge: null,
        payment_method: null,
        next_action: null,
        last_payment_error: null,
        created: now(),
      };
      await store.put(intent);
      return ok(intent);
    }
    if (parts[0] === "payment_intents" && parts.length >= 2) {
      const intent = await must(parts[1] ?? "", "payment_intent");
      if (method === "GET" && parts.length === 2) return ok(intent);
      if (method === "POST" && parts[2] === "cancel") {
        if (intent.status === "succeeded" || intent.status === "canceled") {
          throw new ModelError(400, {
            type: "invalid_request_error",
            code: "payment_intent_unexpected_state",
            message: `You cannot cancel this PaymentIntent because it has a status of ${intent.status}.`,
          });
        }
        intent.status = "canceled";
        await store.put(intent);
        return ok(intent, [event("payment_intent.canceled", intent)]);
      }
      if (method === "POST" && parts[2] === "confirm") return confirm(intent, params);
    }
    if (method === "POST" && path === "/v1/transfers") {
      const amount = int(params.amount, "amount");
      const destination = await must(text(params.destination, "destination"), "account", "destination");
      if (destination.capabilities?.transfers !== "active") {
        throw invalid(
          "Your destination account needs to have at least one of the following capabilities enabled: transfers",
          "destination",
        );
      }
      const source = params.source_transaction
        ? await must(params.source_transaction, "charge", "source_transaction")
        : undefined;
      if (source) {
        const transferred = (await store.list("transfer"))
          .filter((transfer) => transfer.source_transaction === source.id)
          .reduce((sum, transfer) => sum + transfer.amount, 0);
        if (transferred + amount > source.amount - source.amount_refunded) {
          throw invalid(
            "Transfers using this transaction as a source must not exceed the source amount.",
            "amount",
          );
        }
      }
      const transfer: StripeObject = {
        id: newId("tr"),
        object: "transfer",
        amount,
        amount_reversed: 0,
        currency: text(params.currency, "currency").toLowerCase(),
        destination: destination.id,
        source_transaction: source?.id ?? null,
        transfer_group: params.transfer_group ?? null,
        metadata: metadata(params.metadata),
        reversed: false,
        created: now(),
      };
      await store.put(transfer);
      return ok(transfer);
    }
    if (parts[0] === "transfers" && parts.length >= 2) {
      const transfer = await must(parts[1] ?? "", "transfer");
      if (method === "GET" && parts.length === 2) return ok(transfer);
      if (method === "POST" && parts[2] === "reversals") {
        const amount =
          params.amount === undefined
            ? transfer.amount - transfer.amount_reversed
            : int(params.amount, "amount");
        if (amount > transfer.amount - transfer.amount_reversed) {
          throw invalid("Amount must be no more than the transfer's unreversed amount.", "amount");
        }
        if ((await connectedBalance(transfer.destination, transfer.currency)) < amount) {
          throw new ModelError(400, {
            type: "invalid_request_error",
            code: "balance_insufficient",
            message: "The connected account's balance is too low to reverse this transfer.",
          });
        }
        transfer.amount_reversed += amount;
        transfer.reversed = transfer.amount_reversed === transfer.amount;
        await store.put(transfer);
        return ok({
          id: newId("trr"),
          object: "transfer_reversal",
          amount,
          currency: transfer.currency,
          transfer: transfer.id,
          metadata: metadata(params.metadata),
          created: now(),
        });
      }
    }
    if (method === "POST" && path === "/v1/refunds") {
      const intent = await must(
        text(params.payment_intent, "payment_intent"),
        "payment_intent",
        "payment_intent",
      );
      if (intent.status !== "succeeded" || !intent.latest_charge) {
        throw invalid("This PaymentIntent does not have a successful charge to refund.", "payment_intent");
      }
      const charge = await must(intent.latest_charge, "charge");
      const amount =
        params.amount === undefined ? charge.amount - charge.amount_refunded : int(params.amount, "amount");
      if (amount > charge.amount - charge.amount_refunded) {
        throw new ModelError(400, {
          type: "invalid_request_error",
          code: "charge_already_refunded",
          message: `Refund amount (${amount}) is greater than unrefunded amount on charge (${charge.amount - charge.amount_refunded})`,
          param: "amount",
        });
      }
      const refund: StripeObject = {
        id: newId("re"),
        object: "refund",
        amount,
        currency: charge.currency,
        charge: charge.id,
        payment_intent: intent.id,
        status: "succeeded",
        metadata: metadata(params.metadata),
        created: now(),
      };
      charge.amount_refunded += amount;
      charge.refunded = charge.amount_refunded === charge.amount;
      await store.put(refund);
      await store.put(charge);
      return ok(refund, [event("charge.refunded", charge)]);
    }
    if (method === "POST" && path === "/v1/payouts") {
      if (!request.account) throw invalid("Payouts from a connected account need the Stripe-Account header.");
      const account = await must(request.account, "account", "Stripe-Account");
      const amount = int(params.amount, "amount");
      const currency = text(params.currency, "currency").toLowerCase();
      if ((await connectedBalance(account.id, currency)) < amount) {
        throw new ModelError(400, {
          type: "invalid_request_error",
          code: "balance_insufficient",
          message: "You have insufficient funds in your Stripe account for this transfer.",
        });
      }
      const payout: StripeObject = {
        id: newId("po"),
        object: "payout",
        amount,
        currency,
        status: "pending",
        account: account.id,
        method: "standard",
        metadata: metadata(params.metadata),
        failure_code: null,
        created: now(),
        arrival_date: now() + 86_400,
      };
      await store.put(payout);
      // Test mode pays a payout out at once; a failure arrives later as its own event.
      const paid: StripeObject = { ...payout, status: "paid" };
      await store.put(paid);
      const { account: _owner, ...shown } = payout;
      const { account: _paidOwner, ...shownPaid } = paid;
      return ok(shown as StripeObject, [event("payout.paid", shownPaid as StripeObject, account.id)]);
    }
    if (parts[0] === "payouts" && parts.length === 2 && method === "GET") {
      const payout = await must(parts[1] ?? "", "payout");
      if (payout.account !== request.account) {
        throw new ModelError(404, {
          type: "invalid_request_error",
          code: "resource_missing",
          message: `No such payout: '${payout.id}'`,
        });
      }
      const { account: _owner, ...shown } = payout;
      return ok(shown as StripeObject);
    }
    throw new ModelError(404, {
      type: "invalid_request_error",
      message: `Unrecognized request URL (${method}: ${path}).`,
    });
  }

  async function confirm(intent: StripeObject, params: Record<string, unknown>): Promise<Produced> {
    if (intent.status === "succeeded" || intent.status === "canceled") {
      throw new ModelError(400, {
        type: "invalid_request_error",
        code: "payment_intent_unexpected_state",
        message: `This PaymentIntent's status is ${intent.status}, so it cannot be confirmed.`,
      });
    }
    const method = text(params.payment_method, "payment_method");
    intent.payment_method = method;
    if (method === "pm_card_chargeDeclined" || method === "pm_card_visa_chargeDeclined") {
      intent.status = "requires_payment_method";
      intent.last_payment_error = {
        type: "card_error",
        code: "card_declined",
        decline_code: "generic_decline",
        message: "Your card was declined.",
      };
      await store.put(intent);
      const failed = event("payment_intent.payment_failed", intent);
      throw Object.assign(
        new ModelError(402, {
          type: "card_error",
          code: "card_declined",
          decline_code: "generic_decline",
          message: "Your card was declined.",
          payment_intent: intent,
        }),
        { events: [failed] },
      );
    }
    if (method === "pm_card_authenticationRequired" || method === "pm_card_threeDSecure2Required") {
      intent.status = "requires_action";
      intent.next_action = { type: "use_stripe_sdk", use_stripe_sdk: {} };
      await store.put(intent);
      return ok(intent);
    }
    if (!method.startsWith("pm_")) throw invalid(`No such PaymentMethod: '${method}'`, "payment_method");
    const charge: StripeObject = {
      id: newId("ch"),
      object: "charge",
      amount: intent.amount,
      amount_captured: intent.amount,
      amount_refunded: 0,
      currency: intent.currency,
      payment_intent: intent.id,
      paid: true,
      refunded: false,
      disputed: false,
      status: "succeeded",
      transfer_group: intent.transfer_group,
      metadata: intent.metadata,
      created: now(),
    };
    intent.status = "succeeded";
    intent.amount_received = intent.amount;
    intent.latest_charge = charge.id;
    intent.last_payment_error = null;
    await store.put(charge);
    await store.put(intent);
    return ok(intent, [event("charge.succeeded", charge), event("payment_intent.succeeded", intent)]);

    function ok(body: StripeObject, events: StripeEvent[] = []): Produced {
      return { status: 200, body, events };
    }
  }

  return {
    /** One API call, answered as Stripe answers it; replayed when its idempotency key was seen before. */
    async call(request: ModelRequest): Promise<ModelAnswer> {
      const { answer, events } = await serial(async () => {
        const fingerprint = createHash("sha256")
          .update(JSON.stringify([request.method, request.path, request.account ?? null, request.params]))
          .digest("hex");
        if (request.method === "POST" && request.idempotencyKey) {
          const seen = await store.recall(request.idempotencyKey);
          if (seen && seen.fingerprint !== fingerprint) {
            return {
              answer: {
                status: 400,
                body: {
                  error: {
                    type: "idempotency_error" as const,
                    message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${request.idempotencyKey}' if you meant to execute a different request.`,
                  },
                },
              },
              events: [] as StripeEvent[],
            };
          }
          if (seen) return { answer: seen.answer, events: [] as StripeEvent[] };
        }
        let produced: { answer: ModelAnswer; events: StripeEvent[] };
        try {
          const result = await operate(request);
          produced = { answer: { status: result.status, body: result.body }, events: result.events };
        } catch (error) {
          if (!(error instanceof ModelError)) throw error;
          produced = {
            answer: { status: error.status, body: { error: error.body } },
            events: (error as ModelError & { events?: StripeEvent[] }).events ?? [],
          };
        }
        if (request.method === "POST" && request.idempotencyKey) {
          await store.remember(request.idempotencyKey, { fingerprint, answer: produced.answer });
        }
        return produced;
      });
      for (const produced of events) await emit(produced);
      return answer;
    },

    /** Test mode's "complete onboarding": the account can take transfers and pay out. */
    async completeOnboarding(accountId: string): Promise<StripeObject> {
      const account = await serial(async () => {
        const found = await must(accountId, "account");
        found.charges_enabled = true;
        found.payouts_enabled = true;
        found.details_submitted = true;
        found.capabilities = { transfers: "active" };
        await store.put(found);
        return found;
      });
      await emit(event("account.updated", account));
      return account;
    },

    /** A payout that the bank returned: Stripe marks it failed and the money is back on the account. */
    async failPayout(payoutId: string): Promise<StripeObject> {
      const payout = await serial(async (): Promise<StripeObject> => {
        const found = await must(payoutId, "payout");
        found.status = "failed";
        found.failure_code = "account_closed";
        await store.put(found);
        return found;
      });
      const { account, ...shown } = payout;
      await emit(event("payout.failed", shown as StripeObject, account));
      return payout;
    },

    /** A cardholder's chargeback on a charge (`charge.dispute.created`). */
    async openChargeback(chargeId: string): Promise<StripeObject> {
      const dispute = await serial(async () => {
        const charge = await must(chargeId, "charge");
        charge.disputed = true;
        await store.put(charge);
        const created: StripeObject = {
          id: newId("dp"),
          object: "dispute",
          amount: charge.amount,
          currency: charge.currency,
          charge: charge.id,
          payment_intent: charge.payment_intent,
          reason: "fraudulent",
          status: "needs_response",
          created: now(),
        };
        await store.put(created);
        return created;
      });
      await emit(event("charge.dispute.created", dispute));
      return dispute;
    },

    /** The card network's decision on a chargeback (`charge.dispute.closed`, `won` or `lost`). */
    async closeChargeback(disputeId: string, outcome: "won" | "lost"): Promise<StripeObject> {
      const dispute = await serial(async () => {
        const found = await must(disputeId, "dispute");
        found.status = outcome;
        await store.put(found);
        return found;
      });
      await emit(event("charge.dispute.closed", dispute));
      return dispute;
    },

    /** Holds back every event from now until `releaseEvents`. */
    holdEvents(): void {
      held ??= [];
    },
    /** Delivers the held events, in the order they happened. */
    async releaseEvents(): Promise<void> {
      const pending = held ?? [];
      held = undefined;
      for (const event of pending) await deliver(event);
    },

    get: (id: string) => store.get(id),
    list: (object: string) => store.list(object),
  };
}

export type StripeModel = ReturnType<typeof createStripeModel>;
