import type pg from "pg";
import { systemClock } from "../../clock.js";
import type { Database } from "../../db/client.js";
import { accounts, createLedgerModule, type LedgerCheck, type LedgerService } from "../ledger/index.js";
import type { PaymentGateway } from "./gateway.js";
import { createSimulatedGateway } from "./gateway.simulated.js";
import { createStripeGateway } from "./gateway.stripe.js";
import { bookingPayments, withdrawals } from "./payments.tables.js";

/** Per account, what the ledger's entries for one booking add up to. */
async function bookingSums(ledger: LedgerService, bookingId: string): Promise<Map<string, number>> {
  const sums = new Map<string, number>();
  let cursor: string | undefined;
  do {
    const page = await ledger.entries({ bookingId, limit: 100, ...(cursor ? { cursor } : {}) });
    for (const entry of page.items) sums.set(entry.account, (sums.get(entry.account) ?? 0) + entry.amount);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return sums;
}

/**
 * The payments half of `ledger:check`: our rows against the gateway's objects, and the ledger's balances
 * against our rows. Answers one line per problem found (none: everything agrees). Run it when no settlement
 * is in flight (a refund asked and not yet confirmed shows as a difference until `charge.refunded` arrives).
 *
 * - every paid booking has a succeeded PaymentIntent of its price, grouped by the booking;
 * - every release has one Transfer of the recorded amount, from the booking's charge, to the contractor's
 *   account, reversed by exactly what the refunds after release took back;
 * - every withdrawal made has one Payout of its amount, paid or failed as the withdrawal says;
 * - each paid booking's ledger entries on `platform_cash`, `refunds` and its contractor's accounts add up to
 *   what its payment row says was paid, refunded and transferred;
 * - each contractor's `contractor_payable` and `contractor_transferred` hold what their bookings and
 *   withdrawals add up to. (That every transaction balances is the ledger's own check.)
 */
export async function reconcilePayments(deps: {
  db: Database;
  gateway: PaymentGateway;
  ledger: LedgerService;
}): Promise<string[]> {
  const { db, gateway, ledger } = deps;
  const problems: string[] = [];
  // Contractors' balances, from their bookings' and withdrawals' rows (only contractors the payments module knows).
  const expected = new Map<string, number>();
  const add = (account: string, currency: string, amount: number) => {
    const key = `${account}|${currency}`;
    expected.set(key, (expected.get(key) ?? 0) + amount);
  };

  for (const row of await db.select().from(bookingPayments)) {
    const where = `booking ${row.bookingId}`;
    const intent = await gateway.retrievePaymentIntent(row.paymentIntentId).catch(() => undefined);
    if (!intent) {
      problems.push(`${where}: PaymentIntent ${row.paymentIntentId} not found at the gateway`);
      continue;
    }
    if (intent.amount !== row.amount || intent.currency !== row.currency)
      problems.push(
        `${where}: PaymentIntent is ${intent.amount} ${intent.currency}, the booking ${row.amount} ${row.currency}`,
      );
    if (intent.transferGroup !== row.bookingId)
      problems.push(`${where}: PaymentIntent's transfer_group is ${intent.transferGroup}`);
    if (row.status === "succeeded" && intent.status !== "succeeded")
      problems.push(`${where}: recorded as paid, the PaymentIntent is ${intent.status}`);
    if (row.status !== "succeeded" && intent.status === "succeeded")
      problems.push(`${where}: the PaymentIntent succeeded but no payment was recorded`);
    if (row.status !== "succeeded") continue;
    const kept = row.transferAmount === null ? 0 : row.transferAmount - row.reversedAmount;
    const own: [string, number][] = [
      [accounts.platformCash, row.amount - row.refundSettledAmount - kept],
      [accounts.refunds, -(row.refundedAmount - row.refundSettledAmount)],
      [accounts.contractorTransferred(row.contractorId), kept],
      [accounts.contractorPayable(row.contractorId), -kept],
    ];
    const posted = await bookingSums(ledger, row.bookingId);
    for (const [account, amount] of own) {
      if ((posted.get(account) ?? 0) !== amount)
        problems.push(
          `${where}: the ledger has ${posted.get(account) ?? 0} on ${account}, its payment row says ${amount}`,
        );
    }
    add(accounts.contractorTransferred(row.contractorId), row.currency, kept);
    add(accounts.contractorPayable(row.contractorId), row.currency, -kept);
    if (row.transferAmount !== null) {
      if (row.transferAmount > 0) {
        const transfer = row.transferId
          ? await gateway.retrieveTransfer(row.transferId).catch(() => undefined)
          : undefined;
        if (!transfer)
          problems.push(`${where}: Transfer ${row.transferId ?? "(none)"} not found at the gateway`);
        else {
          if (transfer.amount !== row.transferAmount)
            problems.push(`${where}: Transfer is ${transfer.amount}, the release ${row.transferAmount}`);
          if (transfer.amountReversed !== row.reversedAmount)
            problems.push(
              `${where}: Transfer reversed ${transfer.amountReversed}, recorded ${row.reversedAmount}`,
            );
          if (transfer.sourceTransaction !== row.chargeId)
            problems.push(`${where}: Transfer's source_transaction is ${transfer.sourceTransaction}`);
          if (transfer.destination !== row.destinationAccount)
            problems.push(`${where}: Transfer went to ${transfer.destination}`);
        }
      }
    }
  }

  for (const row of await db.select().from(withdrawals)) {
    const where = `withdrawal ${row.id}`;
    if (row.status !== "failed") {
      add(accounts.contractorPayable(row.contractorId), row.currency, row.amount);
    }
    if (row.status === "pending" || row.status === "in_transit")
      add(accounts.payouts, row.currency, -row.amount);
    if (row.status === "paid")
      add(accounts.contractorTransferred(row.contractorId), row.currency, -row.amount);
    if (!row.payoutId) {
      if (row.status !== "pending") problems.push(`${where}: ${row.status} without a Payout`);
      continue;
    }
    const payout = await gateway.retrievePayout(row.accountId, row.payoutId).catch(() => undefined);
    if (!payout) {
      problems.push(`${where}: Payout ${row.payoutId} not found on ${row.accountId}`);
      continue;
    }
    if (payout.amount !== row.amount)
      problems.push(`${where}: Payout is ${payout.amount}, the withdrawal ${row.amount}`);
    if ((row.status === "paid" || row.status === "failed") && payout.status !== row.status)
      problems.push(`${where}: ${row.status}, its Payout is ${payout.status}`);
  }

  for (const [key, want] of expected) {
    const [account = "", currency = ""] = key.split("|");
    const have = await ledger.balance(account, currency);
    if (want !== have)
      problems.push(`ledger: ${account} in ${currency} is ${have}, the payments add up to ${want}`);
  }
  return problems;
}

/**
 * The payments part of `npm run ledger:check`: one check that runs `reconcilePayments` against the configured
 * gateway (Stripe's API, or the simulated gateway's stored objects). Read-only: it only retrieves objects.
 */
export function paymentChecks(deps: {
  pool: pg.Pool;
  settings: {
    gateway: "stripe" | "simulated";
    stripeSecretKey: string | undefined;
    apiBase: string | undefined;
    timeoutMs: number;
  };
}): LedgerCheck[] {
  return [
    {
      name: "payments agree with the gateway's objects and the ledger's balances",
      async run(tx) {
        const { settings } = deps;
        const gateway =
          settings.gateway === "stripe" && settings.stripeSecretKey
            ? createStripeGateway({
                secretKey: settings.stripeSecretKey,
                apiBase: settings.apiBase,
                timeoutMs: settings.timeoutMs,
              })
            : createSimulatedGateway({ pool: deps.pool, deliver: async () => {} });
        const ledger = createLedgerModule({ pool: deps.pool, clock: systemClock }).service;
        return reconcilePayments({ db: tx.db, gateway, ledger });
      },
    },
  ];
}
