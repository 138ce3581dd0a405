import { and, asc, count, desc, eq, ilike, inArray, type SQL, sql } from "drizzle-orm";
import type { Executor } from "../../db/client.js";
import { type Coverage, coversSql, distanceFromCentreSql } from "../contractors/index.js";
import { likePattern, userDirectory } from "../users/index.js";
import {
  type JobRow,
  type JobStatus,
  jobAttachments,
  jobQuotes,
  jobs,
  type QuoteClosedReason,
  type QuoteRow,
} from "./jobs.tables.js";

/** Open and not past its expiry: the only state that takes quotes, edits and accepts. */
export function openAt(now: Date): SQL {
  return sql`(${jobs.status} = 'open' and ${jobs.expiresAt} > ${now})`;
}

/** In the contractor's categories and inside their service area, in any state. */
function matches(coverage: Coverage): SQL {
  if (coverage.categorySlugs.length === 0) return sql`false`;
  return sql`(${inArray(jobs.categorySlug, coverage.categorySlugs)} and ${coversSql(coverage, sql`${jobs.lat}`, sql`${jobs.lng}`)})`;
}

/**
 * Which jobs a contractor may read: those matching their categories and area (an app can then show that a
 * job it listed was cancelled or taken), the one assigned to them, and those they quoted for.
 */
function readableBy(contractorId: string, coverage: Coverage | undefined): SQL {
  return sql`(${coverage ? matches(coverage) : sql`false`}
    or ${jobs.assignedContractorId} = ${contractorId}
    or exists (select 1 from ${jobQuotes} q where q.job_id = ${jobs.id} and q.contractor_id = ${contractorId}))`;
}

/** Who may read a job's attachments besides its owner and admins: matching contractors while it is open, then the assigned one. */
function attachmentsReadableBy(contractorId: string, coverage: Coverage | undefined, now: Date): SQL {
  return sql`((${coverage ? matches(coverage) : sql`false`} and ${openAt(now)}) or ${jobs.assignedContractorId} = ${contractorId})`;
}

export interface ContractorJobRow {
  job: JobRow;
  distanceKm: number | null;
  attachmentsVisible: boolean;
}

const selection = (contractorId: string, coverage: Coverage | undefined, now: Date) => ({
  job: jobs,
  distanceKm: coverage
    ? sql<number>`${distanceFromCentreSql(coverage, sql`${jobs.lat}`, sql`${jobs.lng}`)}`.mapWith(Number)
    : sql<null>`null::float8`,
  attachmentsVisible: sql<boolean>`${attachmentsReadableBy(contractorId, coverage, now)}`.mapWith(Boolean),
});

export async function jobById(
  db: Executor,
  id: string,
  lock?: "update" | "share",
): Promise<JobRow | undefined> {
  const query = db.select().from(jobs).where(eq(jobs.id, id));
  const [row] = await (lock ? query.for(lock) : query);
  return row;
}

/** The job as a contractor may read it, or undefined when they may not. */
export async function jobForContractor(
  db: Executor,
  id: string,
  contractorId: string,
  coverage: Coverage | undefined,
  now: Date,
): Promise<ContractorJobRow | undefined> {
  const [row] = await db
    .select(selection(contractorId, coverage, now))
    .from(jobs)
    .where(and(eq(jobs.id, id), readableBy(contractorId, coverage)));
  return row;
}

/** Whether a contractor may read the attachments of a job. */
export async function attachmentsReadable(
  db: Executor,
  jobId: string,
  contractorId: string,
  coverage: Coverage | undefined,
  now: Date,
): Promise<boolean> {
  const [row] = await db
    .select({ id: jobs.id })
    .from(jobs)
    .where(and(eq(jobs.id, jobId), attachmentsReadableBy(contractorId, coverage, now)));
  return row !== undefined;
}

/** Where a page resumes: after this (createdAt, id) in newest-first order. */
export type JobCursor = [createdAt: string, id: string];

function after(cursor: JobCursor | undefined): SQL | undefined {
  return cursor
    ? sql`(${jobs.createdAt}, ${jobs.id}) < (${cursor[0]}::timestamptz, ${cursor[1]}::uuid)`
    : undefined;
}

/** A status as its owner sees it: an open job past its expiry is expired, whether or not the timer has run. */
function statusIs(status: JobStatus, now: Date): SQL {
  if (status === "open") return openAt(now);
  if (status === "expired") {
    return sql`(${jobs.status} = 'expired' or (${jobs.status} = 'open' and ${jobs.expiresAt} <= ${now}))`;
  }
  return eq(jobs.status, status);
}

export function customerJobs(
  db: Executor,
  customerId: string,
  options: { status?: JobStatus | undefined; now: Date; limit: number; after?: JobCursor | undefined },
): Promise<JobRow[]> {
  return db
    .select()
    .from(jobs)
    .where(
      and(
        eq(jobs.customerId, customerId),
        options.status ? statusIs(options.status, options.now) : undefined,
        after(options.after),
      ),
    )
    .orderBy(desc(jobs.createdAt), desc(jobs.id))
    .limit(options.limit + 1);
}

/** What an admin may narrow every job down to. */
export interface JobFilter {
  status?: JobStatus | undefined;
  category?: string | undefined;
  customerId?: string | undefined;
  contractorId?: string | undefined;
  /** Part of the title. */
  q?: string | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
}

/** Every job matching the filters, newest first. */
export function allJobs(
  db: Executor,
  filter: JobFilter,
  options: { now: Date; limit: number; after?: JobCursor | undefined },
): Promise<JobRow[]> {
  return db
    .select()
    .from(jobs)
    .where(
      and(
        filter.status ? statusIs(filter.status, options.now) : undefined,
        filter.category ? eq(jobs.categorySlug, filter.category) : undefined,
        filter.customerId ? eq(jobs.customerId, filter.customerId) : undefined,
        filter.contractorId ? eq(jobs.assignedContractorId, filter.contractorId) : undefined,
        filter.q ? ilike(jobs.title, likePattern(filter.q)) : undefined,
        filter.from ? sql`${jobs.createdAt} >= ${filter.from}` : undefined,
        filter.to ? sql`${jobs.createdAt} < ${filter.to}` : undefined,
        after(options.after),
      ),
    )
    .orderBy(desc(jobs.createdAt), desc(jobs.id))
    .limit(options.limit + 1);
}

/** Jobs open now (not past their expiry), for the admin overview. */
export async function openJobCount(db: Executor, now: Date): Promise<number> {
  const [row] = await db.select({ count: sql<number>`count(*)::int` }).from(jobs).where(openAt(now));
  return row?.count ?? 0;
}

/** Open jobs in the contractor's categories and area, newest first. */
export function openJobsFor(
  db: Executor,
  coverage: Coverage,
  options: { now: Date; limit: number; after?: JobCursor | undefined },
): Promise<ContractorJobRow[]> {
  return db
    .select(selection(coverage.contractorId, coverage, options.now))
    .from(jobs)
    .where(and(openAt(options.now), matches(coverage), after(options.after)))
    .orderBy(desc(jobs.createdAt), desc(jobs.id))
    .limit(options.limit + 1);
}

export async function insertJob(db: Executor, values: typeof jobs.$inferInsert): Promise<JobRow> {
  const [row] = await db.insert(jobs).values(values).returning();
  if (!row) throw new Error("insert returned no job");
  return row;
}

/**
 * Changes a job only while it is open, in one conditional statement: of two racing changes (an edit and an
 * accept, a cancel and an accept) the second finds the state already moved and changes nothing.
 */
export async function updateOpenJob(
  db: Executor,
  where: { id: string; customerId?: string },
  now: Date,
  changes: Partial<typeof jobs.$inferInsert>,
): Promise<JobRow | undefined> {
  const [row] = await db
    .update(jobs)
    .set(changes)
    .where(
      and(
        eq(jobs.id, where.id),
        where.customerId ? eq(jobs.customerId, where.customerId) : undefined,
        openAt(now),
      ),
    )
    .returning();
  return row;
}

/** Marks an open job whose time has come as expired; undefined when it is not (any more) such a job. */
export async function expireJob(db: Executor, id: string, now: Date): Promise<JobRow | undefined> {
  const [row] = await db
    .update(jobs)
    .set({ status: "expired", updatedAt: now })
    .where(and(eq(jobs.id, id), eq(jobs.status, "open"), sql`${jobs.expiresAt} <= ${now}`))
    .returning();
  return row;
}

export async function overdueJobIds(db: Executor, now: Date, limit: number): Promise<string[]> {
  const rows = await db
    .select({ id: jobs.id })
    .from(jobs)
    .where(and(eq(jobs.status, "open"), sql`${jobs.expiresAt} <= ${now}`))
    .orderBy(asc(jobs.expiresAt))
    .limit(limit);
  return rows.map((row) => row.id);
}

export async function openJobIdsOf(db: Executor, customerId: string): Promise<string[]> {
  const rows = await db
    .select({ id: jobs.id })
    .from(jobs)
    .where(and(eq(jobs.customerId, customerId), eq(jobs.status, "open")))
    .for("update");
  return rows.map((row) => row.id);
}

export async function cancelJobs(db: Executor, ids: string[], now: Date): Promise<void> {
  if (ids.length === 0) return;
  await db.update(jobs).set({ status: "cancelled", updatedAt: now }).where(inArray(jobs.id, ids));
}

export async function deleteAttachmentsOfCustomer(db: Executor, customerId: string): Promise<void> {
  await db
    .delete(jobAttachments)
    .where(
      sql`${jobAttachments.jobId} in (select ${jobs.id} from ${jobs} where ${jobs.customerId} = ${customerId})`,
    );
}

export function attachmentsOf(db: Executor, jobIds: string[]) {
  if (jobIds.length === 0) return Promise.resolve([]);
  return db
    .select({ jobId: jobAttachments.jobId, fileId: jobAttachments.fileId })
    .from(jobAttachments)
    .where(inArray(jobAttachments.jobId, jobIds))
    .orderBy(asc(jobAttachments.jobId), asc(jobAttachments.position));
}

export async function writeAttachments(db: Executor, jobId: string, fileIds: string[]): Promise<void> {
  await db.delete(jobAttachments).where(eq(jobAttachments.jobId, jobId));
  if (fileIds.length === 0) return;
  await db.insert(jobAttachments).values(fileIds.map((fileId, position) => ({ jobId, fileId, position })));
}

export async function quoteCounts(db: Executor, jobIds: string[]): Promise<Map<string, number>> {
  if (jobIds.length === 0) return new Map();
  const rows = await db
    .select({ jobId: jobQuotes.jobId, quotes: count() })
    .from(jobQuotes)
    .where(inArray(jobQuotes.jobId, jobIds))
    .groupBy(jobQuotes.jobId);
  return new Map(rows.map((row) => [row.jobId, row.quotes]));
}

// Quotes

export interface QuoteWithName {
  quote: QuoteRow;
  contractorName: string;
}

const quoteSelection = { quote: jobQuotes, contractorName: userDirectory.name };

export async function quoteById(
  db: Executor,
  jobId: string,
  quoteId: string,
): Promise<QuoteWithName | undefined> {
  const [row] = await db
    .select(quoteSelection)
    .from(jobQuotes)
    .innerJoin(userDirectory, eq(userDirectory.id, jobQuotes.contractorId))
    .where(and(eq(jobQuotes.id, quoteId), eq(jobQuotes.jobId, jobId)));
  return row;
}

/** Where a page of quotes resumes: after this (createdAt, id), oldest first. */
export type QuoteCursor = [createdAt: string, id: string];

export function quotesOf(
  db: Executor,
  jobId: string,
  options: { contractorId?: string | undefined; limit: number; after?: QuoteCursor | undefined },
): Promise<QuoteWithName[]> {
  return db
    .select(quoteSelection)
    .from(jobQuotes)
    .innerJoin(userDirectory, eq(userDirectory.id, jobQuotes.contractorId))
    .where(
      and(
        eq(jobQuotes.jobId, jobId),
        options.contractorId ? eq(jobQuotes.contractorId, options.contractorId) : undefined,
        options.after
          ? sql`(${jobQuotes.createdAt}, ${jobQuotes.id}) > (${options.after[0]}::timestamptz, ${options.after[1]}::uuid)`
          : undefined,
      ),
    )
    .orderBy(asc(jobQuotes.createdAt), asc(jobQuotes.id))
    .limit(options.limit + 1);
}

/** Inserts a quote; undefined when this contractor already has one for the job (the unique index says so). */
export async function insertQuote(
  db: Executor,
  values: typeof jobQuotes.$inferInsert,
): Promise<QuoteRow | undefined> {
  const [row] = await db
    .insert(jobQuotes)
    .values(values)
    .onConflictDoNothing({ target: [jobQuotes.jobId, jobQuotes.contractorId] })
    .returning();
  return row;
}

/** Changes a pending quote of this contractor; undefined when it is not (any more) pending. */
export async function updatePendingQuote(
  db: Executor,
  where: { id: string; jobId: string; contractorId?: string },
  changes: Partial<typeof jobQuotes.$inferInsert>,
): Promise<QuoteRow | undefined> {
  const [row] = await db
    .update(jobQuotes)
    .set(changes)
    .where(
      and(
        eq(jobQuotes.id, where.id),
        eq(jobQuotes.jobId, where.jobId),
        where.contractorId ? eq(jobQuotes.contractorId, where.contractorId) : undefined,
        eq(jobQuotes.status, "pending"),
      ),
    )
    .returning();
  return row;
}

/** Closes every pending quote of the given jobs as rejected, saying why. */
export async function rejectPendingQuotes(
  db: Executor,
  jobIds: string[],
  reason: QuoteClosedReason,
  now: Date,
): Promise<void> {
  if (jobIds.length === 0) return;
  await db
    .update(jobQuotes)
    .set({ status: "rejected", closedReason: reason, decidedAt: now, updatedAt: now })
    .where(and(inArray(jobQuotes.jobId, jobIds), eq(jobQuotes.status, "pending")));
}

export async function withdrawPendingQuotesOf(db: Executor, contractorId: string, now: Date): Promise<void> {
  await db
    .update(jobQuotes)
    .set({ status: "withdrawn", closedReason: "account_deleted", decidedAt: now, updatedAt: now })
    .where(and(eq(jobQuotes.contractorId, contractorId), eq(jobQuotes.status, "pending")));
}
