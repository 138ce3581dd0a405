import type { Database } from "../../db/client.js";
import { type AccountBalance, accounts, type LedgerService } from "../ledger/index.js";
import type { PaymentGateway } from "./gateway.js";
import { bookingPayments, withdrawals } from "./payments.tables.js";

/** Every balance of the ledger, page after page. */
async function allBalances(ledger: LedgerService): Promise<AccountBalance[]> {
  const all: AccountBalance[] = [];
  let cursor: string | undefined;
  do {
    const page = await ledger.balances({ limit: 100, ...(cursor ? { cursor } : {}) });
    all.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return all;
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
 * - `platform_cash`, `refunds`, `payouts` and each contractor's `contractor_payable` and
 *   `contractor_transferred` hold what those rows add up to.
 */
export async function reconcilePayments(deps: {
  db: Database;
  gateway: PaymentGateway;
  ledger: LedgerService;
}): Promise<string[]> {
  const { db, gateway, ledger } = deps;
  const problems: string[] = [];
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
    add(accounts.platformCash, row.currency, row.amount - row.refundSettledAmount);
    add(accounts.refunds, row.currency, -(row.refundedAmount - row.refundSettledAmount));
    if (row.transferAmount !== null) {
      const kept = row.transferAmount - row.reversedAmount;
      add(accounts.platformCash, row.currency, -kept);
      add(accounts.contractorTransferred(row.contractorId), row.currency, kept);
      add(accounts.contractorPayable(row.contractorId), row.currency, -kept);
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

  const actual = new Map<string, number>();
  const sums = new Map<string, number>();
  for (const balance of await allBalances(ledger)) {
    actual.set(`${balance.account}|${balance.currency}`, balance.balance);
    sums.set(balance.currency, (sums.get(balance.currency) ?? 0) + balance.balance);
  }
  for (const [currency, sum] of sums) {
    if (sum !== 0) problems.push(`ledger: the balances in ${currency} sum to ${sum}, not 0`);
  }
  const checked = /^(platform_cash|refunds|payouts|contractor_payable:.*|contractor_transferred:.*)\|/;
  for (const key of new Set([...expected.keys(), ...[...actual.keys()].filter((key) => checked.test(key))])) {
    const want = expected.get(key) ?? 0;
    const have = actual.get(key) ?? 0;
    if (want !== have)
      problems.push(`ledger: ${key.replace("|", " in ")} is ${have}, the payments add up to ${want}`);
  }
  return problems;
}
