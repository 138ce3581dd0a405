import type pg from "pg";
import type { Clock } from "../../clock.js";
import type { Database, Executor } from "../../db/client.js";
import { newId } from "../../db/columns.js";
import { transaction } from "../../db/transaction.js";
import { AppError } from "../../http/errors.js";
import { decodeCursor, invalidCursor, type Page, toPage } from "../../http/pagination.js";
import type { FilesService } from "../files/index.js";
import { issuedUuid } from "./contractors.contract.js";
import { contractorErrors, verificationErrors } from "./contractors.errors.js";
import { requireProfile, verificationStatus } from "./contractors.service.js";
import type {
  AdminVerificationRequest,
  ListVerificationsQuery,
  SubmitVerificationInput,
  VerificationDecision,
  VerificationRequest,
} from "./verification.contract.js";
import {
  type AdminRequestRow,
  insertRequest,
  listForAdmin,
  lockRequest,
  markVerified,
  pendingCount,
  pendingRequestOf,
  type RequestRow,
  recordDecision,
  requestForAdmin,
  requestsOf,
} from "./verification.repo.js";

export interface VerificationDeps {
  db: Database;
  pool: pg.Pool;
  clock: Clock;
  files: FilesService;
}

/** A decision, told to the consumers registered with `onDecided` (notifications) inside its transaction. */
export interface VerificationDecided {
  requestId: string;
  contractorId: string;
  decision: "approved" | "rejected";
  reason: string | null;
}

export type VerificationListener = (event: VerificationDecided) => Promise<void>;

/** What `files.attachedKind` says of a verification document. */
export const verificationRequestKind = "verification_request";

/**
 * The cursor names its list, so a cursor of the pending queue cannot resume the newest-first lists. Its
 * parts go into SQL, so each must be exactly what this list issues: an ISO instant as `toISOString` writes
 * it (within PostgreSQL's range) and a lower-case UUID; anything else is a 400, never a database error.
 */
function cursorAfter(
  query: ListVerificationsQuery & { cursor: string },
  list: string,
): { createdAt: Date; id: string } {
  const [cursorList, at, id] = decodeCursor(query, 3);
  const createdAt = typeof at === "string" ? new Date(at) : new Date(Number.NaN);
  const issued =
    cursorList === list &&
    typeof id === "string" &&
    issuedUuid.test(id) &&
    !Number.isNaN(createdAt.getTime()) &&
    createdAt.toISOString() === at &&
    createdAt.getUTCFullYear() >= 1 &&
    createdAt.getUTCFullYear() <= 9999;
  if (!issued) throw invalidCursor();
  return { createdAt, id };
}

export function createVerificationService(deps: VerificationDeps) {
  const { db, pool, clock } = deps;
  const decidedListeners: VerificationListener[] = [];

  /** Presents requests with their documents, loading every document of the batch in one query. */
  async function present(executor: Executor, rows: RequestRow[]): Promise<VerificationRequest[]> {
    const attached = await deps.files.presentLinked(
      executor,
      rows.flatMap((row) => row.documents.map((fileId) => ({ to: row.id, fileId }))),
    );
    return rows.map((row) => ({
      id: row.id,
      status: row.status,
      note: row.note,
      documents: (attached.get(row.id) ?? []).map((view) => ({
        id: view.id,
        contentType: view.contentType,
        size: view.size,
        url: view.url,
        urlExpiresAt: view.urlExpiresAt,
        thumbnailUrl: view.thumbnailUrl,
        originalName: view.originalName,
      })),
      reason: row.reason,
      createdAt: row.createdAt.toISOString(),
      decidedAt: row.decidedAt?.toISOString() ?? null,
    }));
  }

  async function presentForAdmin(
    executor: Executor,
    rows: AdminRequestRow[],
  ): Promise<AdminVerificationRequest[]> {
    const presented = await present(
      executor,
      rows.map((row) => row.request),
    );
    return presented.map((request, index) => {
      const row = rows[index];
      if (!row) throw new Error("presented more requests than were read");
      return { ...request, contractor: row.contractor, decidedBy: row.request.decidedBy };
    });
  }

  return {
    async submit(contractorId: string, input: SubmitVerificationInput): Promise<VerificationRequest> {
      const now = clock.now();
      return transaction(pool, async (tx) => {
        // The profile row lock makes two simultaneous submissions meet the pending check one after the other.
        const profile = await requireProfile(tx.db, contractorId, {
          lock: true,
          detail: "Create your contractor profile before asking",
        });
        if (profile.verified) {
          throw new AppError(contractorErrors.alreadyVerified, "Your account is already verified");
        }
        const pending = await pendingRequestOf(tx.db, contractorId);
        if (pending) {
          throw new AppError(
            contractorErrors.verificationPending,
            "Your previous request is still waiting for a decision",
            { extensions: { requestId: pending.id } },
          );
        }
        const id = newId();
        await deps.files.attach(tx.db, {
          ownerId: contractorId,
          fileIds: input.fileIds,
          purposes: ["verification_document"],
          kind: verificationRequestKind,
          targetId: id,
          field: "fileIds",
        });
        const row = await insertRequest(tx.db, {
          id,
          contractorId,
          status: "pending",
          note: input.note ? input.note : null,
          documents: input.fileIds,
          createdAt: now,
        });
        const [request] = await present(tx.db, [row]);
        if (!request) throw new Error("the new verification request could not be presented");
        return request;
      });
    },

    async own(contractorId: string) {
      const profile = await requireProfile(db, contractorId);
      const [status, rows] = await Promise.all([
        verificationStatus(db, contractorId, profile.verified),
        requestsOf(db, contractorId),
      ]);
      return { status, requests: await present(db, rows) };
    },

    /** For admins: the pending queue oldest first (worked in arrival order), other lists newest first. */
    async list(query: ListVerificationsQuery): Promise<Page<AdminVerificationRequest>> {
      const list = query.status ?? "all";
      const rows = await listForAdmin(db, {
        status: query.status,
        oldestFirst: query.status === "pending",
        after: query.cursor ? cursorAfter({ ...query, cursor: query.cursor }, list) : undefined,
        limit: query.limit,
      });
      const page = toPage(
        rows,
        query,
        (row) => [list, row.request.createdAt.toISOString(), row.request.id],
        (row) => row,
      );
      return { items: await presentForAdmin(db, page.items), nextCursor: page.nextCursor };
    },

    /** For the admin overview: how long the queue is. */
    pendingCount: () => pendingCount(db),
    /** Registers a consumer of decisions, run inside the decision's transaction. */
    onDecided(listener: VerificationListener): void {
      decidedListeners.push(listener);
    },

    /** An admin's decision: approving marks the contractor verified, in the same transaction. */
    async decide(
      adminId: string,
      requestId: string,
      input: VerificationDecision,
    ): Promise<AdminVerificationRequest> {
      const now = clock.now();
      return transaction(pool, async (tx) => {
        const current = await lockRequest(tx.db, requestId);
        if (!current) throw new AppError(verificationErrors.notFound, "No verification request with this id");
        if (current.status !== "pending") {
          throw new AppError(verificationErrors.alreadyDecided, `This request was already ${current.status}`);
        }
        await recordDecision(tx.db, requestId, {
          status: input.decision === "approve" ? "approved" : "rejected",
          decidedBy: adminId,
          decidedAt: now,
          reason: input.reason ?? null,
        });
        if (input.decision === "approve") await markVerified(tx.db, current.contractorId, now);
        for (const listener of decidedListeners) {
          await listener({
            requestId,
            contractorId: current.contractorId,
            decision: input.decision === "approve" ? "approved" : "rejected",
            reason: input.reason ?? null,
          });
        }
        const [decided] = await presentForAdmin(tx.db, await requestForAdmin(tx.db, requestId));
        if (!decided) throw new Error("the decided verification request vanished");
        return decided;
      });
    },
  };
}

export type VerificationService = ReturnType<typeof createVerificationService>;
