import { and, desc, eq, gte, inArray, lt, type SQL, sql } from "drizzle-orm";
import type pg from "pg";
import { z } from "zod";
import type { Clock } from "../../clock.js";
import { inTransaction, type Tx, transaction } from "../../db/transaction.js";
import { AppError } from "../../http/errors.js";
import { decodeCursor, type Page, pageNewestById, toPage } from "../../http/pagination.js";
import { accountPattern } from "./ledger.accounts.js";
import { ledgerErrors } from "./ledger.errors.js";
import { ledgerEntries, ledgerTransactions } from "./ledger.tables.js";

/** One side of a movement, in integer minor units: positive debits the account, negative credits it. */
export interface Posting {
  account: string;
  amount: number;
}

export interface PostInput {
  /** Idempotency key, stable across retries of the same movement (`release:<bookingId>`). */
  key: string;
  /** What happened (`funding`, `release`…): a lower-case word. */
  kind: string;
  /** The one currency of every posting (lower-case ISO 4217). */
  currency: string;
  bookingId?: string;
  withdrawalId?: string;
  memo?: string;
  /** At least two, each on its own account, none zero, summing to zero. */
  postings: Posting[];
}

/** One entry as earnings screens and reports show it: the account's side and the movement it belongs to. */
export interface LedgerEntryView {
  id: string;
  transactionId: string;
  kind: string;
  account: string;
  /** Signed minor units: positive debit, negative credit. */
  amount: number;
  currency: string;
  bookingId: string | null;
  withdrawalId: string | null;
  memo: string | null;
  createdAt: string;
}

export interface LedgerTransactionView {
  id: string;
  key: string;
  kind: string;
  currency: string;
  bookingId: string | null;
  withdrawalId: string | null;
  memo: string | null;
  createdAt: string;
  entries: Posting[];
}

export interface AccountBalance {
  account: string;
  currency: string;
  balance: number;
}

export interface EntriesQuery {
  /** Only accounts whose name starts with this (`contractor_payable:<id>`, `contractor_`). */
  accountPrefix?: string;
  bookingId?: string;
  cursor?: string;
  limit: number;
}

export interface TransactionsQuery {
  bookingId?: string;
  /** Only transactions with an entry on this account. */
  account?: string;
  kind?: string;
  /** Created at or after. */
  from?: Date;
  /** Created before. */
  to?: Date;
  cursor?: string;
  limit: number;
}

/** The net of one account's entries on one UTC day in one currency (signed like entries). */
export interface DailyNet {
  /** YYYY-MM-DD, the UTC day the transactions were recorded. */
  day: string;
  currency: string;
  amount: number;
}

export interface BalancesQuery {
  accountPrefix?: string;
  currency?: string;
  cursor?: string;
  limit: number;
}

export interface LedgerService {
  /**
   * Records one balanced transaction inside the caller's transaction (joins it via `transaction(pool, …)`).
   * Idempotent by `key`: a second call with the same key returns the first transaction and writes nothing;
   * the same key with other postings, kind, currency, booking or withdrawal is 409 `ledger.key_reused`.
   */
  post(input: PostInput): Promise<{ id: string; created: boolean }>;
  /** The account's balance in `currency` (signed, positive debit), as the caller's transaction sees it. */
  balance(account: string, currency: string): Promise<number>;
  /** Locks an account for the rest of the caller's transaction (withdrawals check-then-post cannot overdraw). */
  lock(account: string): Promise<void>;
  /** Entries, newest first. */
  entries(query: EntriesQuery): Promise<Page<LedgerEntryView>>;
  /** Transactions with their entries, newest first (the admin's view). */
  transactions(query: TransactionsQuery): Promise<Page<LedgerTransactionView>>;
  /** Balances per account and currency, by account name. */
  balances(query: BalancesQuery): Promise<Page<AccountBalance>>;
  /**
   * What moved through one account over [from, to), netted per UTC day and currency (signed like entries:
   * the commission earned on a day is minus the day's net on `platform_commission`). Days and currencies
   * with no entry are absent.
   */
  dailyNet(account: string, period: { from: Date; to: Date }): Promise<DailyNet[]>;
}

export interface LedgerDeps {
  pool: pg.Pool;
  clock: Clock;
}

// Advisory locks taken with two keys live apart from single-key ones (the migration lock, pg-boss).
const accountLockClass = 0x1ed6e7;

// Lower case, as PostgreSQL returns ids: a retry compares the ids it sends with the ones stored.
const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const balanceCursor = z.tuple([z.string(), z.string()]);

function invalid(detail: string): AppError {
  return new AppError(ledgerErrors.invalidPosting, detail);
}

/** Everything the database would refuse, refused first with a message that names the fault. */
function checkPostInput(input: PostInput): void {
  const text = (name: string, value: string | undefined, pattern?: RegExp, max = 200) => {
    if (value === undefined) return;
    if (typeof value !== "string" || value.length === 0 || value.length > max || value.includes("\u0000"))
      throw invalid(`${name} must be 1 to ${max} characters without NUL`);
    if (pattern && !pattern.test(value)) throw invalid(`${name} ${JSON.stringify(value)} is not valid`);
  };
  for (const name of ["key", "kind", "currency"] as const)
    if (input[name] === undefined) throw invalid(`${name} is required`);
  text("key", input.key);
  text("kind", input.kind, /^[a-z][a-z0-9_]{0,49}$/);
  text("currency", input.currency, /^[a-z]{3}$/);
  text("bookingId", input.bookingId, uuidPattern);
  text("withdrawalId", input.withdrawalId, uuidPattern);
  text("memo", input.memo, undefined, 1000);
  if (!Array.isArray(input.postings) || input.postings.length < 2)
    throw invalid("A ledger transaction moves money between at least two accounts");
  const seen = new Set<string>();
  let sum = 0n;
  for (const posting of input.postings) {
    text("account", posting.account, accountPattern);
    if (seen.has(posting.account))
      throw invalid(`The account ${posting.account} appears twice: net its amounts into one posting`);
    seen.add(posting.account);
    if (!Number.isSafeInteger(posting.amount) || posting.amount === 0)
      throw invalid(
        `The amount on ${posting.account} must be a non-zero whole number of minor units, not ${posting.amount}`,
      );
    sum += BigInt(posting.amount);
  }
  if (sum !== 0n) {
    throw new AppError(
      ledgerErrors.unbalanced,
      `The postings of ${input.key} sum to ${sum} ${input.currency}, not 0: debits (positive) must equal credits (negative)`,
    );
  }
}

/** The postings in a canonical order, to compare a retry with the transaction first recorded. */
function sameMovement(
  input: PostInput,
  found: { kind: string; currency: string; bookingId: string | null; withdrawalId: string | null },
  entries: Posting[],
): boolean {
  const canonical = (postings: Posting[]) =>
    JSON.stringify(
      postings
        .map((posting) => [posting.account, posting.amount])
        .sort(([a], [b]) => (String(a) < String(b) ? -1 : 1)),
    );
  return (
    found.kind === input.kind &&
    found.currency === input.currency &&
    found.bookingId === (input.bookingId ?? null) &&
    found.withdrawalId === (input.withdrawalId ?? null) &&
    canonical(entries) === canonical(input.postings)
  );
}

function startsWith(column: SQL | typeof ledgerEntries.account, prefix: string): SQL {
  return sql`starts_with(${column}, ${prefix})`;
}

export function createLedgerService(deps: LedgerDeps): LedgerService {
  const { pool, clock } = deps;
  // Every read and write joins the caller's transaction when there is one, so a balance checked before a
  // posting sees what the same transaction already posted.
  const within = <T>(work: (tx: Tx) => Promise<T>) => transaction(pool, work);

  return {
    async post(input) {
      checkPostInput(input);
      return within(async (tx) => {
        const [inserted] = await tx.db
          .insert(ledgerTransactions)
          .values({
            key: input.key,
            kind: input.kind,
            currency: input.currency,
            bookingId: input.bookingId ?? null,
            withdrawalId: input.withdrawalId ?? null,
            memo: input.memo ?? null,
            createdAt: clock.now(),
          })
          .onConflictDoNothing({ target: ledgerTransactions.key })
          .returning({ id: ledgerTransactions.id });
        if (inserted) {
          await tx.db.insert(ledgerEntries).values(
            input.postings.map((posting) => ({
              transactionId: inserted.id,
              account: posting.account,
              amount: posting.amount,
              currency: input.currency,
            })),
          );
          return { id: inserted.id, created: true };
        }
        // A retry: the first recording stands, provided it is the same movement.
        const [found] = await tx.db
          .select()
          .from(ledgerTransactions)
          .where(eq(ledgerTransactions.key, input.key));
        if (!found) throw new Error(`ledger key ${input.key} conflicted but cannot be read`);
        const entries = await tx.db
          .select({ account: ledgerEntries.account, amount: ledgerEntries.amount })
          .from(ledgerEntries)
          .where(eq(ledgerEntries.transactionId, found.id));
        if (!sameMovement(input, found, entries)) {
          throw new AppError(
            ledgerErrors.keyReused,
            `The ledger key ${input.key} already recorded a different ${found.kind} transaction (${found.id})`,
          );
        }
        return { id: found.id, created: false };
      });
    },

    async balance(account, currency) {
      return within(async (tx) => {
        const [row] = await tx.db
          .select({ balance: sql<number>`coalesce(sum(${ledgerEntries.amount}), 0)::bigint`.mapWith(Number) })
          .from(ledgerEntries)
          .where(and(eq(ledgerEntries.account, account), eq(ledgerEntries.currency, currency)));
        return row?.balance ?? 0;
      });
    },

    async lock(account) {
      if (!inTransaction(pool))
        throw new Error(
          "ledger.lock() holds until the caller's transaction ends: call it inside transaction()",
        );
      await within((tx) =>
        tx.executeSql("select pg_advisory_xact_lock($1, hashtext($2))", [accountLockClass, account]),
      );
    },

    async entries(query) {
      const conditions: SQL[] = [];
      if (query.accountPrefix !== undefined)
        conditions.push(startsWith(ledgerEntries.account, query.accountPrefix));
      if (query.bookingId !== undefined) conditions.push(eq(ledgerTransactions.bookingId, query.bookingId));
      const page = await within((tx) =>
        pageNewestById(
          tx.db
            .select({
              id: ledgerEntries.id,
              transactionId: ledgerEntries.transactionId,
              kind: ledgerTransactions.kind,
              account: ledgerEntries.account,
              amount: ledgerEntries.amount,
              currency: ledgerEntries.currency,
              bookingId: ledgerTransactions.bookingId,
              withdrawalId: ledgerTransactions.withdrawalId,
              memo: ledgerTransactions.memo,
              createdAt: ledgerTransactions.createdAt,
            })
            .from(ledgerEntries)
            .innerJoin(ledgerTransactions, eq(ledgerTransactions.id, ledgerEntries.transactionId))
            .$dynamic(),
          ledgerEntries.id,
          conditions,
          query,
          (row) => row.id,
        ),
      );
      return {
        nextCursor: page.nextCursor,
        items: page.items.map((row) => ({ ...row, createdAt: row.createdAt.toISOString() })),
      };
    },

    async transactions(query) {
      const conditions: SQL[] = [];
      if (query.bookingId !== undefined) conditions.push(eq(ledgerTransactions.bookingId, query.bookingId));
      if (query.kind !== undefined) conditions.push(eq(ledgerTransactions.kind, query.kind));
      if (query.from !== undefined) conditions.push(gte(ledgerTransactions.createdAt, query.from));
      if (query.to !== undefined) conditions.push(lt(ledgerTransactions.createdAt, query.to));
      if (query.account !== undefined) {
        const account = query.account;
        conditions.push(
          sql`exists (select 1 from ${ledgerEntries} where ${ledgerEntries.transactionId} = ${ledgerTransactions.id} and ${ledgerEntries.account} = ${account})`,
        );
      }
      return within(async (tx) => {
        const page = await pageNewestById(
          tx.db.select().from(ledgerTransactions).$dynamic(),
          ledgerTransactions.id,
          conditions,
          query,
          (row) => row.id,
        );
        const ids = page.items.map((row) => row.id);
        const entries =
          ids.length === 0
            ? []
            : await tx.db
                .select({
                  transactionId: ledgerEntries.transactionId,
                  account: ledgerEntries.account,
                  amount: ledgerEntries.amount,
                })
                .from(ledgerEntries)
                .where(inArray(ledgerEntries.transactionId, ids))
                .orderBy(desc(ledgerEntries.amount), ledgerEntries.account);
        // Map.groupBy is not in Node 20.
        const byTransaction = new Map<string, Posting[]>();
        for (const { transactionId, account, amount } of entries) {
          const list = byTransaction.get(transactionId) ?? [];
          list.push({ account, amount });
          byTransaction.set(transactionId, list);
        }
        return {
          nextCursor: page.nextCursor,
          items: page.items.map((row) => ({
            id: row.id,
            key: row.key,
            kind: row.kind,
            currency: row.currency,
            bookingId: row.bookingId,
            withdrawalId: row.withdrawalId,
            memo: row.memo,
            createdAt: row.createdAt.toISOString(),
            entries: byTransaction.get(row.id) ?? [],
          })),
        };
      });
    },

    async balances(query) {
      const conditions: SQL[] = [];
      if (query.accountPrefix !== undefined)
        conditions.push(startsWith(ledgerEntries.account, query.accountPrefix));
      if (query.currency !== undefined) conditions.push(eq(ledgerEntries.currency, query.currency));
      if (query.cursor !== undefined) {
        const [account, currency] = decodeCursor({ ...query, cursor: query.cursor }, balanceCursor);
        conditions.push(
          sql`(${ledgerEntries.account}, ${ledgerEntries.currency}) > (${account}, ${currency})`,
        );
      }
      const rows = await within((tx) =>
        tx.db
          .select({
            account: ledgerEntries.account,
            currency: ledgerEntries.currency,
            balance: sql<number>`sum(${ledgerEntries.amount})::bigint`.mapWith(Number),
          })
          .from(ledgerEntries)
          .where(and(...conditions))
          .groupBy(ledgerEntries.account, ledgerEntries.currency)
          // Byte order, so the listing and its cursors read the same under any database collation.
          .orderBy(sql`${ledgerEntries.account} collate "C"`, sql`${ledgerEntries.currency} collate "C"`)
          .limit(query.limit + 1),
      );
      return toPage(
        rows,
        query,
        (row) => [row.account, row.currency],
        (row) => row,
      );
    },

    async dailyNet(account, period) {
      const day = sql<string>`to_char(${ledgerTransactions.createdAt} at time zone 'UTC', 'YYYY-MM-DD')`;
      return within((tx) =>
        tx.db
          .select({
            day,
            currency: ledgerEntries.currency,
            amount: sql<number>`sum(${ledgerEntries.amount})::bigint`.mapWith(Number),
          })
          .from(ledgerEntries)
          .innerJoin(ledgerTransactions, eq(ledgerTransactions.id, ledgerEntries.transactionId))
          .where(
            and(
              eq(ledgerEntries.account, account),
              gte(ledgerTransactions.createdAt, period.from),
              lt(ledgerTransactions.createdAt, period.to),
            ),
          )
          .groupBy(day, ledgerEntries.currency)
          .orderBy(day, ledgerEntries.currency),
      );
    },
  };
}
