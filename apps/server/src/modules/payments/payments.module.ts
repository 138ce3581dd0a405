import { randomBytes } from "node:crypto";
import type pg from "pg";
import type { Clock } from "../../clock.js";
import type { Database } from "../../db/client.js";
import { type JobQueue, workEach } from "../../jobs/queue.js";
import type { AuditService } from "../audit/index.js";
import type { BookingsService } from "../bookings/index.js";
import type { LedgerService } from "../ledger/index.js";
import type { Module } from "../module.js";
import type { PaymentGateway } from "./gateway.js";
import { createSimulatedGateway, simulatedModel } from "./gateway.simulated.js";
import { createStripeGateway } from "./gateway.stripe.js";
import { createDemoPayments, type DemoPayments } from "./payments.demo.js";
import { paymentRoutes } from "./payments.routes.js";
import {
  createPaymentsService,
  type MoneyEvent,
  moneyEventQueue,
  type PaymentsService,
  payoutQueue,
  settleQueue,
} from "./payments.service.js";
import { createWebhookIntake, webhookQueue } from "./webhooks.js";

export interface PaymentsModuleDeps {
  db: Database;
  pool: pg.Pool;
  /** A small pool of its own for the simulated gateway's objects (see `gateway.simulated.ts`). */
  simulatedPool: () => pg.Pool;
  jobs: JobQueue;
  clock: Clock;
  bookings: BookingsService;
  ledger: LedgerService;
  audit: AuditService;
  baseUrl: () => string;
  settings: {
    gateway: "stripe" | "simulated";
    stripeSecretKey: string | undefined;
    webhookSecret: string | undefined;
    apiBase: string | undefined;
    webhookToleranceSeconds: number;
    timeoutMs: number;
    connectReturnUrl: string | undefined;
    connectRefreshUrl: string | undefined;
    defaultCommission: { rateBps: number; fixedFee: { amount: number; currency: string } };
  };
}

/**
 * Payments: the gateway (Stripe or simulated), the webhook endpoint and its processing job, settlement of
 * releases and refunds, payouts of withdrawals, and the money events other modules may follow.
 */
export function createPaymentsModule(
  deps: PaymentsModuleDeps,
): Module<PaymentsService> & { gateway: PaymentGateway; demo: DemoPayments } {
  const { settings } = deps;
  // The simulated gateway signs its own deliveries; without a configured secret, one of this process does.
  const secret = settings.webhookSecret ?? `whsec_${randomBytes(24).toString("base64url")}`;
  const intake = createWebhookIntake({
    pool: deps.pool,
    jobs: deps.jobs,
    clock: deps.clock,
    secret,
    toleranceSeconds: settings.webhookToleranceSeconds,
  });
  const gateway: PaymentGateway =
    settings.gateway === "stripe" && settings.stripeSecretKey
      ? createStripeGateway({
          secretKey: settings.stripeSecretKey,
          apiBase: settings.apiBase,
          timeoutMs: settings.timeoutMs,
        })
      : createSimulatedGateway({ pool: deps.simulatedPool(), deliver: intake.deliver });
  const service = createPaymentsService({
    db: deps.db,
    pool: deps.pool,
    jobs: deps.jobs,
    clock: deps.clock,
    gateway,
    bookings: deps.bookings,
    ledger: deps.ledger,
    audit: deps.audit,
    baseUrl: deps.baseUrl,
    settings: {
      defaultCommission: settings.defaultCommission,
      connectReturnUrl: settings.connectReturnUrl,
      connectRefreshUrl: settings.connectRefreshUrl,
    },
  });
  deps.bookings.onTransition((tx, transition) =>
    service.onBookingTransition(tx, transition.bookingId, transition.to),
  );
  return {
    name: "payments",
    service,
    gateway,
    /** For the demo seed: money through the same calls as the routes and jobs, awaited to the end. */
    demo: createDemoPayments({ db: deps.db, service, intake, model: simulatedModel(gateway) }),
    routes: paymentRoutes(service, intake),
    async jobs(queue) {
      for (const name of [webhookQueue, settleQueue, payoutQueue, moneyEventQueue]) {
        await queue.createQueue(name);
      }
      await workEach<{ eventId: string }>(queue, webhookQueue, (job) =>
        intake.process(job.eventId, service.handleEvent),
      );
      await workEach<{ bookingId: string }>(queue, settleQueue, (job) => service.settle(job.bookingId));
      await workEach<{ withdrawalId: string }>(queue, payoutQueue, (job) => service.payout(job.withdrawalId));
      await workEach<MoneyEvent>(queue, moneyEventQueue, (event) => service.deliverMoneyEvent(event));
    },
  };
}
