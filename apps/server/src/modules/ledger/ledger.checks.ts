import { sql } from "drizzle-orm";
import type pg from "pg";
import { type Tx, transaction } from "../../db/transaction.js";
import { bookingMoney, fundsHeldStatuses } from "../bookings/index.js";
import { userDirectory } from "../users/index.js";
import { accounts } from "./ledger.accounts.js";

/**
 * One invariant of the books. `run` reads inside a read-only, repeatable-read transaction (one snapshot for
 * every check) and returns one line per violation, naming what is wrong; none when the invariant holds.
 * Other modules add theirs to the list `npm run ledger:check` runs (payments: reconciliation with the
 * gateway's objects), so one command answers whether the money adds up.
 */
export interface LedgerCheck {
  name: string;
  run(tx: Tx): Promise<string[]>;
}

export interface CheckResult {
  name: string;
  violations: string[];
}

async function rows<Row>(tx: Tx, query: ReturnType<typeof sql>): Promise<Row[]> {
  return (await tx.db.execute(query)).rows as Row[];
}

/** The ledger's own invariants, and the customer funds held against the bookings that hold them. */
export const ledgerChecks: LedgerCheck[] = [
  {
    name: "transactions balance",
    async run(tx) {
      const found = await rows<{ id: string; key: string; currency: string; total: number }>(
        tx,
        sql`select t.id, t.key, e.currency, sum(e.amount)::bigint as total
              from ledger_transactions t join ledger_entries e on e.transaction_id = t.id
             group by t.id, t.key, e.currency having sum(e.amount) <> 0 order by t.id`,
      );
      return found.map(
        (row) => `transaction ${row.id} (${row.key}) sums to ${row.total} ${row.currency} instead of 0`,
      );
    },
  },
  {
    name: "transactions have two entries or more",
    async run(tx) {
      const found = await rows<{ id: string; key: string; entries: number }>(
        tx,
        sql`select t.id, t.key, count(e.id)::int as entries
              from ledger_transactions t left join ledger_entries e on e.transaction_id = t.id
             group by t.id, t.key having count(e.id) < 2 order by t.id`,
      );
      return found.map(
        (row) =>
          `transaction ${row.id} (${row.key}) has ${row.entries} entries; a movement needs at least two`,
      );
    },
  },
  {
    name: "entries belong to a transaction of their currency",
    async run(tx) {
      const found = await rows<{ id: string; account: string; transaction_id: string; currency: string }>(
        tx,
        sql`select e.id, e.account, e.transaction_id, e.currency
              from ledger_entries e left join ledger_transactions t on t.id = e.transaction_id
             where t.id is null or t.currency <> e.currency order by e.id`,
      );
      return found.map(
        (row) =>
          `entry ${row.id} on ${row.account} (${row.currency}) has no transaction ${row.transaction_id} of its currency`,
      );
    },
  },
  {
    name: "no zero entries",
    async run(tx) {
      const found = await rows<{ id: string; account: string }>(
        tx,
        sql`select id, account from ledger_entries where amount = 0 order by id`,
      );
      return found.map((row) => `entry ${row.id} on ${row.account} moves nothing`);
    },
  },
  {
    name: "customer funds held match the bookings",
    async run(tx) {
      const held = sql.join(
        fundsHeldStatuses.map((status) => sql`${status}`),
        sql`, `,
      );
      // Per booking: what the ledger holds for it against what its status says it holds (its price or 0).
      const found = await rows<{
        booking_id: string | null;
        status: string | null;
        currency: string;
        held: number;
        expected: number;
      }>(
        tx,
        sql`with ledger as (
              select t.booking_id, e.currency, -sum(e.amount)::bigint as held
                from ledger_entries e join ledger_transactions t on t.id = e.transaction_id
               where e.account = ${accounts.customerFundsHeld}
               group by t.booking_id, e.currency
            ), booking as (
              select id, status, currency, price_amount from ${bookingMoney}
            ), expected as (
              select id as booking_id, currency, price_amount::bigint as expected
                from booking where status in (${held})
            )
            select coalesce(l.booking_id, x.booking_id) as booking_id, b.status,
                   coalesce(l.currency, x.currency) as currency,
                   coalesce(l.held, 0)::bigint as held, coalesce(x.expected, 0)::bigint as expected
              from ledger l
              full join expected x on x.booking_id = l.booking_id and x.currency = l.currency
              left join booking b on b.id = coalesce(l.booking_id, x.booking_id)
             where coalesce(l.held, 0) <> coalesce(x.expected, 0)
             order by 1 nulls first, 3`,
      );
      return found.map((row) =>
        row.booking_id === null
          ? `${accounts.customerFundsHeld} holds ${row.held} ${row.currency} for no booking`
          : `booking ${row.booking_id} (${row.status}) has ${row.held} ${row.currency} held in ${accounts.customerFundsHeld}; expected ${row.expected}`,
      );
    },
  },
  {
    name: "contractor accounts belong to contractors",
    async run(tx) {
      // A share posted to a customer's id, or to an id that is no one's, is money no one can withdraw.
      const found = await rows<{ account: string }>(
        tx,
        sql`select distinct e.account from ledger_entries e
             where e.account ~ '^contractor_[a-z_]+:'
               and not exists (select 1 from ${userDirectory}
                                where ${userDirectory.id}::text = split_part(e.account, ':', 2)
                                  and ${userDirectory.role} = 'contractor')
             order by 1`,
      );
      return found.map((row) => `${row.account} names no contractor account`);
    },
  },
  {
    name: "contractor payable never negative",
    async run(tx) {
      const found = await rows<{ account: string; currency: string; balance: number }>(
        tx,
        sql`select account, currency, sum(amount)::bigint as balance from ledger_entries
             where starts_with(account, 'contractor_payable:')
             group by account, currency having sum(amount) > 0 order by account`,
      );
      return found.map(
        (row) =>
          `${row.account} is ${-row.balance} ${row.currency}: the contractor owes the platform (more withdrawn or reversed than earned)`,
      );
    },
  },
  {
    name: "nothing settled beyond what was asked",
    async run(tx) {
      // In-flight and escrow accounts are credits until settled; a debit balance means something was
      // settled (paid, refunded, released) twice or without being asked.
      const found = await rows<{ account: string; currency: string; balance: number }>(
        tx,
        sql`select account, currency, sum(amount)::bigint as balance from ledger_entries
             where account in (${accounts.customerFundsHeld}, ${accounts.refunds}, ${accounts.payouts})
             group by account, currency having sum(amount) > 0 order by account`,
      );
      return found.map(
        (row) =>
          `${row.account} has a debit balance of ${row.balance} ${row.currency}: more settled than asked`,
      );
    },
  },
  {
    name: "connected accounts never paid out more than received",
    async run(tx) {
      const found = await rows<{ account: string; currency: string; balance: number }>(
        tx,
        sql`select account, currency, sum(amount)::bigint as balance from ledger_entries
             where starts_with(account, 'contractor_transferred:')
             group by account, currency having sum(amount) < 0 order by account`,
      );
      return found.map(
        (row) => `${row.account} is ${row.balance} ${row.currency}: more paid out than transferred`,
      );
    },
  },
];

/** Runs `checks` on one consistent snapshot of the database; each with the violations it found. */
export async function runLedgerChecks(pool: pg.Pool, checks: readonly LedgerCheck[]): Promise<CheckResult[]> {
  return transaction(pool, async (tx) => {
    await tx.executeSql("set transaction isolation level repeatable read, read only");
    const results: CheckResult[] = [];
    for (const check of checks) results.push({ name: check.name, violations: await check.run(tx) });
    return results;
  });
}
