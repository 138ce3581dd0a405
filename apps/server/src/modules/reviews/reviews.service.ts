import { and, eq, inArray, isNotNull, isNull, type SQL, sql } from "drizzle-orm";
import type pg from "pg";
import type { z } from "zod";
import type { Clock } from "../../clock.js";
import type { Database, Executor } from "../../db/client.js";
import { isUniqueViolation } from "../../db/errors.js";
import { type Tx, transaction } from "../../db/transaction.js";
import type { AuthUser } from "../../http/auth.js";
import { AppError } from "../../http/errors.js";
import { type Page, pageNewestById } from "../../http/pagination.js";
import type { JobQueue } from "../../jobs/queue.js";
import type { AuditService } from "../audit/index.js";
import { bookingFacts } from "../bookings/index.js";
import { setRating } from "../contractors/index.js";
import { userDirectory } from "../users/index.js";
import type {
  AdminReview,
  adminReviewsQuery,
  CustomerRatingView,
  contractorReviewsQuery,
  PublicReview,
  RatingSummary,
  ReviewView,
} from "./reviews.contract.js";
import { reviewErrors } from "./reviews.errors.js";
import { contractorRatings, customerRatings, reviews } from "./reviews.tables.js";

export const reviewEventsQueue = "review.events";

/**
 * Booking statuses whose customer may review the contractor (and be rated back): the payment was released,
 * by the customer, the timer or an admin resolving a dispute in the contractor's favour, or a dispute ended
 * in a partial refund. The work was done and paid for in part; the customer who had to dispute it is the one
 * most owed a say. A full refund is not: the admin found nothing to pay for, and the dispute is the record.
 */
export const reviewableStatuses = ["released", "partially_refunded"] as const;

export interface ReviewSettings {
  /** A customer may change their review for this long after writing it. */
  editWindowSeconds: number;
}

export interface ReviewsDeps {
  db: Database;
  pool: pg.Pool;
  clock: Clock;
  jobs: JobQueue;
  settings: ReviewSettings;
  /** Moderation is written to the admin audit log inside its transaction. */
  audit: Pick<AuditService, "record">;
}

/** What a `review.events` job carries: one committed change another party should hear of. */
export type ReviewEvent =
  | {
      kind: "review.created";
      reviewId: string;
      bookingId: string;
      contractorId: string;
      customerId: string;
      rating: number;
      at: string;
    }
  | {
      kind: "review.replied";
      reviewId: string;
      bookingId: string;
      contractorId: string;
      customerId: string;
      at: string;
    };

/**
 * A consumer of review events (notifications: a new review tells the contractor, a reply tells the customer).
 * Called once per event, after the commit, from the `review.events` worker.
 */
export type ReviewListener = (event: ReviewEvent) => Promise<void>;

type ReviewRow = typeof reviews.$inferSelect;
type Caller = Pick<AuthUser, "id" | "role">;

const emptyDistribution = (): RatingSummary["distribution"] => ({ 1: 0, 2: 0, 3: 0, 4: 0, 5: 0 });

/** The mean of `count` ratings adding up to `sum`, to two decimals (halves up), 0 when there are none. */
export function averageOf(sum: number, count: number): number {
  return count === 0 ? 0 : Math.round((sum * 100) / count) / 100;
}

/** How the public list names a reviewer: the first word of their name, nothing that identifies them further. */
function firstNameOf(name: string, status: string): string {
  if (status === "deleted") return "Former customer";
  return name.trim().split(/\s+/)[0] ?? name;
}

const stored = (text: string | undefined | null): string | null => text ?? null;

export function createReviewsService(deps: ReviewsDeps) {
  const { db, pool, clock, jobs, settings } = deps;
  const listeners: ReviewListener[] = [];
  const editWindowMs = settings.editWindowSeconds * 1000;

  const editableUntil = (row: ReviewRow) => new Date(row.createdAt.getTime() + editWindowMs);

  function authorView(row: ReviewRow): ReviewView {
    return {
      id: row.id,
      bookingId: row.bookingId,
      contractorId: row.contractorId,
      categorySlug: row.categorySlug,
      rating: row.rating,
      comment: row.comment,
      createdAt: row.createdAt.toISOString(),
      editedAt: row.editedAt?.toISOString() ?? null,
      editableUntil: editableUntil(row).toISOString(),
      reply:
        row.replyText !== null && row.repliedAt !== null
          ? { text: row.replyText, createdAt: row.repliedAt.toISOString() }
          : null,
      hidden: row.hiddenAt !== null,
    };
  }

  async function adminViews(executor: Executor, rows: ReviewRow[]): Promise<AdminReview[]> {
    if (rows.length === 0) return [];
    const ids = [...new Set(rows.flatMap((row) => [row.customerId, row.contractorId]))];
    const people = await executor
      .select({ id: userDirectory.id, name: userDirectory.name })
      .from(userDirectory)
      .where(inArray(userDirectory.id, ids));
    const names = new Map(people.map((person) => [person.id, person.name]));
    return rows.map((row) => {
      const { contractorId: _contractorId, ...view } = authorView(row);
      return {
        ...view,
        customer: { id: row.customerId, name: names.get(row.customerId) ?? "Deleted user" },
        contractor: { id: row.contractorId, name: names.get(row.contractorId) ?? "Deleted user" },
        moderation:
          row.hiddenAt !== null && row.hiddenReason !== null && row.hiddenBy !== null
            ? { hiddenAt: row.hiddenAt.toISOString(), reason: row.hiddenReason, by: row.hiddenBy }
            : null,
      };
    });
  }

  /**
   * Rewrites a contractor's aggregate from their visible reviews, inside the caller's transaction. The
   * aggregate row is locked first, so concurrent changes of one contractor's reviews take turns; the recount
   * that follows is a new statement and so sees every change committed before the lock was granted, plus the
   * caller's own. A recount rather than an increment: nothing can drift, whatever the change was.
   */
  async function refreshAggregate(tx: Tx, contractorId: string): Promise<RatingSummary> {
    const now = clock.now();
    await tx.db
      .insert(contractorRatings)
      .values({ contractorId, updatedAt: now })
      .onConflictDoNothing({ target: contractorRatings.contractorId });
    await tx.db
      .select({ contractorId: contractorRatings.contractorId })
      .from(contractorRatings)
      .where(eq(contractorRatings.contractorId, contractorId))
      .for("update");
    const counts = await tx.db
      .select({ rating: reviews.rating, count: sql<number>`count(*)::int` })
      .from(reviews)
      .where(and(eq(reviews.contractorId, contractorId), isNull(reviews.hiddenAt)))
      .groupBy(reviews.rating);
    const distribution = emptyDistribution();
    for (const { rating, count } of counts) distribution[rating as 1 | 2 | 3 | 4 | 5] = count;
    const count = counts.reduce((total, row) => total + row.count, 0);
    const sum = counts.reduce((total, row) => total + row.rating * row.count, 0);
    await tx.db
      .update(contractorRatings)
      .set({
        count,
        sum,
        stars1: distribution[1],
        stars2: distribution[2],
        stars3: distribution[3],
        stars4: distribution[4],
        stars5: distribution[5],
        updatedAt: now,
      })
      .where(eq(contractorRatings.contractorId, contractorId));
    const average = averageOf(sum, count);
    await setRating(tx.db, contractorId, { average, count });
    return { average, count, distribution };
  }

  async function emit(tx: Tx, event: ReviewEvent): Promise<void> {
    await jobs.send(reviewEventsQueue, event, { db: tx, retryLimit: 5, retryDelay: 2, retryBackoff: true });
  }

  /**
   * The booking a party wants to rate the other side of, checked: someone on neither side gets 404 (as the
   * booking itself answers them), the wrong side 403, and a booking not finished 409 naming its status.
   */
  async function finishedBooking(
    executor: Executor,
    user: Caller,
    bookingId: string,
    side: "customer" | "contractor",
  ) {
    const [booking] = await executor.select().from(bookingFacts).where(eq(bookingFacts.id, bookingId));
    const party =
      booking?.customerId === user.id
        ? "customer"
        : booking?.contractorId === user.id
          ? "contractor"
          : undefined;
    if (!booking || !party) throw new AppError(reviewErrors.bookingNotFound, "No booking with this id");
    if (party !== side) {
      throw new AppError(
        reviewErrors.notYourSide,
        side === "customer"
          ? "Only the booking's customer may review its contractor"
          : "Only the booking's contractor may rate its customer",
      );
    }
    if (!(reviewableStatuses as readonly string[]).includes(booking.status)) {
      throw new AppError(
        reviewErrors.notReviewable,
        `The booking is ${booking.status.replaceAll("_", " ")}: it can be rated once its payment is released`,
        { extensions: { currentStatus: booking.status } },
      );
    }
    return booking;
  }

  /** A review locked for a change, or 404 for one that does not exist or that the caller may not see. */
  async function lockedReview(tx: Tx, user: Caller, reviewId: string): Promise<ReviewRow> {
    const [row] = await tx.db.select().from(reviews).where(eq(reviews.id, reviewId)).for("update");
    const party = row && (row.customerId === user.id || row.contractorId === user.id);
    if (!row || (row.hiddenAt !== null && !party && user.role !== "admin")) {
      throw new AppError(reviewErrors.notFound, "No review with this id");
    }
    return row;
  }

  async function contractorExists(contractorId: string): Promise<void> {
    const [user] = await db
      .select({ role: userDirectory.role, status: userDirectory.status })
      .from(userDirectory)
      .where(eq(userDirectory.id, contractorId));
    // A deleted contractor's reviews stay stored (they count for nobody) but are no longer shown.
    if (user?.role !== "contractor" || user.status === "deleted") {
      throw new AppError(reviewErrors.contractorNotFound, "No contractor with this id");
    }
  }

  async function summaryOf(executor: Executor, contractorId: string): Promise<RatingSummary> {
    const [row] = await executor
      .select()
      .from(contractorRatings)
      .where(eq(contractorRatings.contractorId, contractorId));
    if (!row) return { average: 0, count: 0, distribution: emptyDistribution() };
    return {
      average: averageOf(row.sum, row.count),
      count: row.count,
      distribution: { 1: row.stars1, 2: row.stars2, 3: row.stars3, 4: row.stars4, 5: row.stars5 },
    };
  }

  async function moderate(
    admin: Caller,
    reviewId: string,
    hide: boolean,
    reason: string | undefined,
  ): Promise<AdminReview> {
    return transaction(pool, async (tx) => {
      const row = await lockedReview(tx, admin, reviewId);
      if (hide && row.hiddenAt !== null) {
        throw new AppError(
          reviewErrors.alreadyHidden,
          `The review was hidden on ${row.hiddenAt.toISOString()}`,
        );
      }
      if (!hide && row.hiddenAt === null) throw new AppError(reviewErrors.notHidden, "The review is visible");
      const now = clock.now();
      const [updated] = await tx.db
        .update(reviews)
        .set(
          hide
            ? { hiddenAt: now, hiddenReason: reason ?? null, hiddenBy: admin.id }
            : { hiddenAt: null, hiddenReason: null, hiddenBy: null },
        )
        .where(eq(reviews.id, reviewId))
        .returning();
      if (!updated) throw new AppError(reviewErrors.notFound, "No review with this id");
      const rating = await refreshAggregate(tx, row.contractorId);
      await deps.audit.record({
        actorId: admin.id,
        action: hide ? "review.hide" : "review.unhide",
        targetType: "review",
        targetId: reviewId,
        before: { hidden: row.hiddenAt !== null, reason: row.hiddenReason },
        after: {
          hidden: hide,
          reason: updated.hiddenReason,
          contractorRating: { average: rating.average, count: rating.count },
        },
        reason: reason ?? null,
      });
      const [view] = await adminViews(tx.db, [updated]);
      if (!view) throw new AppError(reviewErrors.notFound, "No review with this id");
      return view;
    });
  }

  /**
   * The rating contractors gave each of these customers (average to two decimals, count), for views only
   * contractors and admins get: the bookings module adds it to a contractor's view of a booking.
   */
  async function customerRatingsOf(
    customerIds: string[],
  ): Promise<Map<string, { average: number; count: number }>> {
    const ids = [...new Set(customerIds)];
    const result = new Map(ids.map((id) => [id, { average: 0, count: 0 }]));
    if (ids.length === 0) return result;
    const rows = await db
      .select({
        customerId: customerRatings.customerId,
        count: sql<number>`count(*)::int`,
        sum: sql<number>`sum(${customerRatings.rating})::int`,
      })
      .from(customerRatings)
      .where(inArray(customerRatings.customerId, ids))
      .groupBy(customerRatings.customerId);
    for (const row of rows)
      result.set(row.customerId, { average: averageOf(row.sum, row.count), count: row.count });
    return result;
  }

  return {
    /** `POST /bookings/:id/review`: the customer of a finished booking rates its contractor, once. */
    async create(
      user: Caller,
      bookingId: string,
      input: { rating: number; comment?: string },
    ): Promise<ReviewView> {
      try {
        return await transaction(pool, async (tx) => {
          const booking = await finishedBooking(tx.db, user, bookingId, "customer");
          const [existing] = await tx.db
            .select({ id: reviews.id })
            .from(reviews)
            .where(eq(reviews.bookingId, bookingId));
          if (existing) throw reviewExists(existing.id);
          const now = clock.now();
          const [row] = await tx.db
            .insert(reviews)
            .values({
              bookingId,
              customerId: booking.customerId,
              contractorId: booking.contractorId,
              categorySlug: booking.categorySlug,
              rating: input.rating,
              comment: stored(input.comment),
              createdAt: now,
            })
            .returning();
          if (!row) throw new Error("the review was not stored");
          await refreshAggregate(tx, booking.contractorId);
          await emit(tx, {
            kind: "review.created",
            reviewId: row.id,
            bookingId,
            contractorId: row.contractorId,
            customerId: row.customerId,
            rating: row.rating,
            at: now.toISOString(),
          });
          return authorView(row);
        });
      } catch (error) {
        // Two submissions at once: the second waits on the unique index until the first commits.
        if (isUniqueViolation(error, "reviews_booking")) throw reviewExists();
        throw error;
      }
    },

    /** `PATCH /reviews/:id`: its author changes the rating or comment within the edit window. */
    async edit(
      user: Caller,
      reviewId: string,
      input: { rating?: number | undefined; comment?: string | null | undefined },
    ): Promise<ReviewView> {
      return transaction(pool, async (tx) => {
        const row = await lockedReview(tx, user, reviewId);
        if (row.customerId !== user.id)
          throw new AppError(reviewErrors.notAuthor, "Only its author may change a review");
        if (row.hiddenAt !== null) {
          throw new AppError(reviewErrors.hidden, "A review hidden by a moderator cannot be changed");
        }
        const until = editableUntil(row);
        const now = clock.now();
        if (now.getTime() > until.getTime()) {
          throw new AppError(
            reviewErrors.editWindowClosed,
            `A review can be changed for ${describeSeconds(settings.editWindowSeconds)} after it is written; this one could be until ${until.toISOString()}`,
            { extensions: { editableUntil: until.toISOString() } },
          );
        }
        const [updated] = await tx.db
          .update(reviews)
          .set({
            ...(input.rating !== undefined ? { rating: input.rating } : {}),
            ...(input.comment !== undefined ? { comment: input.comment } : {}),
            editedAt: now,
          })
          .where(eq(reviews.id, reviewId))
          .returning();
        if (!updated) throw new AppError(reviewErrors.notFound, "No review with this id");
        if (updated.rating !== row.rating) await refreshAggregate(tx, row.contractorId);
        return authorView(updated);
      });
    },

    /** `POST /reviews/:id/reply`: the reviewed contractor answers, once. */
    async reply(user: Caller, reviewId: string, input: { text: string }): Promise<ReviewView> {
      return transaction(pool, async (tx) => {
        const row = await lockedReview(tx, user, reviewId);
        if (row.contractorId !== user.id) {
          throw new AppError(reviewErrors.notReviewedContractor, "Only the reviewed contractor may reply");
        }
        if (row.hiddenAt !== null) {
          throw new AppError(reviewErrors.hidden, "A review hidden by a moderator cannot be replied to");
        }
        if (row.repliedAt !== null) {
          throw new AppError(
            reviewErrors.replyExists,
            `The review was replied to on ${row.repliedAt.toISOString()}`,
          );
        }
        const now = clock.now();
        const [updated] = await tx.db
          .update(reviews)
          .set({ replyText: input.text, repliedAt: now })
          .where(eq(reviews.id, reviewId))
          .returning();
        if (!updated) throw new AppError(reviewErrors.notFound, "No review with this id");
        await emit(tx, {
          kind: "review.replied",
          reviewId,
          bookingId: row.bookingId,
          contractorId: row.contractorId,
          customerId: row.customerId,
          at: now.toISOString(),
        });
        return authorView(updated);
      });
    },

    /** `GET /contractors/:id/reviews`: visible reviews, newest first, with the contractor's rating. */
    async listForContractor(
      contractorId: string,
      query: z.output<typeof contractorReviewsQuery>,
    ): Promise<Page<PublicReview> & { rating: RatingSummary }> {
      await contractorExists(contractorId);
      const page = await pageNewestById(
        db
          .select({ review: reviews, name: userDirectory.name, status: userDirectory.status })
          .from(reviews)
          .innerJoin(userDirectory, eq(userDirectory.id, reviews.customerId))
          .$dynamic(),
        reviews.id,
        [eq(reviews.contractorId, contractorId), isNull(reviews.hiddenAt)],
        query,
        (row) => row.review.id,
      );
      const items = page.items.map(({ review, name, status }): PublicReview => {
        const { id, rating, comment, categorySlug, createdAt, editedAt, reply } = authorView(review);
        return {
          id,
          rating,
          comment,
          reviewer: { firstName: firstNameOf(name, status) },
          categorySlug,
          createdAt,
          editedAt,
          reply,
        };
      });
      return { items, nextCursor: page.nextCursor, rating: await summaryOf(db, contractorId) };
    },

    /** `GET /admin/reviews`: every review, newest first, for moderation. */
    async listForAdmin(query: z.output<typeof adminReviewsQuery>): Promise<Page<AdminReview>> {
      const conditions: (SQL | undefined)[] = [];
      if (query.status === "visible") conditions.push(isNull(reviews.hiddenAt));
      if (query.status === "hidden") conditions.push(isNotNull(reviews.hiddenAt));
      if (query.contractorId) conditions.push(eq(reviews.contractorId, query.contractorId));
      if (query.customerId) conditions.push(eq(reviews.customerId, query.customerId));
      const page = await pageNewestById(
        db.select().from(reviews).$dynamic(),
        reviews.id,
        conditions,
        query,
        (row) => row.id,
      );
      return { items: await adminViews(db, page.items), nextCursor: page.nextCursor };
    },

    /** `POST /admin/reviews/:id/hide`: out of the public list and the aggregate, with the reason audited. */
    hide: (admin: Caller, reviewId: string, reason: string) => moderate(admin, reviewId, true, reason),

    /** `POST /admin/reviews/:id/unhide`: back in the list and the aggregate. */
    unhide: (admin: Caller, reviewId: string, reason?: string) => moderate(admin, reviewId, false, reason),

    /** `POST /bookings/:id/customer-rating`: the contractor of a finished booking rates its customer, once. */
    async rateCustomer(
      user: Caller,
      bookingId: string,
      input: { rating: number; comment?: string },
    ): Promise<CustomerRatingView> {
      try {
        return await transaction(pool, async (tx) => {
          const booking = await finishedBooking(tx.db, user, bookingId, "contractor");
          const [existing] = await tx.db
            .select({ id: customerRatings.id })
            .from(customerRatings)
            .where(eq(customerRatings.bookingId, bookingId));
          if (existing) throw customerRatingExists();
          const [row] = await tx.db
            .insert(customerRatings)
            .values({
              bookingId,
              customerId: booking.customerId,
              contractorId: booking.contractorId,
              rating: input.rating,
              comment: stored(input.comment),
              createdAt: clock.now(),
            })
            .returning();
          if (!row) throw new Error("the customer rating was not stored");
          return {
            id: row.id,
            bookingId: row.bookingId,
            customerId: row.customerId,
            rating: row.rating,
            comment: row.comment,
            createdAt: row.createdAt.toISOString(),
          };
        });
      } catch (error) {
        if (isUniqueViolation(error, "customer_ratings_booking")) throw customerRatingExists();
        throw error;
      }
    },

    customerRatingsOf,

    /** `GET /customers/:id/rating` (contractors and admins). */
    async customerRating(
      customerId: string,
    ): Promise<{ customerId: string; average: number; count: number }> {
      const [user] = await db
        .select({ role: userDirectory.role })
        .from(userDirectory)
        .where(eq(userDirectory.id, customerId));
      if (user?.role !== "customer")
        throw new AppError(reviewErrors.customerNotFound, "No customer with this id");
      const rating = (await customerRatingsOf([customerId])).get(customerId) ?? { average: 0, count: 0 };
      return { customerId, ...rating };
    },

    /** Registers a consumer of review events (the seam for in-app notifications and push). */
    onReview(listener: ReviewListener): void {
      listeners.push(listener);
    },

    /** Runs the consumers of one committed event; the module's `review.events` worker calls it. */
    async deliver(event: ReviewEvent): Promise<void> {
      for (const listener of listeners) await listener(event);
    },
  };

  function reviewExists(existingId?: string): AppError {
    return new AppError(
      reviewErrors.exists,
      "This booking already has a review: change it with PATCH /reviews/{id}",
      {
        ...(existingId ? { extensions: { reviewId: existingId } } : {}),
      },
    );
  }

  function customerRatingExists(): AppError {
    return new AppError(reviewErrors.customerRatingExists, "You have already rated this booking's customer");
  }
}

function describeSeconds(seconds: number): string {
  if (seconds % 86_400 === 0) return `${seconds / 86_400} day${seconds === 86_400 ? "" : "s"}`;
  if (seconds % 3600 === 0) return `${seconds / 3600} hour${seconds === 3600 ? "" : "s"}`;
  return `${seconds} seconds`;
}

export type ReviewsService = ReturnType<typeof createReviewsService>;
