import { and, eq, gte, inArray, lt, or, type SQL, sql } from "drizzle-orm";
import type { Executor } from "../../db/client.js";
import { AppError } from "../../http/errors.js";
import type { Money } from "../../http/money.js";
import type { Page } from "../../http/pagination.js";
import type { BookingView } from "./bookings.contract.js";
import { bookingErrors } from "./bookings.errors.js";
import { type BookingStatus, bookingStatuses } from "./bookings.machine.js";
import { bookingPage, present } from "./bookings.service.js";
import { bookingHistory, bookings } from "./bookings.tables.js";

/** Read-only views of every booking, for admins; the rules of who may call them live in the admin module. */

export interface BookingFilter {
  limit: number;
  cursor?: string | undefined;
  status?: BookingStatus[] | undefined;
  category?: string | undefined;
  customerId?: string | undefined;
  contractorId?: string | undefined;
  /** Either party. */
  userId?: string | undefined;
  /** Created at or after. */
  from?: Date | undefined;
  /** Created before. */
  to?: Date | undefined;
}

/** Every booking matching the filters, newest first (ids are time-ordered). */
export async function listAllBookings(db: Executor, query: BookingFilter): Promise<Page<BookingView>> {
  const conditions: (SQL | undefined)[] = [
    query.status ? inArray(bookings.status, query.status) : undefined,
    query.category ? eq(bookings.categorySlug, query.category) : undefined,
    query.customerId ? eq(bookings.customerId, query.customerId) : undefined,
    query.contractorId ? eq(bookings.contractorId, query.contractorId) : undefined,
    query.userId
      ? or(eq(bookings.customerId, query.userId), eq(bookings.contractorId, query.userId))
      : undefined,
    query.from ? gte(bookings.createdAt, query.from) : undefined,
    query.to ? lt(bookings.createdAt, query.to) : undefined,
  ];
  return bookingPage(db, conditions, query);
}

/** Any booking with its whole history. */
export async function bookingById(db: Executor, id: string): Promise<BookingView> {
  const [row] = await db.select().from(bookings).where(eq(bookings.id, id));
  const [view] = row ? await present(db, [row]) : [];
  if (!view) throw new AppError(bookingErrors.notFound, "No booking with this id");
  return view;
}

/** Statuses in which the customer's payment is held by the platform, not yet released nor refunded. */
const heldStatuses: BookingStatus[] = ["funded", "in_progress", "completed", "disputed"];

export interface BookingFigures {
  /** Bookings created in the period, by their status now. */
  byStatus: Record<BookingStatus, number>;
  /** Bookings in dispute now, whenever they were made. */
  openDisputes: number;
  /** Price of the bookings paid in the period (their `funded` entry falls in it), per currency. */
  grossBookingValue: Money[];
  /** Price of every booking whose payment is held now, per currency. */
  moneyHeld: Money[];
  /** Per UTC day of the period: bookings created, and the value paid that day. */
  daily: Map<string, { bookings: number; grossBookingValue: Money[] }>;
}

const day = sql<string>`to_char(date_trunc('day', ${bookings.createdAt} at time zone 'UTC'), 'YYYY-MM-DD')`;
const paidDay = sql<string>`to_char(date_trunc('day', ${bookingHistory.at} at time zone 'UTC'), 'YYYY-MM-DD')`;

function byCurrency(rows: { currency: string; amount: number | string }[]): Money[] {
  return rows
    .map((row) => ({ amount: Number(row.amount), currency: row.currency }))
    .sort((a, b) => (a.currency < b.currency ? -1 : 1));
}

/** What the admin overview shows of bookings over [from, to). */
export async function bookingFigures(db: Executor, from: Date, to: Date): Promise<BookingFigures> {
  const inPeriod = and(gte(bookings.createdAt, from), lt(bookings.createdAt, to));
  const paidInPeriod = and(
    eq(bookingHistory.status, "funded"),
    gte(bookingHistory.at, from),
    lt(bookingHistory.at, to),
  );
  const [statusRows, disputeRows, paidRows, heldRows, createdDaily] = await Promise.all([
    db
      .select({ status: bookings.status, count: sql<number>`count(*)::int` })
      .from(bookings)
      .where(inPeriod)
      .groupBy(bookings.status),
    db.select({ count: sql<number>`count(*)::int` }).from(bookings).where(eq(bookings.status, "disputed")),
    db
      .select({
        day: paidDay,
        currency: bookings.currency,
        amount: sql<string>`sum(${bookings.priceAmount})`,
      })
      .from(bookingHistory)
      .innerJoin(bookings, eq(bookings.id, bookingHistory.bookingId))
      .where(paidInPeriod)
      .groupBy(paidDay, bookings.currency),
    db
      .select({ currency: bookings.currency, amount: sql<string>`sum(${bookings.priceAmount})` })
      .from(bookings)
      .where(inArray(bookings.status, heldStatuses))
      .groupBy(bookings.currency),
    db.select({ day, count: sql<number>`count(*)::int` }).from(bookings).where(inPeriod).groupBy(day),
  ]);

  const byStatus = Object.fromEntries(bookingStatuses.map((status) => [status, 0])) as Record<
    BookingStatus,
    number
  >;
  for (const row of statusRows) byStatus[row.status as BookingStatus] = row.count;

  const totals = new Map<string, number>();
  const daily = new Map<string, { bookings: number; grossBookingValue: Money[] }>();
  const dayOf = (key: string) => {
    let entry = daily.get(key);
    if (!entry) {
      entry = { bookings: 0, grossBookingValue: [] };
      daily.set(key, entry);
    }
    return entry;
  };
  for (const row of createdDaily) dayOf(row.day).bookings = row.count;
  for (const row of paidRows) {
    const amount = Number(row.amount);
    totals.set(row.currency, (totals.get(row.currency) ?? 0) + amount);
    const entry = dayOf(row.day);
    entry.grossBookingValue = byCurrency([...entry.grossBookingValue, { currency: row.currency, amount }]);
  }
  return {
    byStatus,
    openDisputes: disputeRows[0]?.count ?? 0,
    grossBookingValue: byCurrency([...totals].map(([currency, amount]) => ({ currency, amount }))),
    moneyHeld: byCurrency(heldRows),
    daily,
  };
}
