import { asc, eq, isNull } from "drizzle-orm";
import type { Database } from "../../db/client.js";
import type { PaymentsService } from "./payments.service.js";
import { bookingPayments, webhookEvents } from "./payments.tables.js";
import type { StripeModel } from "./stripe-model.js";
import type { WebhookIntake } from "./webhooks.js";

/**
 * The demo seed's money, through the same service calls as the routes and jobs: contractors onboard on the
 * (simulated) gateway, customers pay with a test card, settlements and payouts run as their jobs run them.
 * The gateway's webhooks are processed here, in order, as soon as they arrive, instead of waiting for the
 * queue's polling: the seed runs at every start on an empty database and must stay fast, and what it returns
 * must be the final state (the jobs that later find the same work find it done).
 */
export function createDemoPayments(deps: {
  db: Database;
  service: PaymentsService;
  intake: WebhookIntake;
  /** The simulated gateway's Stripe, where the demo's bank disputes a payment; none with real Stripe. */
  model: StripeModel | undefined;
}) {
  const { db, service, intake, model } = deps;
  const system = (id: string, role: "customer" | "contractor" | "admin") => ({ id, role, sessionId: "demo" });

  /** Every webhook stored and not yet processed, oldest first, through the webhook job's own handler. */
  async function drain(): Promise<void> {
    const pending = await db
      .select({ id: webhookEvents.id })
      .from(webhookEvents)
      .where(isNull(webhookEvents.processedAt))
      .orderBy(asc(webhookEvents.receivedAt), asc(webhookEvents.id));
    for (const { id } of pending) await intake.process(id, service.handleEvent);
  }

  return {
    async onboard(contractorId: string): Promise<void> {
      await service.onboard(system(contractorId, "contractor"));
      await drain();
    },
    /** The customer pays with Stripe's test card; `payment_intent.succeeded` funds the booking. */
    async fund(bookingId: string, customerId: string): Promise<void> {
      await service.pay(system(customerId, "customer"), bookingId, "pm_card_visa");
      await drain();
    },
    async resolveDispute(adminId: string, bookingId: string, refund: number, currency: string, note: string) {
      await service.resolveDispute(system(adminId, "admin"), bookingId, {
        refundAmount: { amount: refund, currency },
        note,
      });
    },
    /** What the `payment.settle` job does for the booking's status: the Transfer, the refund, or both. */
    async settle(bookingId: string): Promise<void> {
      await service.settle(bookingId);
      await drain();
    },
    /**
     * The customer's bank disputes the booking's card payment (`charge.dispute.created`), for the admin to
     * answer. Only the simulated gateway can be made to; with real Stripe the demo has no chargeback.
     */
    async chargeBack(bookingId: string): Promise<void> {
      if (!model) return;
      const [payment] = await db
        .select({ chargeId: bookingPayments.chargeId })
        .from(bookingPayments)
        .where(eq(bookingPayments.bookingId, bookingId));
      if (!payment?.chargeId) throw new Error(`booking ${bookingId} has no charge`);
      await model.openChargeback(payment.chargeId);
      await drain();
    },
    /**
     * A withdrawal of the contractor's available money; `paid` runs its payout job now, so the bank has it;
     * otherwise it is left pending for the payout job.
     */
    async withdraw(contractorId: string, amount: number, currency: string, paid: boolean): Promise<void> {
      const withdrawal = await service.withdraw(system(contractorId, "contractor"), { amount, currency });
      if (!paid) return;
      await service.payout(withdrawal.id);
      await drain();
    },
  };
}

export type DemoPayments = ReturnType<typeof createDemoPayments>;
