import type pg from "pg";
import { z } from "zod";
import type { Clock } from "../../clock.js";
import type { Database, Executor } from "../../db/client.js";
import { newId } from "../../db/columns.js";
import { transaction } from "../../db/transaction.js";
import type { AuthUser } from "../../http/auth.js";
import { AppError, coreErrors } from "../../http/errors.js";
import { decodeCursor, type Page, toPage } from "../../http/pagination.js";
import type { JobQueue } from "../../jobs/queue.js";
import type { Logger } from "../../logger.js";
import type { BookingsService, BookingView } from "../bookings/index.js";
import { unknownCategories } from "../catalog/index.js";
import { type Coverage, contractorErrors, coverageOf, roundedPoint } from "../contractors/index.js";
import type { FilesService } from "../files/index.js";
import type {
  CreateJobInput,
  CreateQuoteInput,
  JobView,
  ListJobsQuery,
  ListQuotesQuery,
  QuoteView,
  UpdateJobInput,
  UpdateQuoteInput,
} from "./jobs.contract.js";
import { jobErrors } from "./jobs.errors.js";
import {
  allJobs,
  attachmentsOf,
  attachmentsReadable,
  cancelJobs,
  customerJobs,
  deleteAttachmentsOfCustomer,
  expireJob,
  insertJob,
  insertQuote,
  type JobFilter,
  jobById,
  jobForContractor,
  openJobCount,
  openJobIdsOf,
  openJobsFor,
  overdueJobIds,
  type QuoteWithName,
  quoteById,
  quoteCounts,
  quotesOf,
  rejectPendingQuotes,
  updateOpenJob,
  updatePendingQuote,
  withdrawPendingQuotesOf,
  writeAttachments,
} from "./jobs.repo.js";
import type { JobRow, JobStatus } from "./jobs.tables.js";

export interface JobsDeps {
  db: Database;
  pool: pg.Pool;
  clock: Clock;
  jobs: JobQueue;
  files: FilesService;
  logger: Logger;
  /** Accepting a quote books its contractor. */
  bookings: Pick<BookingsService, "createFromQuote">;
  /** How long a job stays open for quotes. */
  expirySeconds: number;
  /** How contractors rated these customers (the reviews module): shown to contractors and admins, never the owner. */
  customerRatings?: (customerIds: string[]) => Promise<Map<string, { average: number; count: number }>>;
}

/** What `files.attachedKind` says of a job attachment. */
export const jobAttachmentKind = "job";

/**
 * A quote event (a new quote, a quote accepted), told to the consumers registered with `onQuote`
 * (notifications, the chat) inside the transaction that makes it, so what they write and enqueue commits with
 * it or not at all.
 */
export interface QuoteEvent {
  type: "created" | "accepted";
  quoteId: string;
  jobId: string;
  jobTitle: string;
  customerId: string;
  contractorId: string;
  price: { amount: number; currency: string };
  /** The booking an accepted quote made. */
  bookingId?: string;
}

export type QuoteListener = (event: QuoteEvent) => Promise<void>;

/** The pg-boss queue of expiry timers, one job per posted job, due at its expiry. */
export const expiryQueue = "jobs.expire";

const cursorParts = z.tuple([z.iso.datetime({ offset: true }), z.uuid()]);

/** Who is looking at a job decides what of it they see. */
type Audience =
  | { kind: "owner" }
  | { kind: "admin" }
  | { kind: "contractor"; contractorId: string; distanceKm: number | null; attachmentsVisible: boolean };

function jobNotFound(): AppError {
  return new AppError(jobErrors.notFound, "No job with this id that you may see");
}

function quoteNotFound(): AppError {
  return new AppError(jobErrors.quoteNotFound, "No quote with this id on this job that you may see");
}

/** A status as everyone sees it: an open job past its expiry is expired before the timer has run. */
function effectiveStatus(row: JobRow, now: Date): JobStatus {
  return row.status === "open" && row.expiresAt <= now ? "expired" : row.status;
}

function notOpen(row: JobRow, now: Date): AppError {
  const status = effectiveStatus(row, now);
  return new AppError(
    jobErrors.invalidState,
    `The job is ${status}; only open jobs can change or take quotes`,
    {
      extensions: { currentStatus: status },
    },
  );
}

function inFuture(value: string | null | undefined, now: Date, field: string): Date | null | undefined {
  if (value === null || value === undefined) return value;
  const date = new Date(value);
  if (date <= now) {
    throw new AppError(coreErrors.validation, `${field} must be in the future`, {
      errors: [{ path: field, code: "invalid_value", message: "must be in the future", in: "body" }],
    });
  }
  return date;
}

async function assertCategory(db: Executor, slug: string): Promise<void> {
  if ((await unknownCategories(db, [slug])).length > 0) {
    throw new AppError(contractorErrors.unknownCategory, `Unknown category ${slug}; see GET /categories`, {
      errors: [{ path: "categorySlug", code: "not_found", message: `no category "${slug}"`, in: "body" }],
    });
  }
}

function presentQuote(row: QuoteWithName): QuoteView {
  const { quote } = row;
  return {
    id: quote.id,
    jobId: quote.jobId,
    contractorId: quote.contractorId,
    contractorName: row.contractorName,
    price: { amount: quote.priceAmount, currency: quote.priceCurrency },
    message: quote.message,
    proposedStart: quote.proposedStart?.toISOString() ?? null,
    status: quote.status,
    closedReason: quote.closedReason,
    decidedAt: quote.decidedAt?.toISOString() ?? null,
    createdAt: quote.createdAt.toISOString(),
    updatedAt: quote.updatedAt.toISOString(),
  };
}

export function createJobsService(deps: JobsDeps) {
  const { db, pool, clock, files } = deps;
  const quoteListeners: QuoteListener[] = [];
  /** Tells the quote's consumers, inside the caller's transaction (theirs join it). */
  async function tell(event: QuoteEvent): Promise<void> {
    for (const listener of quoteListeners) await listener(event);
  }

  async function present(
    executor: Executor,
    rows: { row: JobRow; audience: Audience }[],
  ): Promise<JobView[]> {
    const now = clock.now();
    const ids = rows.map(({ row }) => row.id);
    // A contractor who may not see a job's files gets none, so theirs are neither read nor signed.
    const hidesAttachments = (audience: Audience) =>
      audience.kind === "contractor" && !audience.attachmentsVisible;
    const attachments = await attachmentsOf(
      executor,
      rows.filter(({ audience }) => !hidesAttachments(audience)).map(({ row }) => row.id),
    );
    const attached = await files.presentLinked(
      executor,
      attachments.map((attachment) => ({ to: attachment.jobId, fileId: attachment.fileId })),
    );
    const counts = rows.some(({ audience }) => audience.kind !== "contractor")
      ? await quoteCounts(executor, ids)
      : new Map<string, number>();
    // A contractor deciding whether to quote, and an admin, see how contractors rated the customer.
    const judged = rows.filter(({ audience }) => audience.kind !== "owner").map(({ row }) => row.customerId);
    const ratings =
      deps.customerRatings && judged.length > 0
        ? await deps.customerRatings(judged)
        : new Map<string, { average: number; count: number }>();
    return rows.map(({ row, audience }) => {
      const assignedToViewer =
        audience.kind === "contractor" && row.assignedContractorId === audience.contractorId;
      const exact = audience.kind !== "contractor" || assignedToViewer;
      const point = exact ? { lat: row.lat, lng: row.lng } : roundedPoint(row);
      return {
        id: row.id,
        customerId: row.customerId,
        title: row.title,
        description: row.description,
        categorySlug: row.categorySlug,
        location: { ...point, address: exact ? row.address : null },
        budget:
          row.budgetAmount !== null && row.budgetCurrency !== null
            ? { amount: row.budgetAmount, currency: row.budgetCurrency }
            : null,
        preferredStart: row.preferredStart?.toISOString() ?? null,
        status: effectiveStatus(row, now),
        attachments: (attached.get(row.id) ?? []).map((view) => ({
          id: view.id,
          contentType: view.contentType,
          size: view.size,
          url: view.url,
          thumbnailUrl: view.thumbnailUrl,
        })),
        expiresAt: row.expiresAt.toISOString(),
        assignedContractorId: row.assignedContractorId,
        bookingId: exact ? row.bookingId : null,
        ...(audience.kind === "contractor"
          ? audience.distanceKm === null
            ? {}
            : { distanceKm: Math.round(audience.distanceKm * 10) / 10 }
          : { quoteCount: counts.get(row.id) ?? 0 }),
        ...(audience.kind !== "owner" && ratings.has(row.customerId)
          ? { customerRating: ratings.get(row.customerId) }
          : {}),
        createdAt: row.createdAt.toISOString(),
        updatedAt: row.updatedAt.toISOString(),
      };
    });
  }

  async function presentOne(executor: Executor, row: JobRow, audience: Audience): Promise<JobView> {
    const [view] = await present(executor, [{ row, audience }]);
    if (!view) throw new Error("a presented job went missing");
    return view;
  }

  /** The job and how the caller sees it, or 404 when the caller may not see it. */
  async function visible(
    executor: Executor,
    user: AuthUser,
    jobId: string,
  ): Promise<{ row: JobRow; audience: Audience; coverage?: Coverage | undefined }> {
    const now = clock.now();
    if (user.role === "contractor") {
      const coverage = await coverageOf(executor, user.id);
      const found = await jobForContractor(executor, jobId, user.id, coverage, now);
      if (!found) throw jobNotFound();
      return {
        row: found.job,
        coverage,
        audience: {
          kind: "contractor",
          contractorId: user.id,
          distanceKm: found.distanceKm,
          attachmentsVisible: found.attachmentsVisible,
        },
      };
    }
    const row = await jobById(executor, jobId);
    if (!row) throw jobNotFound();
    if (user.role === "admin") return { row, audience: { kind: "admin" } };
    if (row.customerId !== user.id) throw jobNotFound();
    return { row, audience: { kind: "owner" } };
  }

  /** The owner's job, locked for the change, or 404; 409 naming its state when it is not open. */
  async function ownOpenJob(executor: Executor, user: AuthUser, jobId: string): Promise<JobRow> {
    const row = await jobById(executor, jobId, "update");
    if (!row || row.customerId !== user.id) throw jobNotFound();
    if (effectiveStatus(row, clock.now()) !== "open") throw notOpen(row, clock.now());
    return row;
  }

  /** Expiry timer: an open job past its time becomes expired and its pending quotes rejected. */
  async function expire(jobId: string): Promise<void> {
    const now = clock.now();
    await transaction(pool, async (tx) => {
      const row = await expireJob(tx.db, jobId, now);
      if (row) await rejectPendingQuotes(tx.db, [jobId], "job_expired", now);
    });
  }

  return {
    async create(user: AuthUser, input: CreateJobInput): Promise<JobView> {
      const now = clock.now();
      const preferredStart = inFuture(input.preferredStart, now, "preferredStart") ?? null;
      return transaction(pool, async (tx) => {
        await assertCategory(tx.db, input.categorySlug);
        const id = newId();
        const expiresAt = new Date(now.getTime() + deps.expirySeconds * 1000);
        const row = await insertJob(tx.db, {
          id,
          customerId: user.id,
          title: input.title,
          description: input.description,
          categorySlug: input.categorySlug,
          lat: input.location.lat,
          lng: input.location.lng,
          address: input.location.address,
          budgetAmount: input.budget?.amount ?? null,
          budgetCurrency: input.budget?.currency ?? null,
          preferredStart,
          status: "open",
          expiresAt,
          createdAt: now,
          updatedAt: now,
        });
        const fileIds = input.attachmentFileIds ?? [];
        await files.attach(tx.db, {
          ownerId: user.id,
          fileIds,
          purposes: ["job_attachment"],
          kind: jobAttachmentKind,
          targetId: id,
          field: "attachmentFileIds",
        });
        await writeAttachments(tx.db, id, fileIds);
        // The timer commits with the job: no job without its expiry, no expiry for a job that rolled back.
        await deps.jobs.send(
          expiryQueue,
          { jobId: id },
          { db: tx, startAfter: deps.expirySeconds, retryLimit: 10, retryBackoff: true },
        );
        return presentOne(tx.db, row, { kind: "owner" });
      });
    },

    async update(user: AuthUser, jobId: string, input: UpdateJobInput): Promise<JobView> {
      const now = clock.now();
      const preferredStart = inFuture(input.preferredStart, now, "preferredStart");
      return transaction(pool, async (tx) => {
        await ownOpenJob(tx.db, user, jobId);
        if (input.categorySlug !== undefined) await assertCategory(tx.db, input.categorySlug);
        const row = await updateOpenJob(tx.db, { id: jobId, customerId: user.id }, now, {
          ...(input.title !== undefined ? { title: input.title } : {}),
          ...(input.description !== undefined ? { description: input.description } : {}),
          ...(input.categorySlug !== undefined ? { categorySlug: input.categorySlug } : {}),
          ...(input.location !== undefined
            ? { lat: input.location.lat, lng: input.location.lng, address: input.location.address }
            : {}),
          ...(input.budget !== undefined
            ? { budgetAmount: input.budget?.amount ?? null, budgetCurrency: input.budget?.currency ?? null }
            : {}),
          ...(preferredStart !== undefined ? { preferredStart } : {}),
          updatedAt: now,
        });
        if (!row) throw jobNotFound();
        if (input.attachmentFileIds) {
          await files.attach(tx.db, {
            ownerId: user.id,
            fileIds: input.attachmentFileIds,
            purposes: ["job_attachment"],
            kind: jobAttachmentKind,
            targetId: jobId,
            field: "attachmentFileIds",
          });
          await files.detach(tx.db, jobAttachmentKind, jobId, input.attachmentFileIds);
          await writeAttachments(tx.db, jobId, input.attachmentFileIds);
        }
        return presentOne(tx.db, row, { kind: "owner" });
      });
    },

    /** Cancels an open job of the owner; its pending quotes become `rejected` (reason `job_cancelled`). */
    async cancel(user: AuthUser, jobId: string): Promise<JobView> {
      const now = clock.now();
      return transaction(pool, async (tx) => {
        await ownOpenJob(tx.db, user, jobId);
        await cancelJobs(tx.db, [jobId], now);
        await rejectPendingQuotes(tx.db, [jobId], "job_cancelled", now);
        const row = await jobById(tx.db, jobId);
        if (!row) throw jobNotFound();
        return presentOne(tx.db, row, { kind: "owner" });
      });
    },

    async get(user: AuthUser, jobId: string): Promise<JobView> {
      const { row, audience } = await visible(db, user, jobId);
      return presentOne(db, row, audience);
    },

    /** Customers: their own jobs. Contractors: open jobs in their categories and area. Newest first. */
    async list(user: AuthUser, query: ListJobsQuery): Promise<Page<JobView>> {
      const now = clock.now();
      const after = query.cursor ? decodeCursor({ ...query, cursor: query.cursor }, cursorParts) : undefined;
      const keyOf = (row: JobRow) => [row.createdAt.toISOString(), row.id];
      if (user.role === "customer") {
        const rows = await customerJobs(db, user.id, {
          status: query.status,
          now,
          limit: query.limit,
          after,
        });
        const page = toPage(rows, query, keyOf, (row) => row);
        return {
          items: await present(
            db,
            page.items.map((row) => ({ row, audience: { kind: "owner" } })),
          ),
          nextCursor: page.nextCursor,
        };
      }
      if (query.status !== undefined && query.status !== "open") {
        throw new AppError(coreErrors.validation, "Contractors list open jobs only", {
          errors: [
            { path: "status", code: "not_allowed", message: "must be open (or left out)", in: "query" },
          ],
        });
      }
      const coverage = await coverageOf(db, user.id);
      if (!coverage) {
        throw new AppError(
          contractorErrors.profileMissing,
          "Create your contractor profile to see open jobs",
        );
      }
      const rows = await openJobsFor(db, coverage, { now, limit: query.limit, after });
      const page = toPage(
        rows,
        query,
        (found) => keyOf(found.job),
        (found) => found,
      );
      return {
        items: await present(
          db,
          page.items.map((found) => ({
            row: found.job,
            audience: {
              kind: "contractor",
              contractorId: user.id,
              distanceKm: found.distanceKm,
              attachmentsVisible: found.attachmentsVisible,
            },
          })),
        ),
        nextCursor: page.nextCursor,
      };
    },

    /** The files module's read rule for job attachments (owners and admins are let in by the files module). */
    async mayReadAttachment(reader: AuthUser, jobId: string): Promise<boolean> {
      if (reader.role !== "contractor") return false;
      const coverage = await coverageOf(db, reader.id);
      return attachmentsReadable(db, jobId, reader.id, coverage, clock.now());
    },

    async createQuote(user: AuthUser, jobId: string, input: CreateQuoteInput): Promise<QuoteView> {
      const now = clock.now();
      const proposedStart = inFuture(input.proposedStart, now, "proposedStart") ?? null;
      return transaction(pool, async (tx) => {
        const coverage = await coverageOf(tx.db, user.id);
        if (!coverage) {
          throw new AppError(
            contractorErrors.profileMissing,
            "Create your contractor profile before quoting",
          );
        }
        const found = await jobForContractor(tx.db, jobId, user.id, coverage, now);
        if (!found) throw jobNotFound();
        // Shared lock: an accept or cancel (which update the row) waits for this quote, or this quote for it.
        const job = await jobById(tx.db, jobId, "share");
        if (!job) throw jobNotFound();
        if (effectiveStatus(job, now) !== "open") throw notOpen(job, now);
        if (!found.attachmentsVisible) throw jobNotFound();
        if (proposedStart === null && job.preferredStart === null) {
          throw new AppError(coreErrors.validation, "The job names no start: propose one", {
            errors: [
              {
                path: "proposedStart",
                code: "required",
                message: "is required when the job has no preferredStart",
                in: "body",
              },
            ],
          });
        }
        const quote = await insertQuote(tx.db, {
          id: newId(),
          jobId,
          contractorId: user.id,
          priceAmount: input.price.amount,
          priceCurrency: input.price.currency,
          message: input.message,
          proposedStart,
          status: "pending",
          createdAt: now,
          updatedAt: now,
        });
        if (!quote) {
          throw new AppError(jobErrors.quoteExists, "You have already quoted for this job; edit that quote");
        }
        const named = await quoteById(tx.db, jobId, quote.id);
        if (!named) throw quoteNotFound();
        await tell({
          type: "created",
          quoteId: quote.id,
          jobId,
          jobTitle: job.title,
          customerId: job.customerId,
          contractorId: user.id,
          price: input.price,
        });
        return presentQuote(named);
      });
    },

    async updateQuote(
      user: AuthUser,
      jobId: string,
      quoteId: string,
      input: UpdateQuoteInput,
    ): Promise<QuoteView> {
      const now = clock.now();
      const proposedStart = inFuture(input.proposedStart, now, "proposedStart");
      return transaction(pool, async (tx) => {
        const { job, quote } = await ownQuote(tx.db, user, jobId, quoteId);
        if (proposedStart === null && job.preferredStart === null) {
          throw new AppError(coreErrors.validation, "The job names no start: keep a proposed one", {
            errors: [
              {
                path: "proposedStart",
                code: "required",
                message: "is required when the job has no preferredStart",
                in: "body",
              },
            ],
          });
        }
        const updated = await updatePendingQuote(
          tx.db,
          { id: quoteId, jobId, contractorId: user.id },
          {
            ...(input.price ? { priceAmount: input.price.amount, priceCurrency: input.price.currency } : {}),
            ...(input.message !== undefined ? { message: input.message } : {}),
            ...(proposedStart !== undefined ? { proposedStart } : {}),
            updatedAt: now,
          },
        );
        if (!updated) throw await quoteNotPending(tx.db, jobId, quoteId);
        return presentQuote({ quote: updated, contractorName: quote.contractorName });
      });
    },

    async withdrawQuote(user: AuthUser, jobId: string, quoteId: string): Promise<QuoteView> {
      const now = clock.now();
      return transaction(pool, async (tx) => {
        const { quote } = await ownQuote(tx.db, user, jobId, quoteId);
        const updated = await updatePendingQuote(
          tx.db,
          { id: quoteId, jobId, contractorId: user.id },
          { status: "withdrawn", decidedAt: now, updatedAt: now },
        );
        if (!updated) throw await quoteNotPending(tx.db, jobId, quoteId);
        return presentQuote({ quote: updated, contractorName: quote.contractorName });
      });
    },

    /**
     * The owner accepts a pending quote of their open job, all in one transaction: the job is locked (of two
     * racing accepts, of one quote or of two, or an accept and a cancel, the second waits and then finds the
     * job no longer open), the quote becomes accepted, the other pending ones rejected, the booking is created
     * in `accepted` at the quoted price, and the job becomes assigned with the booking's id.
     */
    async acceptQuote(user: AuthUser, jobId: string, quoteId: string): Promise<BookingView> {
      const now = clock.now();
      return transaction(pool, async (tx) => {
        const job = await ownOpenJob(tx.db, user, jobId);
        const found = await quoteById(tx.db, jobId, quoteId);
        if (!found) throw quoteNotFound();
        const scheduledStart = found.quote.proposedStart ?? job.preferredStart;
        if (!scheduledStart) {
          throw new AppError(
            jobErrors.startMissing,
            "Neither the quote nor the job names a start: set the job's preferredStart, or ask the contractor to propose one",
          );
        }
        // A start that went by while the quote waited would make a booking nobody can keep.
        if (scheduledStart.getTime() <= now.getTime()) {
          throw new AppError(
            jobErrors.startPassed,
            `The start ${found.quote.proposedStart ? "the quote proposes" : "the job prefers"} (${scheduledStart.toISOString()}) has passed: ${found.quote.proposedStart ? "ask the contractor to update the quote's proposedStart" : "update the job's preferredStart"}`,
          );
        }
        const accepted = await updatePendingQuote(
          tx.db,
          { id: quoteId, jobId },
          { status: "accepted", decidedAt: now, updatedAt: now },
        );
        if (!accepted) throw await quoteNotPending(tx.db, jobId, quoteId);
        await rejectPendingQuotes(tx.db, [jobId], "other_quote_accepted", now);
        const booking = await deps.bookings.createFromQuote({
          customerId: job.customerId,
          contractorId: accepted.contractorId,
          categorySlug: job.categorySlug,
          description: `${job.title}\n\n${job.description}`,
          scheduledStart,
          location: { lat: job.lat, lng: job.lng, address: job.address },
          price: { amount: accepted.priceAmount, currency: accepted.priceCurrency },
        });
        const assigned = await updateOpenJob(tx.db, { id: jobId, customerId: user.id }, now, {
          status: "assigned",
          assignedContractorId: accepted.contractorId,
          bookingId: booking.id,
          updatedAt: now,
        });
        // The row is locked since ownOpenJob, so only a broken invariant lands here.
        if (!assigned) throw new Error(`job ${jobId} left the open state while locked`);
        await tell({
          type: "accepted",
          quoteId,
          jobId,
          jobTitle: job.title,
          customerId: job.customerId,
          contractorId: accepted.contractorId,
          price: { amount: accepted.priceAmount, currency: accepted.priceCurrency },
          bookingId: booking.id,
        });
        return booking;
      });
    },

    /** The owner and admins see every quote; a contractor sees only their own. Oldest first. */
    async listQuotes(user: AuthUser, jobId: string, query: ListQuotesQuery): Promise<Page<QuoteView>> {
      await visible(db, user, jobId);
      // The job is one of the list's filters: a cursor of one job's quotes is refused on another's.
      const list = { ...query, jobId };
      const after = list.cursor ? decodeCursor({ ...list, cursor: list.cursor }, cursorParts) : undefined;
      const rows = await quotesOf(db, jobId, {
        contractorId: user.role === "contractor" ? user.id : undefined,
        limit: query.limit,
        after,
      });
      return toPage(rows, list, (row) => [row.quote.createdAt.toISOString(), row.quote.id], presentQuote);
    },

    /** For admins: every job matching the filters, newest first. */
    async listAll(query: JobFilter & { limit: number; cursor?: string | undefined }): Promise<Page<JobView>> {
      const after = query.cursor ? decodeCursor({ ...query, cursor: query.cursor }, cursorParts) : undefined;
      const rows = await allJobs(db, query, { now: clock.now(), limit: query.limit, after });
      const page = toPage(
        rows,
        query,
        (row) => [row.createdAt.toISOString(), row.id],
        (row) => row,
      );
      return {
        items: await present(
          db,
          page.items.map((row) => ({ row, audience: { kind: "admin" } })),
        ),
        nextCursor: page.nextCursor,
      };
    },

    /** For admins: one job with every quote it received, oldest first (its history as far as it is kept). */
    async oversee(jobId: string): Promise<{ job: JobView; quotes: QuoteView[] }> {
      const row = await jobById(db, jobId);
      if (!row) throw jobNotFound();
      const job = await presentOne(db, row, { kind: "admin" });
      // Every quote: a job takes one per contractor, so the list stays short.
      const quotes = await quotesOf(db, jobId, { limit: 1000 });
      return { job, quotes: quotes.map(presentQuote) };
    },

    /** For the admin overview: jobs taking quotes now. */
    openCount: () => openJobCount(db, clock.now()),

    expire,

    /** Registers a consumer of quote events, run inside their transaction (notifications; the chat's conversation). */
    onQuote(listener: QuoteListener): void {
      quoteListeners.push(listener);
    },

    /** Hourly: expires what the timers missed (a queue restored from a backup, a clock moved by hand). */
    async expireOverdue(): Promise<void> {
      for (const jobId of await overdueJobIds(db, clock.now(), 500)) {
        await expire(jobId);
      }
    },

    /**
     * Account deletion, inside its transaction: a customer's open jobs are cancelled (their quotes rejected)
     * and their jobs let go of attachments, whose files the deletion removes; a contractor's pending quotes
     * are withdrawn.
     */
    async eraseAccount(executor: Executor, userId: string, now: Date): Promise<void> {
      const open = await openJobIdsOf(executor, userId);
      await cancelJobs(executor, open, now);
      await rejectPendingQuotes(executor, open, "job_cancelled", now);
      await deleteAttachmentsOfCustomer(executor, userId);
      await withdrawPendingQuotesOf(executor, userId, now);
    },
  };

  /** A contractor's own quote with its job, or 404; 409 naming the job's state when the job is not open. */
  async function ownQuote(executor: Executor, user: AuthUser, jobId: string, quoteId: string) {
    const quote = await quoteById(executor, jobId, quoteId);
    if (!quote || quote.quote.contractorId !== user.id) throw quoteNotFound();
    const job = await jobById(executor, jobId, "share");
    if (!job) throw quoteNotFound();
    const now = clock.now();
    if (effectiveStatus(job, now) !== "open") throw notOpen(job, now);
    return { job, quote };
  }

  async function quoteNotPending(executor: Executor, jobId: string, quoteId: string): Promise<AppError> {
    const current = await quoteById(executor, jobId, quoteId);
    const status = current?.quote.status ?? "gone";
    return new AppError(
      jobErrors.quoteInvalidState,
      `The quote is ${status}; only pending quotes can change`,
      {
        extensions: { currentStatus: status },
      },
    );
  }
}

export type JobsService = ReturnType<typeof createJobsService>;
