import { sql } from "drizzle-orm";
import {
  bigint,
  check,
  foreignKey,
  index,
  pgTable,
  text,
  timestamp,
  unique,
  uuid,
} from "drizzle-orm/pg-core";
import { id } from "../../db/columns.js";
import { bookings } from "../bookings/bookings.tables.js";

/**
 * One money movement of the double-entry ledger (docs/architecture.md, "The ledger"). Rows are never updated
 * nor deleted (a trigger refuses it); a correction is a new transaction. Its entries sum to zero per currency,
 * which a deferred constraint trigger checks at commit (the `ledger` migration).
 */
export const ledgerTransactions = pgTable(
  "ledger_transactions",
  {
    id: id(),
    /** The caller's idempotency key (`release:<bookingId>`): posting the same key twice records it once. */
    key: text().notNull(),
    /** What happened (`funding`, `release`, `withdrawal_paid`…), for reports and filters. */
    kind: text().notNull(),
    currency: text().notNull(),
    bookingId: uuid().references(() => bookings.id),
    /** The withdrawal behind it; the payments module owns that table, so no foreign key here. */
    withdrawalId: uuid(),
    memo: text(),
    createdAt: timestamp({ withTimezone: true }).notNull(),
  },
  (table) => [
    unique("ledger_transactions_key").on(table.key),
    // Lets entries name their currency and the database hold it equal to their transaction's.
    unique("ledger_transactions_id_currency").on(table.id, table.currency),
    check("ledger_transactions_currency", sql`${table.currency} ~ '^[a-z]{3}$'`),
    check("ledger_transactions_key_length", sql`length(${table.key}) between 1 and 200`),
    check("ledger_transactions_kind", sql`${table.kind} ~ '^[a-z][a-z0-9_]{0,49}$'`),
    index("ledger_transactions_created").on(table.createdAt.desc(), table.id.desc()),
    index("ledger_transactions_booking").on(table.bookingId),
    index("ledger_transactions_withdrawal").on(table.withdrawalId),
  ],
);

/** One side of a movement: `amount` is signed, positive for a debit and negative for a credit. */
export const ledgerEntries = pgTable(
  "ledger_entries",
  {
    id: id(),
    transactionId: uuid().notNull(),
    account: text().notNull(),
    amount: bigint({ mode: "number" }).notNull(),
    currency: text().notNull(),
  },
  (table) => [
    foreignKey({
      name: "ledger_entries_transaction_fk",
      columns: [table.transactionId, table.currency],
      foreignColumns: [ledgerTransactions.id, ledgerTransactions.currency],
    }),
    check("ledger_entries_amount", sql`${table.amount} <> 0`),
    check("ledger_entries_account", sql`${table.account} ~ '^[a-z][a-z_]*(:[0-9a-f-]{36})?$'`),
    // Balances are sums over (account, currency): the amount in the index lets them read the index alone.
    index("ledger_entries_balance").on(table.account, table.currency, table.amount),
    index("ledger_entries_transaction").on(table.transactionId),
  ],
);
