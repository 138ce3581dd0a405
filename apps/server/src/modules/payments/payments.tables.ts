import { sql } from "drizzle-orm";
import {
  bigint,
  boolean,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import { createdAt, id } from "../../db/columns.js";
import { bookings } from "../bookings/bookings.tables.js";
import { users } from "../users/users.tables.js";

/** A contractor's Stripe Connect account and what it may do, as its last `account.updated` said. */
export const paymentAccounts = pgTable("payment_accounts", {
  userId: uuid()
    .primaryKey()
    .references(() => users.id),
  accountId: text().notNull().unique(),
  chargesEnabled: boolean().notNull().default(false),
  payoutsEnabled: boolean().notNull().default(false),
  detailsSubmitted: boolean().notNull().default(false),
  transfersEnabled: boolean().notNull().default(false),
  createdAt: createdAt(),
  updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
});

/**
 * A booking's money at the gateway: its one PaymentIntent (and charge), the Transfer of its release, the
 * cumulative refund owed and settled, and the commission frozen when it was paid.
 */
export const bookingPayments = pgTable(
  "booking_payments",
  {
    bookingId: uuid()
      .primaryKey()
      .references(() => bookings.id),
    paymentIntentId: text().notNull().unique(),
    chargeId: text().unique(),
    amount: bigint({ mode: "number" }).notNull(),
    currency: text().notNull(),
    /** requires_payment_method, requires_action, processing, succeeded, canceled: the intent's last status. */
    status: text().notNull(),
    contractorId: uuid()
      .notNull()
      .references(() => users.id),
    /** The booking's connected account at payment time: its release goes there. */
    destinationAccount: text().notNull(),
    /** Frozen when `payment_intent.succeeded` is processed (the commission setting then in force). */
    commissionAmount: bigint({ mode: "number" }),
    contractorAmount: bigint({ mode: "number" }),
    fundedAt: timestamp({ withTimezone: true }),
    /** Every movement the booking owes is made (released, refunded, or both): nothing is held any more. */
    settledAt: timestamp({ withTimezone: true }),
    /** The Transfer of the release, once made. */
    transferId: text().unique(),
    transferAmount: bigint({ mode: "number" }),
    /** The refund (in total) that the release and any reversals since have accounted for. */
    releaseRefundBasis: bigint({ mode: "number" }),
    /** Transfer reversals made for refunds after release, in total. */
    reversedAmount: bigint({ mode: "number" }).notNull().default(0),
    /** Refunds asked of the gateway, in total, and what the gateway confirmed (`charge.amount_refunded`). */
    refundedAmount: bigint({ mode: "number" }).notNull().default(0),
    refundSettledAmount: bigint({ mode: "number" }).notNull().default(0),
    createdAt: createdAt(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    index("booking_payments_contractor").on(table.contractorId),
    check("booking_payments_amount", sql`${table.amount} > 0`),
    check(
      "booking_payments_refunds",
      sql`${table.refundedAmount} between 0 and ${table.amount} and ${table.refundSettledAmount} between 0 and ${table.amount}`,
    ),
    check(
      "booking_payments_transfer",
      sql`${table.transferAmount} is null or ${table.transferAmount} between 0 and ${table.amount}`,
    ),
  ],
);

/** Every Stripe event received, by id: stored once, processed once by the `payment.webhook` job. */
export const webhookEvents = pgTable(
  "payment_webhook_events",
  {
    id: text().primaryKey(),
    type: text().notNull(),
    /** The connected account it happened on (payouts, account updates), if any. */
    account: text(),
    payload: jsonb().notNull(),
    receivedAt: timestamp({ withTimezone: true }).notNull(),
    processedAt: timestamp({ withTimezone: true }),
  },
  (table) => [
    index("payment_webhook_events_unprocessed").on(table.receivedAt).where(sql`processed_at is null`),
  ],
);

/** The commission settings, newest last: each booking freezes the one in force when it is paid. */
export const commissionSettings = pgTable(
  "commission_settings",
  {
    id: id(),
    rateBps: integer().notNull(),
    fixedFeeAmount: bigint({ mode: "number" }).notNull(),
    fixedFeeCurrency: text().notNull(),
    changedBy: uuid().references(() => users.id),
    createdAt: createdAt(),
  },
  (table) => [
    check("commission_settings_rate", sql`${table.rateBps} between 0 and 10000`),
    check("commission_settings_fee", sql`${table.fixedFeeAmount} >= 0`),
  ],
);

/** A contractor's request to move available earnings to their bank: one Payout on their connected account. */
export const withdrawals = pgTable(
  "withdrawals",
  {
    id: id(),
    contractorId: uuid()
      .notNull()
      .references(() => users.id),
    accountId: text().notNull(),
    amount: bigint({ mode: "number" }).notNull(),
    currency: text().notNull(),
    /** pending (asked), in_transit (Payout made), paid, failed (money returned to the balance). */
    status: text().notNull(),
    payoutId: text().unique(),
    failureCode: text(),
    createdAt: createdAt(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    check("withdrawals_amount", sql`${table.amount} > 0`),
    check("withdrawals_status", sql`${table.status} in ('pending','in_transit','paid','failed')`),
    index("withdrawals_contractor").on(table.contractorId, table.id.desc()),
  ],
);

/** Card-network chargebacks (`charge.dispute.*`) on a booking's charge, for admins. */
export const chargebacks = pgTable(
  "payment_chargebacks",
  {
    id: text().primaryKey(),
    bookingId: uuid()
      .notNull()
      .references(() => bookings.id),
    chargeId: text().notNull(),
    amount: bigint({ mode: "number" }).notNull(),
    currency: text().notNull(),
    reason: text().notNull(),
    status: text().notNull(),
    createdAt: createdAt(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [uniqueIndex("payment_chargebacks_booking").on(table.bookingId, table.id)],
);

/** The simulated gateway's objects (Stripe-shaped JSON), kept so they outlive the process like Stripe's do. */
export const simulatedObjects = pgTable("payment_simulated_objects", {
  id: text().primaryKey(),
  object: text().notNull(),
  body: jsonb().notNull(),
});

/** The simulated gateway's idempotency keys and the answers they replay. */
export const simulatedKeys = pgTable("payment_simulated_keys", {
  key: text().primaryKey(),
  fingerprint: text().notNull(),
  answer: jsonb().notNull(),
  createdAt: createdAt(),
});
