import { randomUUID } from "node:crypto";
import { and, desc, eq, inArray, isNotNull, isNull, notInArray, sql } from "drizzle-orm";
import type pg from "pg";
import { z } from "zod";
import type { Clock } from "../../clock.js";
import type { Database } from "../../db/client.js";
import { newId } from "../../db/columns.js";
import { type Tx, transaction } from "../../db/transaction.js";
import type { AuthUser } from "../../http/auth.js";
import { AppError } from "../../http/errors.js";
import type { Money } from "../../http/money.js";
import { type Page, pageNewestById } from "../../http/pagination.js";
import type { JobQueue } from "../../jobs/queue.js";
import type { AuditService } from "../audit/index.js";
import {
  type BookingMoney,
  type BookingStatus,
  type BookingsService,
  type BookingView,
  bookingErrors,
} from "../bookings/index.js";
import { accounts, commissionFor, type LedgerService, type PostInput, splitRefund } from "../ledger/index.js";
import { PaymentDeclined, type PaymentGateway } from "./gateway.js";
import { paymentErrors } from "./payments.errors.js";
import {
  bookingPayments,
  chargebacks,
  commissionSettings,
  paymentAccounts,
  withdrawals,
} from "./payments.tables.js";
import type { StripeEvent, StripeObject } from "./stripe-model.js";

/** Stripe's dispute statuses once the card network has decided (or the inquiry ended): nothing left to answer. */
const closedChargebackStatuses = ["won", "lost", "warning_closed"];

export const settleQueue = "payment.settle";
export const payoutQueue = "payment.payout";

export interface PaymentsSettings {
  defaultCommission: { rateBps: number; fixedFee: Money };
  connectReturnUrl: string | undefined;
  connectRefreshUrl: string | undefined;
}

export interface PaymentsDeps {
  db: Database;
  pool: pg.Pool;
  jobs: JobQueue;
  clock: Clock;
  gateway: PaymentGateway;
  bookings: BookingsService;
  ledger: LedgerService;
  settings: PaymentsSettings;
  /** Where this server is reached, for the default onboarding return links. */
  baseUrl: () => string;
  /** The admin audit log: commission changes and dispute resolutions are recorded in their transaction. */
  audit: AuditService;
}

/** A money step both parties hear about (the notifications module's seam). */
export type MoneyEvent =
  | { kind: "payment_received"; bookingId: string; customerId: string; contractorId: string; amount: Money }
  | { kind: "funds_released"; bookingId: string; customerId: string; contractorId: string; amount: Money }
  | { kind: "refund"; bookingId: string; customerId: string; contractorId: string; amount: Money }
  | { kind: "withdrawal_paid"; withdrawalId: string; contractorId: string; amount: Money }
  | { kind: "withdrawal_failed"; withdrawalId: string; contractorId: string; amount: Money };

export type MoneyEventListener = (event: MoneyEvent) => Promise<void>;

export const moneyEventQueue = "payment.money_event";

type PaymentRow = typeof bookingPayments.$inferSelect;
type WithdrawalRow = typeof withdrawals.$inferSelect;

/** Statuses in which a paid booking's money is still held in escrow. */
const heldStatuses: readonly BookingStatus[] = ["funded", "in_progress", "completed", "disputed"];

function gatewayFailure(error: unknown): AppError {
  return new AppError(
    paymentErrors.gatewayFailed,
    `The payment processor failed: ${error instanceof Error ? error.message : String(error)}`,
    { cause: error },
  );
}

/**
 * Escrow on Stripe Connect. Every movement of money happens in a job or webhook handler that holds the
 * booking's payment row locked, calls the gateway with an idempotency key derived from the booking (so a
 * retry is answered with the first result, never paid twice), and posts the ledger transaction with a key
 * derived the same way in the same database transaction.
 */
export function createPaymentsService(deps: PaymentsDeps) {
  const { db, pool, jobs, clock, gateway, bookings, ledger, settings } = deps;
  const listeners: MoneyEventListener[] = [];

  /** Posts a movement, leaving out the postings a split made zero (the ledger refuses zero amounts). */
  async function post(input: PostInput): Promise<void> {
    const postings = input.postings.filter((posting) => posting.amount !== 0);
    if (postings.length < 2) return;
    await ledger.post({ ...input, postings });
  }

  async function announce(tx: Tx, event: MoneyEvent): Promise<void> {
    await jobs.send(moneyEventQueue, event, { db: tx, retryLimit: 5, retryBackoff: true });
  }

  async function accountOf(userId: string) {
    const [row] = await db.select().from(paymentAccounts).where(eq(paymentAccounts.userId, userId));
    return row;
  }

  function statusOf(row: typeof paymentAccounts.$inferSelect | undefined) {
    return {
      chargesEnabled: row?.chargesEnabled ?? false,
      payoutsEnabled: row?.payoutsEnabled ?? false,
      detailsSubmitted: row?.detailsSubmitted ?? false,
      transfersEnabled: row?.transfersEnabled ?? false,
    };
  }

  async function storeAccountStatus(account: Awaited<ReturnType<PaymentGateway["retrieveAccount"]>>) {
    await db
      .update(paymentAccounts)
      .set({
        chargesEnabled: account.chargesEnabled,
        payoutsEnabled: account.payoutsEnabled,
        detailsSubmitted: account.detailsSubmitted,
        transfersEnabled: account.transfersEnabled,
        updatedAt: clock.now(),
      })
      .where(eq(paymentAccounts.accountId, account.id));
  }

  /** The commission in force now; the configured default until an admin saves one. */
  async function currentCommission(executor: Database = db) {
    const [row] = await executor
      .select()
      .from(commissionSettings)
      .orderBy(desc(commissionSettings.id))
      .limit(1);
    return row
      ? {
          rateBps: row.rateBps,
          fixedFee: { amount: row.fixedFeeAmount, currency: row.fixedFeeCurrency },
        }
      : settings.defaultCommission;
  }

  async function lockPayment(tx: Tx, where: ReturnType<typeof eq>): Promise<PaymentRow | undefined> {
    const [row] = await tx.db.select().from(bookingPayments).where(where).for("update");
    return row;
  }

  // ---------------------------------------------------------------------------------------------------
  // Funding

  async function pay(user: AuthUser, bookingId: string, paymentMethodId: string | undefined) {
    const booking = await bookings.money(bookingId);
    if (!booking || booking.customerId !== user.id) {
      throw new AppError(bookingErrors.notFound, "No booking with this id");
    }
    return transaction(pool, async (tx) => {
      // Two requests for one booking take turns, so they share one PaymentIntent.
      await tx.executeSql("select pg_advisory_xact_lock(hashtext('booking-payment:' || $1))", [bookingId]);
      const current = (await bookings.money(bookingId, tx.db)) ?? booking;
      let row = await lockPayment(tx, eq(bookingPayments.bookingId, bookingId));
      if (current.status !== "accepted") {
        // Paid already (or being settled): the answer is the payment as it stands.
        if (row)
          return answer(row, await gateway.retrievePaymentIntent(row.paymentIntentId).catch(() => null));
        throw new AppError(
          bookingErrors.invalidTransition,
          `The booking is ${current.status.replace("_", " ")}: only an accepted booking can be paid`,
          { extensions: { currentStatus: current.status } },
        );
      }
      if (!row) {
        const account = await accountOf(current.contractorId);
        if (!account?.transfersEnabled) {
          throw new AppError(
            paymentErrors.contractorNotOnboarded,
            "The contractor has not finished setting up payouts, so this booking cannot be paid yet",
          );
        }
        const created = await gateway
          .createPaymentIntent({
            amount: current.price,
            currency: current.currency,
            transferGroup: bookingId,
            metadata: { bookingId, customerId: current.customerId, contractorId: current.contractorId },
            idempotencyKey: `booking:${bookingId}:payment-intent`,
          })
          .catch((error: unknown) => {
            throw gatewayFailure(error);
          });
        const now = clock.now();
        await tx.db
          .insert(bookingPayments)
          .values({
            bookingId,
            paymentIntentId: created.id,
            amount: current.price,
            currency: current.currency,
            status: created.status,
            contractorId: current.contractorId,
            destinationAccount: account.accountId,
            createdAt: now,
            updatedAt: now,
          })
          .onConflictDoNothing();
        row = await lockPayment(tx, eq(bookingPayments.bookingId, bookingId));
        if (!row) throw new Error("the booking's payment row vanished");
      }
      let intent = await gateway.retrievePaymentIntent(row.paymentIntentId).catch((error: unknown) => {
        throw gatewayFailure(error);
      });
      if (
        paymentMethodId &&
        (intent.status === "requires_payment_method" || intent.status === "requires_confirmation")
      ) {
        try {
          // One PaymentIntent per booking is what prevents a second charge; each confirmation is its own
          // attempt (a declined card may be followed by another), so its key is new, as the SDK's own is.
          intent = await gateway.confirmPaymentIntent(
            intent.id,
            paymentMethodId,
            `booking:${bookingId}:confirm:${randomUUID()}`,
          );
        } catch (error) {
          if (error instanceof PaymentDeclined) {
            await tx.db
              .update(bookingPayments)
              .set({ status: "requires_payment_method", updatedAt: clock.now() })
              .where(eq(bookingPayments.bookingId, bookingId));
            throw new AppError(paymentErrors.declined, `${error.message} Try another card.`, {
              extensions: { declineCode: error.declineCode },
            });
          }
          throw gatewayFailure(error);
        }
      }
      // `succeeded` is written only by the `payment_intent.succeeded` handler, which funds the booking with it.
      if (intent.status !== row.status && intent.status !== "succeeded" && row.status !== "succeeded") {
        await tx.db
          .update(bookingPayments)
          .set({ status: intent.status, updatedAt: clock.now() })
          .where(eq(bookingPayments.bookingId, bookingId));
      }
      return answer(row, intent);
    });
  }

  function answer(
    row: PaymentRow,
    intent: Awaited<ReturnType<PaymentGateway["retrievePaymentIntent"]>> | null,
  ) {
    const status = intent?.status ?? row.status;
    return {
      status,
      clientSecret: status === "succeeded" || status === "canceled" ? null : (intent?.clientSecret ?? null),
      paymentIntentId: row.paymentIntentId,
      amount: { amount: row.amount, currency: row.currency },
    };
  }

  /** `payment_intent.succeeded`: the money is on the platform; the booking becomes funded (or is refunded). */
  async function paymentSucceeded(tx: Tx, intent: StripeObject): Promise<void> {
    const row = await lockPayment(tx, eq(bookingPayments.paymentIntentId, intent.id));
    // Our row commits with the request that created the intent; until then the job is retried.
    if (!row) throw new Error(`payment intent ${intent.id} is not known yet`);
    if (row.status === "succeeded") return;
    const now = clock.now();
    await tx.db
      .update(bookingPayments)
      .set({ status: "succeeded", chargeId: intent.latest_charge ?? null, updatedAt: now })
      .where(eq(bookingPayments.bookingId, row.bookingId));
    await post({
      key: `payment:${intent.id}`,
      kind: "payment",
      currency: row.currency,
      bookingId: row.bookingId,
      memo: `PaymentIntent ${intent.id}`,
      postings: [
        { account: accounts.platformCash, amount: row.amount },
        { account: accounts.customerFundsHeld, amount: -row.amount },
      ],
    });
    const booking = await bookings.money(row.bookingId, tx.db);
    if (booking?.status === "accepted") {
      const rate = await currentCommission(tx.db);
      const commission = commissionFor(row.amount, {
        rateBps: rate.rateBps,
        fixedFee: rate.fixedFee.currency === row.currency ? rate.fixedFee.amount : 0,
      });
      const contractorAmount = row.amount - commission;
      await tx.db
        .update(bookingPayments)
        .set({ commissionAmount: commission, contractorAmount, fundedAt: now })
        .where(eq(bookingPayments.bookingId, row.bookingId));
      await bookings.markFunded(row.bookingId, { by: "system", amounts: { commission, contractorAmount } });
      await announce(tx, {
        kind: "payment_received",
        bookingId: row.bookingId,
        customerId: booking.customerId,
        contractorId: booking.contractorId,
        amount: { amount: row.amount, currency: row.currency },
      });
    } else {
      // Paid after the booking was cancelled (or expired): all of it goes back.
      await jobs.send(
        settleQueue,
        { bookingId: row.bookingId },
        { db: tx, retryLimit: 20, retryBackoff: true },
      );
    }
  }

  // ---------------------------------------------------------------------------------------------------
  // Settlement: release and refunds

  /** What a booking owes back to its customer in total, by its status. */
  function refundTarget(booking: BookingMoney, row: PaymentRow): number {
    if (!row.fundedAt) return ["cancelled", "declined", "expired"].includes(booking.status) ? row.amount : 0;
    if (["cancelled", "refunded", "partially_refunded"].includes(booking.status)) {
      return booking.refundAmount ?? 0;
    }
    return 0;
  }

  function releaseDue(booking: BookingMoney, row: PaymentRow, refund: number): boolean {
    if (!row.fundedAt) return false;
    if (booking.status === "released" || booking.status === "partially_refunded") return true;
    // A refund of a released booking keeps its transfer (reversed in part or whole).
    if (booking.status === "refunded") return row.transferAmount !== null;
    return booking.status === "cancelled" && refund < row.amount;
  }

  /**
   * Makes every movement the booking's status owes and nothing more: the release Transfer (once), the
   * reversal and refund a later refund needs. Safe to run any number of times, concurrently too: the row lock
   * serialises runs and each gateway call's idempotency key is derived from the booking and the amount owed.
   */
  async function settle(bookingId: string): Promise<void> {
    await transaction(pool, async (tx) => {
      const row = await lockPayment(tx, eq(bookingPayments.bookingId, bookingId));
      if (!row) return;
      const booking = await bookings.money(bookingId, tx.db);
      if (!booking) return;
      if (row.status !== "succeeded") {
        // Cancelled before the payment went through: the intent must not succeed any more.
        if (["cancelled", "declined", "expired"].includes(booking.status) && row.status !== "canceled") {
          const canceled = await gateway
            .cancelPaymentIntent(row.paymentIntentId, `booking:${bookingId}:cancel-intent`)
            .catch(async (error: unknown) => {
              // It succeeded meanwhile: its `payment_intent.succeeded` refunds it.
              const intent = await gateway.retrievePaymentIntent(row.paymentIntentId);
              if (intent.status === "succeeded") return intent;
              throw error;
            });
          if (canceled.status === "canceled") {
            await tx.db
              .update(bookingPayments)
              .set({ status: "canceled", updatedAt: clock.now() })
              .where(eq(bookingPayments.bookingId, bookingId));
          }
        }
        return;
      }
      const commission = row.commissionAmount ?? 0;
      const target = refundTarget(booking, row);
      const money = (amount: number): Money => ({ amount, currency: row.currency });
      const parties = { bookingId, customerId: booking.customerId, contractorId: booking.contractorId };
      const now = clock.now();

      if (releaseDue(booking, row, target) && row.transferAmount === null) {
        const split = splitRefund(row.amount, commission, Math.min(target, row.amount));
        if (!row.chargeId) throw new Error(`booking ${bookingId} has no charge to transfer from`);
        const transfer =
          split.contractorAmount > 0
            ? await gateway.createTransfer({
                amount: split.contractorAmount,
                currency: row.currency,
                destination: row.destinationAccount,
                sourceTransaction: row.chargeId,
                transferGroup: bookingId,
                metadata: { bookingId },
                idempotencyKey: `booking:${bookingId}:release`,
              })
            : undefined;
        await post({
          key: `release:${bookingId}`,
          kind: "release",
          currency: row.currency,
          bookingId,
          memo: transfer ? `Transfer ${transfer.id}` : "Released in full as commission",
          postings: [
            { account: accounts.customerFundsHeld, amount: split.released },
            { account: accounts.platformCommission, amount: -split.commissionOnReleased },
            { account: accounts.platformCash, amount: -split.contractorAmount },
            { account: accounts.contractorTransferred(booking.contractorId), amount: split.contractorAmount },
            { account: accounts.contractorPayable(booking.contractorId), amount: -split.contractorAmount },
          ],
        });
        row.transferId = transfer?.id ?? null;
        row.transferAmount = split.contractorAmount;
        row.releaseRefundBasis = split.refund;
        await tx.db
          .update(bookingPayments)
          .set({
            transferId: transfer?.id ?? null,
            transferAmount: split.contractorAmount,
            releaseRefundBasis: split.refund,
            updatedAt: now,
          })
          .where(eq(bookingPayments.bookingId, bookingId));
        await announce(tx, { kind: "funds_released", ...parties, amount: money(split.contractorAmount) });
      }

      const basis = row.releaseRefundBasis;
      if (row.transferAmount !== null && basis !== null && target > basis) {
        // A refund after release: take back the contractor's part of it, give back the commission's part.
        const split = splitRefund(row.amount, commission, target);
        const stillTransferred = row.transferAmount - row.reversedAmount;
        const reverse = Math.max(0, stillTransferred - split.contractorAmount);
        const refundDelta = target - basis;
        if (reverse > 0 && row.transferId) {
          await gateway.reverseTransfer({
            transferId: row.transferId,
            amount: reverse,
            metadata: { bookingId },
            idempotencyKey: `booking:${bookingId}:reverse-to:${target}`,
          });
        }
        await post({
          key: `reversal:${bookingId}:${target}`,
          kind: "reversal",
          currency: row.currency,
          bookingId,
          memo: `Refund of ${refundDelta} after release`,
          postings: [
            { account: accounts.contractorTransferred(booking.contractorId), amount: -reverse },
            { account: accounts.contractorPayable(booking.contractorId), amount: reverse },
            { account: accounts.platformCash, amount: reverse },
            { account: accounts.platformCommission, amount: refundDelta - reverse },
            { account: accounts.customerFundsHeld, amount: -refundDelta },
          ],
        });
        await tx.db
          .update(bookingPayments)
          .set({ reversedAmount: row.reversedAmount + reverse, releaseRefundBasis: target })
          .where(eq(bookingPayments.bookingId, bookingId));
      }

      if (target > row.refundedAmount) {
        const delta = target - row.refundedAmount;
        await gateway.createRefund({
          paymentIntent: row.paymentIntentId,
          amount: delta,
          metadata: { bookingId },
          idempotencyKey: `booking:${bookingId}:refund-to:${target}`,
        });
        await post({
          key: `refund:${bookingId}:${target}`,
          kind: "refund",
          currency: row.currency,
          bookingId,
          memo: `Refund of ${delta} asked of the gateway`,
          postings: [
            { account: accounts.customerFundsHeld, amount: delta },
            { account: accounts.refunds, amount: -delta },
          ],
        });
        await tx.db
          .update(bookingPayments)
          .set({ refundedAmount: target, updatedAt: now })
          .where(eq(bookingPayments.bookingId, bookingId));
        await announce(tx, { kind: "refund", ...parties, amount: money(delta) });
      }

      if (!heldStatuses.includes(booking.status) && booking.status !== "accepted" && !row.settledAt) {
        await tx.db
          .update(bookingPayments)
          .set({ settledAt: now })
          .where(eq(bookingPayments.bookingId, bookingId));
      }
    });
  }

  /** `charge.refunded`: the gateway confirms refunds up to `amount_refunded` (cumulative, so order is moot). */
  async function chargeRefunded(tx: Tx, charge: StripeObject): Promise<void> {
    const row = await lockPayment(tx, eq(bookingPayments.paymentIntentId, String(charge.payment_intent)));
    if (!row) throw new Error(`charge ${charge.id} is not known yet`);
    const confirmed = Number(charge.amount_refunded);
    const delta = confirmed - row.refundSettledAmount;
    if (delta <= 0) return;
    await post({
      key: `refund-settled:${charge.id}:${confirmed}`,
      kind: "refund_settled",
      currency: row.currency,
      bookingId: row.bookingId,
      memo: `Charge ${charge.id} refunded up to ${confirmed}`,
      postings: [
        { account: accounts.refunds, amount: delta },
        { account: accounts.platformCash, amount: -delta },
      ],
    });
    await tx.db
      .update(bookingPayments)
      .set({ refundSettledAmount: confirmed, updatedAt: clock.now() })
      .where(eq(bookingPayments.bookingId, row.bookingId));
  }

  // ---------------------------------------------------------------------------------------------------
  // Withdrawals

  async function withdrawalView(row: WithdrawalRow) {
    return {
      id: row.id,
      status: row.status as "pending" | "in_transit" | "paid" | "failed",
      amount: { amount: row.amount, currency: row.currency },
      failureCode: row.failureCode,
      createdAt: row.createdAt.toISOString(),
      updatedAt: row.updatedAt.toISOString(),
    };
  }

  async function withdraw(user: AuthUser, amount: Money) {
    const account = await accountOf(user.id);
    if (!account?.payoutsEnabled) {
      throw new AppError(
        paymentErrors.notOnboarded,
        "Finish Stripe onboarding so payouts can reach your bank",
      );
    }
    return transaction(pool, async (tx) => {
      const payable = accounts.contractorPayable(user.id);
      // Concurrent withdrawals take turns here: each reads the balance the previous one left.
      await ledger.lock(payable);
      const available = -(await ledger.balance(payable, amount.currency));
      if (amount.amount > available) {
        throw new AppError(
          paymentErrors.insufficientFunds,
          `You can withdraw up to ${available} ${amount.currency} now`,
          { extensions: { available: { amount: available, currency: amount.currency } } },
        );
      }
      const id = newId();
      const now = clock.now();
      const [row] = await tx.db
        .insert(withdrawals)
        .values({
          id,
          contractorId: user.id,
          accountId: account.accountId,
          amount: amount.amount,
          currency: amount.currency,
          status: "pending",
          createdAt: now,
          updatedAt: now,
        })
        .returning();
      await post({
        key: `withdrawal:${id}`,
        kind: "withdrawal",
        currency: amount.currency,
        withdrawalId: id,
        memo: "Withdrawal asked",
        postings: [
          { account: payable, amount: amount.amount },
          { account: accounts.payouts, amount: -amount.amount },
        ],
      });
      await jobs.send(payoutQueue, { withdrawalId: id }, { db: tx, retryLimit: 20, retryBackoff: true });
      if (!row) throw new Error("withdrawal insert returned nothing");
      return withdrawalView(row);
    });
  }

  /** The `payment.payout` job: the withdrawal's Payout on the connected account, made once. */
  async function payout(withdrawalId: string): Promise<void> {
    await transaction(pool, async (tx) => {
      const [row] = await tx.db
        .select()
        .from(withdrawals)
        .where(eq(withdrawals.id, withdrawalId))
        .for("update");
      if (row?.status !== "pending" || row.payoutId) return;
      const made = await gateway.createPayout({
        account: row.accountId,
        amount: row.amount,
        currency: row.currency,
        metadata: { withdrawalId },
        idempotencyKey: `withdrawal:${withdrawalId}:payout`,
      });
      await tx.db
        .update(withdrawals)
        .set({ payoutId: made.id, status: "in_transit", updatedAt: clock.now() })
        .where(and(eq(withdrawals.id, withdrawalId), eq(withdrawals.status, "pending")));
    });
  }

  async function payoutEvent(tx: Tx, payoutObject: StripeObject, outcome: "paid" | "failed") {
    const withdrawalId = payoutObject.metadata?.withdrawalId;
    const [row] = await tx.db
      .select()
      .from(withdrawals)
      .where(
        typeof withdrawalId === "string" && z.uuid().safeParse(withdrawalId).success
          ? eq(withdrawals.id, withdrawalId)
          : eq(withdrawals.payoutId, String(payoutObject.id)),
      )
      .for("update");
    if (!row) return;
    const money = { amount: row.amount, currency: row.currency };
    const payable = accounts.contractorPayable(row.contractorId);
    const transferred = accounts.contractorTransferred(row.contractorId);
    if (outcome === "paid") {
      if (row.status !== "pending" && row.status !== "in_transit") return;
      await post({
        key: `withdrawal:${row.id}:paid`,
        kind: "payout_paid",
        currency: row.currency,
        withdrawalId: row.id,
        memo: `Payout ${payoutObject.id} paid`,
        postings: [
          { account: accounts.payouts, amount: row.amount },
          { account: transferred, amount: -row.amount },
        ],
      });
    } else {
      if (row.status === "failed") return;
      // The bank returned it: the money is on the connected account again, available to withdraw.
      await post({
        key: `withdrawal:${row.id}:failed`,
        kind: "payout_failed",
        currency: row.currency,
        withdrawalId: row.id,
        memo: `Payout ${payoutObject.id} failed: ${payoutObject.failure_code ?? "unknown"}`,
        postings:
          row.status === "paid"
            ? [
                { account: transferred, amount: row.amount },
                { account: payable, amount: -row.amount },
              ]
            : [
                { account: accounts.payouts, amount: row.amount },
                { account: payable, amount: -row.amount },
              ],
      });
    }
    await tx.db
      .update(withdrawals)
      .set({
        status: outcome,
        payoutId: row.payoutId ?? String(payoutObject.id),
        failureCode: outcome === "failed" ? String(payoutObject.failure_code ?? "unknown") : null,
        updatedAt: clock.now(),
      })
      .where(eq(withdrawals.id, row.id));
    await announce(tx, {
      kind: outcome === "paid" ? "withdrawal_paid" : "withdrawal_failed",
      withdrawalId: row.id,
      contractorId: row.contractorId,
      amount: money,
    });
  }

  // ---------------------------------------------------------------------------------------------------
  // Chargebacks

  async function chargebackEvent(tx: Tx, dispute: StripeObject, closed: boolean) {
    const row = await lockPayment(tx, eq(bookingPayments.chargeId, String(dispute.charge)));
    if (!row) return;
    const now = clock.now();
    await tx.db
      .insert(chargebacks)
      .values({
        id: dispute.id,
        bookingId: row.bookingId,
        chargeId: String(dispute.charge),
        amount: Number(dispute.amount),
        currency: String(dispute.currency),
        reason: String(dispute.reason ?? "unknown"),
        status: String(dispute.status),
        createdAt: now,
        updatedAt: now,
      })
      .onConflictDoUpdate({
        target: chargebacks.id,
        // A late `created` after `closed` must not reopen it.
        set: closed ? { status: String(dispute.status), updatedAt: now } : { updatedAt: now },
      });
    if (!closed)
      await bookings.chargeback(row.bookingId, `Chargeback (${String(dispute.reason ?? "unknown")})`);
  }

  /** Routes one verified, stored event to its handler, inside the event's processing transaction. */
  async function handleEvent(event: StripeEvent): Promise<void> {
    const object = event.data.object;
    await transaction(pool, async (tx) => {
      switch (event.type) {
        case "payment_intent.succeeded":
          return paymentSucceeded(tx, object);
        case "payment_intent.payment_failed":
        case "payment_intent.canceled":
          await tx.db
            .update(bookingPayments)
            .set({ status: String(object.status), updatedAt: clock.now() })
            .where(and(eq(bookingPayments.paymentIntentId, object.id), sql`status <> 'succeeded'`));
          return;
        case "charge.refunded":
          return chargeRefunded(tx, object);
        case "account.updated":
          // Re-read rather than trust the event's copy: an older event delivered late cannot undo a newer one.
          return storeAccountStatus(await gateway.retrieveAccount(object.id));
        case "payout.paid":
          return payoutEvent(tx, object, "paid");
        case "payout.failed":
          return payoutEvent(tx, object, "failed");
        case "charge.dispute.created":
          return chargebackEvent(tx, object, false);
        case "charge.dispute.closed":
          return chargebackEvent(tx, object, true);
        default:
          return;
      }
    });
  }

  /**
   * An admin's refund of a booking (a dispute's resolution, or a refund after release), in one transaction
   * with its audit entry: `apply` is the booking transition that enqueues the money it owes.
   */
  async function adminSettlement(
    admin: AuthUser,
    bookingId: string,
    input: { refundAmount: Money; note: string },
    action: "dispute.resolve" | "booking.refund",
    apply: (
      bookingId: string,
      options: { by: string; refundAmount: number; note: string },
    ) => Promise<BookingView>,
  ): Promise<BookingView> {
    return transaction(pool, async () => {
      const booking = await bookings.money(bookingId);
      if (!booking) throw new AppError(bookingErrors.notFound, "No booking with this id");
      if (input.refundAmount.currency !== booking.currency) {
        throw new AppError(
          paymentErrors.currencyMismatch,
          `The booking is paid in ${booking.currency}, not ${input.refundAmount.currency}`,
        );
      }
      const view = await apply(bookingId, {
        by: admin.id,
        refundAmount: input.refundAmount.amount,
        note: input.note,
      });
      await deps.audit.record({
        actorId: admin.id,
        action,
        targetType: "booking",
        targetId: bookingId,
        before: { status: booking.status },
        after: { status: view.status, refundAmount: input.refundAmount },
        reason: input.note,
      });
      return view;
    });
  }

  return {
    pay,
    settle,
    payout,
    handleEvent,
    withdraw,

    /**
     * Runs inside every booking transition: a status that owes money (a release, a refund, a cancellation)
     * enqueues its settlement in the same transaction, so the status never commits without it.
     */
    async onBookingTransition(tx: Tx, bookingId: string, to: BookingStatus): Promise<void> {
      if (["released", "refunded", "partially_refunded", "cancelled"].includes(to)) {
        await jobs.send(settleQueue, { bookingId }, { db: tx, retryLimit: 20, retryBackoff: true });
      }
    },

    async onboard(user: AuthUser): Promise<{ url: string }> {
      let row = await accountOf(user.id);
      try {
        if (!row) {
          const created = await gateway.createAccount({
            userId: user.id,
            idempotencyKey: `onboarding:${user.id}`,
          });
          const now = clock.now();
          await db
            .insert(paymentAccounts)
            .values({ userId: user.id, accountId: created.id, createdAt: now, updatedAt: now })
            .onConflictDoNothing();
          row = await accountOf(user.id);
          if (!row) throw new Error("payment account insert vanished");
        }
        await storeAccountStatus(await gateway.retrieveAccount(row.accountId));
        const base = deps.baseUrl();
        const url = await gateway.accountLink(row.accountId, {
          returnUrl: settings.connectReturnUrl ?? `${base}/api/v1/payments/connect/status`,
          refreshUrl: settings.connectRefreshUrl ?? `${base}/api/v1/payments/connect/status`,
        });
        return { url };
      } catch (error) {
        if (error instanceof AppError) throw error;
        throw gatewayFailure(error);
      }
    },

    async connectStatus(user: AuthUser) {
      return statusOf(await accountOf(user.id));
    },

    async commission() {
      return currentCommission();
    },

    async setCommission(admin: AuthUser, input: { rateBps: number; fixedFee: Money }) {
      return transaction(pool, async (tx) => {
        const before = await currentCommission(tx.db);
        await tx.db.insert(commissionSettings).values({
          rateBps: input.rateBps,
          fixedFeeAmount: input.fixedFee.amount,
          fixedFeeCurrency: input.fixedFee.currency,
          changedBy: admin.id,
          createdAt: clock.now(),
        });
        await deps.audit.record({
          actorId: admin.id,
          action: "commission.update",
          targetType: "commission_settings",
          targetId: "commission",
          before,
          after: input,
        });
        return input;
      });
    },

    /** An admin's resolution: the booking's transition enqueues the money it owes; audit-logged with it. */
    resolveDispute: (admin: AuthUser, bookingId: string, input: { refundAmount: Money; note: string }) =>
      adminSettlement(admin, bookingId, input, "dispute.resolve", bookings.resolveDispute),

    /** An admin refunds a released booking: the contractor's transfer is reversed for their share. */
    refundReleased: (admin: AuthUser, bookingId: string, input: { refundAmount: Money; note: string }) =>
      adminSettlement(admin, bookingId, input, "booking.refund", bookings.refundReleased),

    async disputes(query: { limit: number; cursor?: string | undefined }) {
      // A chargeback on a booking already released cannot make it `disputed` (the money has moved on), but it
      // is still the admin's to answer while the bank has not closed it.
      const open = await db
        .selectDistinct({ bookingId: chargebacks.bookingId })
        .from(chargebacks)
        .where(notInArray(chargebacks.status, closedChargebackStatuses));
      const page: Page<BookingView> = await bookings.listDisputed(
        query,
        open.map((row) => row.bookingId),
      );
      const ids = page.items.map((booking) => booking.id);
      const rows =
        ids.length === 0
          ? []
          : await db.select().from(chargebacks).where(inArray(chargebacks.bookingId, ids));
      return {
        items: page.items.map((booking) => ({
          booking,
          chargebacks: rows
            .filter((row) => row.bookingId === booking.id)
            .map((row) => ({
              id: row.id,
              amount: { amount: row.amount, currency: row.currency },
              reason: row.reason,
              status: row.status,
              createdAt: row.createdAt.toISOString(),
            })),
        })),
        nextCursor: page.nextCursor,
      };
    },

    async listWithdrawals(user: AuthUser, query: { limit: number; cursor?: string | undefined }) {
      const page = await pageNewestById(
        db.select().from(withdrawals).$dynamic(),
        withdrawals.id,
        [eq(withdrawals.contractorId, user.id)],
        query,
        (row) => row.id,
      );
      return { items: await Promise.all(page.items.map(withdrawalView)), nextCursor: page.nextCursor };
    },

    async earnings(
      user: AuthUser,
      query: { limit: number; cursor?: string | undefined; currency?: string | undefined },
    ) {
      const [latest] = await db
        .select({ currency: bookingPayments.currency })
        .from(bookingPayments)
        .where(eq(bookingPayments.contractorId, user.id))
        .orderBy(desc(bookingPayments.createdAt))
        .limit(1);
      const currency = query.currency ?? latest?.currency ?? settings.defaultCommission.fixedFee.currency;
      const [held] = await db
        .select({ sum: sql<string>`coalesce(sum(${bookingPayments.contractorAmount}), 0)` })
        .from(bookingPayments)
        .where(
          and(
            eq(bookingPayments.contractorId, user.id),
            eq(bookingPayments.currency, currency),
            isNotNull(bookingPayments.fundedAt),
            isNull(bookingPayments.settledAt),
          ),
        );
      const [paid] = await db
        .select({ sum: sql<string>`coalesce(sum(${withdrawals.amount}), 0)` })
        .from(withdrawals)
        .where(
          and(
            eq(withdrawals.contractorId, user.id),
            eq(withdrawals.currency, currency),
            eq(withdrawals.status, "paid"),
          ),
        );
      const payable = accounts.contractorPayable(user.id);
      const page = await ledger.entries({ accountPrefix: payable, cursor: query.cursor, limit: query.limit });
      return {
        held: { amount: Number(held?.sum ?? 0), currency },
        available: { amount: -(await ledger.balance(payable, currency)), currency },
        paidOut: { amount: Number(paid?.sum ?? 0), currency },
        entries: page.items,
        nextCursor: page.nextCursor,
      };
    },

    /** Registers a consumer of money events (the notifications module's seam), called after commit. */
    onMoneyEvent(listener: MoneyEventListener): void {
      listeners.push(listener);
    },

    async deliverMoneyEvent(event: MoneyEvent): Promise<void> {
      for (const listener of listeners) await listener(event);
    },
  };
}

export type PaymentsService = ReturnType<typeof createPaymentsService>;
