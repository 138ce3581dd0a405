import { and, asc, eq, inArray, isNull, or, type SQL } from "drizzle-orm";
import type pg from "pg";
import type { z } from "zod";
import type { Clock } from "../../clock.js";
import type { Database, Executor } from "../../db/client.js";
import { newId } from "../../db/columns.js";
import { ambientTransaction, type Tx, transaction } from "../../db/transaction.js";
import type { AuthUser } from "../../http/auth.js";
import { AppError, coreErrors } from "../../http/errors.js";
import type { Money } from "../../http/money.js";
import { type Page, pageNewestById } from "../../http/pagination.js";
import type { JobQueue } from "../../jobs/queue.js";
import {
  type Availability,
  availableRanges,
  type ContractorsService,
  isAvailableAt,
} from "../contractors/index.js";
import { userDirectory } from "../users/index.js";
import type { BookingView, CreateBookingInput, listBookingsQuery } from "./bookings.contract.js";
import { bookingErrors } from "./bookings.errors.js";
import {
  type Action,
  type Actor,
  actionName,
  type BookingStatus,
  decide,
  type Effect,
} from "./bookings.machine.js";
import { type CancellationPolicy, cancellationRefund } from "./bookings.policy.js";
import { bookingHistory, bookings } from "./bookings.tables.js";

export const bookingChangedQueue = "booking.changed";
export const bookingExpireQueue = "booking.expire";
export const bookingAutoReleaseQueue = "booking.auto_release";

export interface BookingSettings {
  /** An unanswered request expires this long after it is made. */
  requestExpirySeconds: number;
  /** A completed booking is released to the contractor this long after completion, unless confirmed or disputed. */
  autoReleaseSeconds: number;
  cancellation: CancellationPolicy;
}

export interface BookingsDeps {
  db: Database;
  pool: pg.Pool;
  jobs: JobQueue;
  clock: Clock;
  contractors: ContractorsService;
  settings: BookingSettings;
  /**
   * How contractors rated these customers (the reviews module), shown to a booking's contractor and to
   * admins so they can judge a request; never to the customer.
   */
  customerRatings?: (customerIds: string[]) => Promise<Map<string, { average: number; count: number }>>;
}

/**
 * What a `booking.changed` event carries: one transition, already committed, or (with `detail`) a change of a
 * booking that kept its status (`from` and `to` are then that status).
 */
export interface BookingChange {
  bookingId: string;
  from: BookingStatus | null;
  to: BookingStatus;
  /** `disputeResponse`: the contractor stated their side of the open dispute. */
  detail?: "disputeResponse";
  /** The user who made it, or "system". */
  by: string;
  at: string;
}

/**
 * A transition as seen from inside its transaction, by a module whose own rows must change with it (payments
 * enqueues the money movement a release or refund owes, so the status and the owed movement commit together).
 */
export interface BookingTransition {
  bookingId: string;
  action: Action;
  from: BookingStatus;
  to: BookingStatus;
}

/** Runs inside the transition's transaction; throwing rolls the transition back. */
export type BookingTransitionHook = (tx: Tx, transition: BookingTransition) => Promise<void>;

/** What the payments module reads of a booking to move its money. */
export interface BookingMoney {
  id: string;
  status: BookingStatus;
  customerId: string;
  contractorId: string;
  price: number;
  currency: string;
  commission: number | null;
  contractorAmount: number | null;
  refundAmount: number | null;
}

/** A consumer of booking changes (notifications, later): called once per transition, after the commit. */
export type BookingChangeListener = (change: BookingChange, booking: BookingView) => Promise<void>;

/** Statuses in which a booking still binds its parties: an account with one cannot be deleted. */
export const openStatuses: readonly BookingStatus[] = [
  "requested",
  "accepted",
  "funded",
  "in_progress",
  "completed",
  "disputed",
];

/**
 * Statuses in which a customer and a contractor count as having a booking together, which opens the
 * contractor's contact details to the customer: the contractor agreed to the work (accepted or anything after
 * it, disputes and refunds included). Requests not yet answered, declined, expired or cancelled do not count.
 */
export const contactStatuses: readonly BookingStatus[] = [
  "accepted",
  "funded",
  "in_progress",
  "completed",
  "released",
  "disputed",
  "refunded",
  "partially_refunded",
];

type BookingRow = typeof bookings.$inferSelect;

/** The columns a new booking takes from what was asked, however it was asked (directly or through a quote). */
function bookingRow(input: Omit<QuoteBookingInput, "customerId" | "note">) {
  return {
    contractorId: input.contractorId,
    categorySlug: input.categorySlug,
    description: input.description,
    scheduledStart: input.scheduledStart,
    scheduledEnd: input.scheduledEnd ?? null,
    lat: input.location.lat,
    lng: input.location.lng,
    address: input.location.address,
    priceAmount: input.price.amount,
    currency: input.price.currency,
  };
}

export interface QuoteBookingInput {
  customerId: string;
  contractorId: string;
  categorySlug: string;
  description: string;
  scheduledStart: Date;
  scheduledEnd?: Date | null;
  location: { lat: number; lng: number; address: string };
  price: Money;
  note?: string;
}

interface TransitionOptions {
  note?: string | null;
  disputeReason?: string;
  refundAmount?: number;
  amounts?: { commission: number; contractorAmount: number };
}

const money = (amount: number | null, currency: string): Money | null =>
  amount === null ? null : { amount, currency };

/** A party as the booking shows it: a deleted account keeps its id and its anonymised name. */
async function partiesOf(db: Executor, ids: string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .select({ id: userDirectory.id, name: userDirectory.name })
    .from(userDirectory)
    .where(inArray(userDirectory.id, [...new Set(ids)]));
  return new Map(rows.map((row) => [row.id, row.name]));
}

/**
 * One page of the bookings matching `conditions`, newest first (ids are time-ordered), resuming after the
 * query's cursor: the one way every booking list pages.
 */
export async function bookingPage(
  db: Executor,
  conditions: (SQL | undefined)[],
  query: { limit: number; cursor?: string | undefined },
): Promise<Page<BookingView>> {
  const page = await pageNewestById(
    db.select().from(bookings).$dynamic(),
    bookings.id,
    conditions,
    query,
    (row) => row.id,
  );
  return { items: await present(db, page.items), nextCursor: page.nextCursor };
}

/** Rows as their views: parties' names and the whole history. */
export async function present(db: Executor, rows: BookingRow[]): Promise<BookingView[]> {
  if (rows.length === 0) return [];
  const names = await partiesOf(
    db,
    rows.flatMap((row) => [row.customerId, row.contractorId]),
  );
  const entries = await db
    .select()
    .from(bookingHistory)
    .where(
      inArray(
        bookingHistory.bookingId,
        rows.map((row) => row.id),
      ),
    )
    .orderBy(asc(bookingHistory.at), asc(bookingHistory.id));
  return rows.map((row) => ({
    id: row.id,
    status: row.status as BookingStatus,
    customer: { id: row.customerId, name: names.get(row.customerId) ?? "Deleted user" },
    contractor: { id: row.contractorId, name: names.get(row.contractorId) ?? "Deleted user" },
    categorySlug: row.categorySlug,
    description: row.description,
    scheduledStart: row.scheduledStart.toISOString(),
    scheduledEnd: row.scheduledEnd?.toISOString() ?? null,
    location: { lat: row.lat, lng: row.lng, address: row.address },
    price: { amount: row.priceAmount, currency: row.currency },
    commission: money(row.commissionAmount, row.currency),
    contractorAmount: money(row.contractorAmount, row.currency),
    refundAmount: money(row.refundAmount, row.currency),
    disputeReason: row.disputeReason,
    disputeResponse:
      row.disputeResponse === null || row.disputeResponseAt === null
        ? null
        : { statement: row.disputeResponse, at: row.disputeResponseAt.toISOString() },
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    history: entries
      .filter((entry) => entry.bookingId === row.id)
      .map((entry) => ({
        status: entry.status as BookingStatus,
        from: (entry.fromStatus as BookingStatus | null) ?? null,
        at: entry.at.toISOString(),
        by: entry.byUserId ?? "system",
        note: entry.note,
      })),
  }));
}

async function viewOf(db: Executor, bookingId: string): Promise<BookingView> {
  const [row] = await db.select().from(bookings).where(eq(bookings.id, bookingId));
  const [view] = row ? await present(db, [row]) : [];
  if (!view) throw new AppError(bookingErrors.notFound, "No booking with this id");
  return view;
}

/** A signed-in caller as the rules see them. */
type Caller = Pick<AuthUser, "id" | "role">;

/** Which side of this booking the caller is on; someone on neither side (and no admin) gets a 404. */
function actorOf(user: Caller, row: BookingRow): Actor {
  if (row.customerId === user.id) return "customer";
  if (row.contractorId === user.id) return "contractor";
  if (user.role === "admin") return "admin";
  throw new AppError(bookingErrors.notFound, "No booking with this id");
}

const dateFormats = new Map<string, Intl.DateTimeFormat>();
function formatIn(zone: string, date: Date, withDay: boolean): string {
  const key = `${zone}|${withDay}`;
  let format = dateFormats.get(key);
  if (!format) {
    format = new Intl.DateTimeFormat("en-GB", {
      timeZone: zone,
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
      ...(withDay ? { weekday: "short", day: "2-digit", month: "short", year: "numeric" } : {}),
    });
    dateFormats.set(key, format);
  }
  return format.format(date);
}

function describeSpan(zone: string, start: Date, end: Date | null): string {
  return end ? `${formatIn(zone, start, true)}–${formatIn(zone, end, false)}` : formatIn(zone, start, true);
}

const WEEK_MS = 7 * 86_400_000;

/**
 * Refuses a time outside the contractor's hours, naming their time zone and the nearest available ranges
 * (within a week either side), which the app can offer instead.
 */
function assertAvailable(
  name: string,
  availability: Availability | null,
  start: Date,
  end: Date | null,
  now: Date,
): void {
  if (!availability) {
    throw new AppError(
      bookingErrors.outsideAvailability,
      `${name} has not published their availability yet, so no time can be booked`,
    );
  }
  const fits = end
    ? availableRanges(availability, start, end).some(
        (range) => range.start.getTime() === start.getTime() && range.end.getTime() === end.getTime(),
      )
    : isAvailableAt(availability, start);
  if (fits) return;
  const from = new Date(Math.max(now.getTime(), start.getTime() - WEEK_MS));
  const nearest = availableRanges(availability, from, new Date(start.getTime() + WEEK_MS))
    .map((range) => ({
      range,
      distance: Math.max(0, range.start.getTime() - start.getTime(), start.getTime() - range.end.getTime()),
    }))
    .sort((a, b) => a.distance - b.distance)
    .slice(0, 3)
    .map(({ range }) => range)
    .sort((a, b) => a.start.getTime() - b.start.getTime());
  const zone = availability.timezone;
  const offer =
    nearest.length > 0
      ? ` Nearest available: ${nearest.map((range) => describeSpan(zone, range.start, range.end)).join("; ")}.`
      : " They have no available hours within a week of it.";
  throw new AppError(
    bookingErrors.outsideAvailability,
    `${describeSpan(zone, start, end)} (${zone}) is outside ${name}'s availability.${offer}`,
    {
      extensions: {
        timezone: zone,
        availableRanges: nearest.map((range) => ({
          start: range.start.toISOString(),
          end: range.end.toISOString(),
        })),
      },
    },
  );
}

export function createBookingsService(deps: BookingsDeps) {
  const { db, pool, jobs, clock, settings } = deps;
  const listeners: BookingChangeListener[] = [];
  const transitionHooks: BookingTransitionHook[] = [];

  async function enqueueChange(tx: Tx, change: BookingChange): Promise<void> {
    await jobs.send(bookingChangedQueue, change, {
      db: tx,
      retryLimit: 5,
      retryDelay: 2,
      retryBackoff: true,
    });
  }

  async function insertBooking(
    tx: Tx,
    values: Omit<typeof bookings.$inferInsert, "id" | "createdAt" | "updatedAt">,
    entry: { by: string; note: string | null },
  ): Promise<string> {
    const now = clock.now();
    const id = newId();
    await tx.db.insert(bookings).values({ ...values, id, createdAt: now, updatedAt: now });
    await tx.db.insert(bookingHistory).values({
      bookingId: id,
      fromStatus: null,
      status: values.status,
      byUserId: entry.by,
      note: entry.note,
      at: now,
    });
    await enqueueChange(tx, {
      bookingId: id,
      from: null,
      to: values.status as BookingStatus,
      by: entry.by,
      at: now.toISOString(),
    });
    return id;
  }

  /**
   * The one way a booking's status changes: the machine decides, then a conditional update (`where status =
   * the status read`) makes the change, so of two racing actions only one finds the status it read; the other
   * is told the status it lost to. History, timers and the change event commit with it.
   */
  async function transition(
    bookingId: string,
    action: Action,
    caller: Caller | { system: true } | { admin: string },
    options: TransitionOptions = {},
  ): Promise<BookingView> {
    return transaction(pool, async (tx) => {
      const [row] = await tx.db.select().from(bookings).where(eq(bookings.id, bookingId));
      if (!row) throw new AppError(bookingErrors.notFound, "No booking with this id");
      const actor: Actor = "system" in caller ? "system" : "admin" in caller ? "admin" : actorOf(caller, row);
      const by = "system" in caller ? null : "admin" in caller ? caller.admin : caller.id;
      const from = row.status as BookingStatus;
      const decision = decide(action, actor, from);
      if (!decision.ok && decision.reason === "forbidden") {
        throw new AppError(
          bookingErrors.notAllowed,
          `The ${actor} of a booking cannot ${actionName(action)} it`,
        );
      }
      if (!decision.ok) throw invalidTransition(action, from);
      const now = clock.now();
      const changes: Partial<typeof bookings.$inferInsert> = { status: decision.to, updatedAt: now };
      const has = (effect: Effect) => decision.effects.includes(effect);
      if (has("refundPolicy") && (actor === "customer" || actor === "contractor")) {
        changes.refundAmount = cancellationRefund(settings.cancellation, {
          by: actor,
          funded: from === "funded",
          price: row.priceAmount,
          scheduledStart: row.scheduledStart,
          now,
        });
      }
      if (has("storeReason")) changes.disputeReason = options.disputeReason ?? null;
      if (has("storeRefund")) changes.refundAmount = options.refundAmount ?? 0;
      if (has("freezeAmounts") && options.amounts) {
        changes.commissionAmount = options.amounts.commission;
        changes.contractorAmount = options.amounts.contractorAmount;
      }
      const updated = await tx.db
        .update(bookings)
        .set(changes)
        .where(and(eq(bookings.id, bookingId), eq(bookings.status, from)))
        .returning({ id: bookings.id });
      if (updated.length === 0) {
        const [current] = await tx.db
          .select({ status: bookings.status })
          .from(bookings)
          .where(eq(bookings.id, bookingId));
        throw invalidTransition(action, (current?.status ?? from) as BookingStatus);
      }
      await tx.db.insert(bookingHistory).values({
        bookingId,
        fromStatus: from,
        status: decision.to,
        byUserId: by,
        note: options.note ?? null,
        at: now,
      });
      for (const hook of transitionHooks) await hook(tx, { bookingId, action, from, to: decision.to });
      if (has("autoRelease")) {
        await jobs.send(
          bookingAutoReleaseQueue,
          { bookingId },
          { db: tx, startAfter: settings.autoReleaseSeconds, retryLimit: 10, retryBackoff: true },
        );
      }
      await enqueueChange(tx, {
        bookingId,
        from,
        to: decision.to,
        by: by ?? "system",
        at: now.toISOString(),
      });
      return viewOf(tx.db, bookingId);
    });
  }

  function invalidTransition(action: Action, status: BookingStatus): AppError {
    return new AppError(
      bookingErrors.invalidTransition,
      `The booking is ${status.replace("_", " ")}: it cannot be ${
        {
          accept: "accepted",
          decline: "declined",
          expire: "expired",
          fund: "funded",
          start: "started",
          complete: "completed",
          confirm: "confirmed",
          autoRelease: "released automatically",
          dispute: "disputed",
          cancel: "cancelled",
          resolveRelease: "released by a dispute resolution",
          resolveRefund: "refunded by a dispute resolution",
          resolvePartial: "partially refunded by a dispute resolution",
          chargeback: "disputed by a chargeback",
          refundReleased: "refunded",
          partialRefundReleased: "partially refunded",
        }[action]
      } now`,
      { extensions: { currentStatus: status } },
    );
  }

  /** A timer's transition: nothing happens when the booking has moved on (or is gone). */
  async function timerTransition(bookingId: string, action: "expire" | "autoRelease"): Promise<void> {
    try {
      await transition(bookingId, action, { system: true }, { note: null });
    } catch (error) {
      if (
        error instanceof AppError &&
        (error.def === bookingErrors.invalidTransition || error.status === 404)
      )
        return;
      throw error;
    }
  }

  /** A request the rules have accepted: the booking, its first history entry, its expiry timer, its event. */
  async function createRequest(customerId: string, input: CreateBookingInput): Promise<BookingView> {
    return transaction(pool, async (tx) => {
      const id = await insertBooking(
        tx,
        { ...bookingRow(input), customerId, status: "requested" },
        { by: customerId, note: null },
      );
      await jobs.send(
        bookingExpireQueue,
        { bookingId: id },
        { db: tx, startAfter: settings.requestExpirySeconds, retryLimit: 10, retryBackoff: true },
      );
      return viewOf(tx.db, id);
    });
  }

  /** Adds the customer's rating to the views the caller sees as the booking's contractor or as an admin. */
  async function withCustomerRating(user: Caller, views: BookingView[]): Promise<BookingView[]> {
    const judged = views.filter((view) => view.contractor.id === user.id || user.role === "admin");
    if (!deps.customerRatings || judged.length === 0) return views;
    const ratings = await deps.customerRatings(judged.map((view) => view.customer.id));
    return views.map((view) =>
      judged.includes(view)
        ? { ...view, customerRating: ratings.get(view.customer.id) ?? { average: 0, count: 0 } }
        : view,
    );
  }

  async function contractorToBook(contractorId: string) {
    const [user] = await db
      .select({ name: userDirectory.name, role: userDirectory.role, status: userDirectory.status })
      .from(userDirectory)
      .where(eq(userDirectory.id, contractorId));
    if (user?.role !== "contractor" || user.status === "deleted") {
      throw new AppError(bookingErrors.contractorNotFound, "No contractor with this id");
    }
    if (user.status !== "active") {
      throw new AppError(bookingErrors.contractorUnavailable, `${user.name}'s account is suspended`);
    }
    const profile = await deps.contractors.profiles.view(contractorId);
    if (!profile) {
      throw new AppError(bookingErrors.contractorUnavailable, `${user.name} has no contractor profile yet`);
    }
    return profile;
  }

  const service = {
    /** `POST /bookings`: a customer asks a contractor for a time; expires unless answered in time. */
    async request(customerId: string, input: CreateBookingInput): Promise<BookingView> {
      const now = clock.now();
      if (input.scheduledStart.getTime() <= now.getTime()) {
        throw new AppError(coreErrors.validation, "The booking must start in the future", {
          errors: [
            { path: "scheduledStart", code: "too_small", message: "must be in the future", in: "body" },
          ],
        });
      }
      const profile = await contractorToBook(input.contractorId);
      if (!profile.categorySlugs.includes(input.categorySlug)) {
        throw new AppError(
          bookingErrors.categoryNotOffered,
          `${profile.name} offers ${profile.categorySlugs.join(", ")}, not ${input.categorySlug}`,
        );
      }
      assertAvailable(
        profile.name,
        profile.availability,
        input.scheduledStart,
        input.scheduledEnd ?? null,
        now,
      );
      return createRequest(customerId, input);
    },

    /** A request made without the checks of `request` (demo data, whose times and contractors are chosen). */
    createRequest,

    /**
     * For the jobs module: a booking made from an accepted quote starts `accepted` (the contractor proposed
     * it). Joins the caller's transaction; the history's one entry is the customer's acceptance.
     */
    async createFromQuote(input: QuoteBookingInput): Promise<BookingView> {
      return transaction(pool, async (tx) => {
        const id = await insertBooking(
          tx,
          { ...bookingRow(input), customerId: input.customerId, status: "accepted" },
          { by: input.customerId, note: input.note ?? "quote accepted" },
        );
        return viewOf(tx.db, id);
      });
    },

    /** A party's action through a route (accept, decline, start, complete, confirm, dispute, cancel). */
    act(
      user: Caller,
      bookingId: string,
      action: "accept" | "decline" | "start" | "complete" | "confirm" | "dispute" | "cancel",
      options: { disputeReason?: string } = {},
    ): Promise<BookingView> {
      return transition(bookingId, action, user, {
        note: options.disputeReason ?? null,
        ...options,
      });
    },

    /**
     * `POST /bookings/:id/dispute/response`: the booking's contractor states their side of an open dispute,
     * once. One conditional update (still disputed, nothing stated yet), so of concurrent statements exactly
     * one is stored, and a statement racing the admin's resolution is either stored before it or refused with
     * the status it lost to.
     */
    async respondToDispute(user: Caller, bookingId: string, statement: string): Promise<BookingView> {
      // Reads join the caller's transaction too, which may have made the booking (demo data).
      const executor = ambientTransaction(pool)?.db ?? db;
      const [row] = await executor.select().from(bookings).where(eq(bookings.id, bookingId));
      if (!row) throw new AppError(bookingErrors.notFound, "No booking with this id");
      const actor = actorOf(user, row);
      if (actor !== "contractor") {
        throw new AppError(
          bookingErrors.notAllowed,
          `The ${actor} of a booking cannot answer its dispute: only its contractor states their side`,
        );
      }
      const now = clock.now();
      // The statement and its event (the customer is told, both parties' apps get the booking) commit together;
      // joins the caller's transaction (demo data is seeded in one).
      const view = await transaction(pool, async (tx) => {
        const stored = await tx.db
          .update(bookings)
          .set({ disputeResponse: statement, disputeResponseAt: now, updatedAt: now })
          .where(
            and(
              eq(bookings.id, bookingId),
              eq(bookings.contractorId, user.id),
              eq(bookings.status, "disputed"),
              isNull(bookings.disputeResponse),
            ),
          )
          .returning({ id: bookings.id });
        if (stored.length === 0) return undefined;
        await enqueueChange(tx, {
          bookingId,
          from: "disputed",
          to: "disputed",
          detail: "disputeResponse",
          by: user.id,
          at: now.toISOString(),
        });
        return viewOf(tx.db, bookingId);
      });
      if (view) return view;
      const [current] = await executor
        .select({ status: bookings.status, disputeResponseAt: bookings.disputeResponseAt })
        .from(bookings)
        .where(eq(bookings.id, bookingId));
      if (current?.disputeResponseAt) {
        throw new AppError(
          bookingErrors.disputeResponseExists,
          `You stated your side of this dispute at ${current.disputeResponseAt.toISOString()}; it cannot be changed`,
        );
      }
      const status = (current?.status ?? row.status) as BookingStatus;
      throw new AppError(
        bookingErrors.invalidTransition,
        `The booking is ${status.replace("_", " ")}: there is no open dispute to answer`,
        { extensions: { currentStatus: status } },
      );
    },

    /**
     * For the payments module: the booking is paid (accepted → funded), with the commission and the
     * contractor's share frozen on it.
     * @public
     */
    markFunded(
      bookingId: string,
      options: { by: "system"; amounts?: { commission: number; contractorAmount: number } },
    ): Promise<BookingView> {
      return transition(bookingId, "fund", { system: true }, { amounts: options.amounts });
    },

    /**
     * For the admin and payments modules: a dispute settled by an admin. `refundAmount` 0 releases everything
     * to the contractor, the full price refunds everything, anything between is a partial refund.
     * @public
     */
    async resolveDispute(
      bookingId: string,
      options: { by: string; refundAmount: number; note: string },
    ): Promise<BookingView> {
      return settleByAdmin(bookingId, options, "disputed");
    },

    /**
     * For the payments module: an admin refunds a released booking, in full or in part (1 to the price); the
     * contractor's transfer is reversed for their share.
     * @public
     */
    refundReleased(
      bookingId: string,
      options: { by: string; refundAmount: number; note: string },
    ): Promise<BookingView> {
      return settleByAdmin(bookingId, options, "released");
    },

    /**
     * For the payments module: a card-network chargeback on the booking's payment holds it as disputed. False
     * when the booking's status does not allow it (released already, refunded, cancelled): nothing changes.
     * @public
     */
    async chargeback(bookingId: string, reason: string): Promise<boolean> {
      try {
        await transition(bookingId, "chargeback", { system: true }, { disputeReason: reason, note: reason });
        return true;
      } catch (error) {
        if (error instanceof AppError && error.def === bookingErrors.invalidTransition) return false;
        throw error;
      }
    },

    /**
     * For the payments module: the amounts of a booking, read through the caller's transaction when there is
     * one (`executor`, or else the one open in this async context). Undefined when there is no such booking.
     * Read beside a transaction instead, it would take a second pooled connection while that one holds the
     * first: a burst as large as the pool would then wait on itself until the connect timeout.
     * @public
     */
    async money(
      bookingId: string,
      executor: Executor = ambientTransaction(pool)?.db ?? db,
    ): Promise<BookingMoney | undefined> {
      const [row] = await executor.select().from(bookings).where(eq(bookings.id, bookingId));
      if (!row) return undefined;
      return {
        id: row.id,
        status: row.status as BookingStatus,
        customerId: row.customerId,
        contractorId: row.contractorId,
        price: row.priceAmount,
        currency: row.currency,
        commission: row.commissionAmount,
        contractorAmount: row.contractorAmount,
        refundAmount: row.refundAmount,
      };
    },

    /** For the payments module: runs `hook` inside every transition's transaction. @public */
    onTransition(hook: BookingTransitionHook): void {
      transitionHooks.push(hook);
    },

    /**
     * For the payments module's `GET /admin/disputes`: disputed bookings, newest first.
     * @public
     */
    /**
     * Disputed bookings, newest first, and those of `alsoIds` whatever their status (the payments module's
     * open chargebacks on bookings already released).
     */
    async listDisputed(
      query: { limit: number; cursor?: string | undefined },
      alsoIds: readonly string[] = [],
    ): Promise<Page<BookingView>> {
      const disputed = eq(bookings.status, "disputed");
      const condition = alsoIds.length === 0 ? disputed : or(disputed, inArray(bookings.id, [...alsoIds]));
      return bookingPage(db, condition ? [condition] : [], query);
    },

    /** For the payments module: the booking as its parties see it. @public */
    view: (bookingId: string): Promise<BookingView> => viewOf(db, bookingId),
  };

  /**
   * An admin's settlement of a disputed booking (0 to the price: release, partial, full refund) or of a
   * released one (1 to the price: partial or full refund).
   */
  async function settleByAdmin(
    bookingId: string,
    options: { by: string; refundAmount: number; note: string },
    expected: "disputed" | "released",
  ): Promise<BookingView> {
    // In one transaction, so the price read is the one the resolution applies to (and demo data, seeded in
    // one transaction, sees its own rows).
    return transaction(pool, async (tx) => {
      const [row] = await tx.db
        .select({ price: bookings.priceAmount })
        .from(bookings)
        .where(eq(bookings.id, bookingId));
      if (!row) throw new AppError(bookingErrors.notFound, "No booking with this id");
      const least = expected === "released" ? 1 : 0;
      if (
        !Number.isInteger(options.refundAmount) ||
        options.refundAmount < least ||
        options.refundAmount > row.price
      ) {
        throw new AppError(
          coreErrors.validation,
          `The refund must be a whole amount from ${least} to ${row.price}`,
          {
            errors: [
              {
                path: "refundAmount.amount",
                code: "invalid_value",
                message: "is out of range",
                in: "body",
              },
            ],
          },
        );
      }
      const action: Action =
        expected === "released"
          ? options.refundAmount === row.price
            ? "refundReleased"
            : "partialRefundReleased"
          : options.refundAmount === 0
            ? "resolveRelease"
            : options.refundAmount === row.price
              ? "resolveRefund"
              : "resolvePartial";
      return transition(
        bookingId,
        action,
        { admin: options.by },
        { refundAmount: options.refundAmount, note: options.note },
      );
    });
  }

  return {
    ...service,

    async get(user: AuthUser, bookingId: string): Promise<BookingView> {
      const [row] = await db.select().from(bookings).where(eq(bookings.id, bookingId));
      if (!row) throw new AppError(bookingErrors.notFound, "No booking with this id");
      actorOf(user, row);
      const [view] = await withCustomerRating(user, await present(db, [row]));
      if (!view) throw new AppError(bookingErrors.notFound, "No booking with this id");
      return view;
    },

    /** The caller's bookings, as customer or contractor, newest first. */
    async list(user: AuthUser, query: z.output<typeof listBookingsQuery>): Promise<Page<BookingView>> {
      const conditions: (SQL | undefined)[] = [];
      if (query.role === "customer") conditions.push(eq(bookings.customerId, user.id));
      else if (query.role === "contractor") conditions.push(eq(bookings.contractorId, user.id));
      else conditions.push(or(eq(bookings.customerId, user.id), eq(bookings.contractorId, user.id)));
      if (query.status) conditions.push(inArray(bookings.status, query.status));
      const page = await bookingPage(db, conditions, query);
      return { items: await withCustomerRating(user, page.items), nextCursor: page.nextCursor };
    },

    /** The expiry timer: an unanswered request expires; one answered in time is left alone. */
    expire: (bookingId: string) => timerTransition(bookingId, "expire"),

    /** The auto-release timer: a completed booking nobody confirmed or disputed is released. */
    autoRelease: (bookingId: string) => timerTransition(bookingId, "autoRelease"),

    /** The contractors module's contact rule: the viewer is the customer of a booking the contractor took on. */
    async hasBookingWith(customerId: string, contractorId: string): Promise<boolean> {
      const [row] = await db
        .select({ id: bookings.id })
        .from(bookings)
        .where(
          and(
            eq(bookings.customerId, customerId),
            eq(bookings.contractorId, contractorId),
            inArray(bookings.status, [...contactStatuses]),
          ),
        )
        .limit(1);
      return row !== undefined;
    },

    /** Account deletion waits while a booking binds the user. */
    async deletionBlocker(executor: Executor, userId: string): Promise<string | undefined> {
      const rows = await executor
        .select({ status: bookings.status })
        .from(bookings)
        .where(
          and(
            or(eq(bookings.customerId, userId), eq(bookings.contractorId, userId)),
            inArray(bookings.status, [...openStatuses]),
          ),
        );
      if (rows.length === 0) return undefined;
      const statuses = [...new Set(rows.map((row) => row.status))].sort().join(", ");
      return `${rows.length} open booking${rows.length === 1 ? "" : "s"} (${statuses}) must be finished or cancelled first`;
    },

    /** Registers a consumer of booking changes (the seam for in-app notifications and push). */
    onChange(listener: BookingChangeListener): void {
      listeners.push(listener);
    },

    /** Runs the consumers of one committed change; the module's `booking.changed` worker calls it. */
    async deliver(change: BookingChange, emit: (booking: BookingView) => void): Promise<void> {
      let booking: BookingView;
      try {
        booking = await viewOf(db, change.bookingId);
      } catch (error) {
        if (error instanceof AppError && error.status === 404) return;
        throw error;
      }
      emit(booking);
      for (const listener of listeners) await listener(change, booking);
    },
  };
}

export type BookingsService = ReturnType<typeof createBookingsService>;
