import { and, eq, isNull } from "drizzle-orm";
import type pg from "pg";
import Stripe from "stripe";
import type { Clock } from "../../clock.js";
import { transaction } from "../../db/transaction.js";
import { AppError } from "../../http/errors.js";
import type { JobQueue } from "../../jobs/queue.js";
import { paymentErrors } from "./payments.errors.js";
import { webhookEvents } from "./payments.tables.js";
import type { StripeEvent } from "./stripe-model.js";

export const webhookQueue = "payment.webhook";

export interface WebhookIntakeDeps {
  pool: pg.Pool;
  jobs: JobQueue;
  clock: Clock;
  secret: string;
  toleranceSeconds: number;
}

/**
 * The one way an event enters: its signature is checked on the raw body (Stripe's scheme, with a tolerance
 * against replays), then it is stored by id and its processing job enqueued in the same transaction. A
 * duplicate delivery finds its id stored and changes nothing. Answering needs no gateway call, so Stripe is
 * answered fast; the work happens in the job.
 */
export function createWebhookIntake(deps: WebhookIntakeDeps) {
  async function receive(
    raw: Buffer | string,
    signature: string | undefined,
  ): Promise<{ id: string; duplicate: boolean }> {
    let event: StripeEvent;
    try {
      // Stripe's timestamps are wall-clock time, whatever clock the rest of the server is given.
      event = Stripe.webhooks.constructEvent(
        raw,
        signature ?? "",
        deps.secret,
        deps.toleranceSeconds,
      ) as unknown as StripeEvent;
    } catch (error) {
      throw new AppError(
        paymentErrors.badSignature,
        signature
          ? "The Stripe-Signature header does not match this body, or its timestamp is outside the tolerance"
          : "The Stripe-Signature header is missing",
        { cause: error },
      );
    }
    if (typeof event?.id !== "string" || typeof event.type !== "string" || !event.data?.object) {
      throw new AppError(paymentErrors.badSignature, "The body is not a Stripe event");
    }
    return transaction(deps.pool, async (tx) => {
      const stored = await tx.db
        .insert(webhookEvents)
        .values({
          id: event.id,
          type: event.type,
          account: event.account ?? null,
          payload: event,
          receivedAt: deps.clock.now(),
        })
        .onConflictDoNothing()
        .returning({ id: webhookEvents.id });
      if (stored.length > 0) {
        await deps.jobs.send(
          webhookQueue,
          { eventId: event.id },
          { db: tx, retryLimit: 12, retryDelay: 1, retryBackoff: true },
        );
      }
      return { id: event.id, duplicate: stored.length === 0 };
    });
  }

  return {
    receive,
    /** The simulated gateway's delivery: signed as Stripe signs, then received like any other. */
    async deliver(event: StripeEvent): Promise<void> {
      const payload = JSON.stringify(event);
      const header = Stripe.webhooks.generateTestHeaderString({ payload, secret: deps.secret });
      await receive(payload, header);
    },
    /**
     * Processes a stored event once: the row is locked and marked processed in the transaction that handles
     * it, so a second job for the same event (or a retry after success) finds nothing to do.
     */
    async process(eventId: string, handle: (event: StripeEvent) => Promise<void>): Promise<void> {
      await transaction(deps.pool, async (tx) => {
        const [row] = await tx.db
          .select()
          .from(webhookEvents)
          .where(and(eq(webhookEvents.id, eventId), isNull(webhookEvents.processedAt)))
          .for("update");
        if (!row) return;
        await handle(row.payload as StripeEvent);
        await tx.db
          .update(webhookEvents)
          .set({ processedAt: deps.clock.now() })
          .where(eq(webhookEvents.id, eventId));
      });
    },
  };
}

export type WebhookIntake = ReturnType<typeof createWebhookIntake>;
