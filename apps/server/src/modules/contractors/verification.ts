import { and, asc, desc, eq, gt, inArray, lt, or, type SQL } from "drizzle-orm";
import type pg from "pg";
import { z } from "zod";
import type { Clock } from "../../clock.js";
import type { Database, Executor } from "../../db/client.js";
import { newId } from "../../db/columns.js";
import { transaction } from "../../db/transaction.js";
import type { ApiRouter } from "../../http/api.js";
import { AppError, coreErrors, defineErrors } from "../../http/errors.js";
import { decodeCursor, invalidCursor, pageQuery, pageSchema, toPage } from "../../http/pagination.js";
import type { FilesService } from "../files/index.js";
import { fileErrors, files } from "../files/index.js";
import { users } from "../users/index.js";
import { verificationStatuses } from "./contractors.contract.js";
import { contractorErrors } from "./contractors.errors.js";
import { verificationStatus } from "./contractors.service.js";
import { contractorProfiles, verificationRequests } from "./contractors.tables.js";

export interface VerificationDeps {
  db: Database;
  pool: pg.Pool;
  clock: Clock;
  files: FilesService;
}

export const verificationErrors = defineErrors({
  notFound: { code: "verification.not_found", status: 404, title: "No such verification request" },
  alreadyDecided: {
    code: "verification.already_decided",
    status: 409,
    title: "This verification request has already been decided",
  },
});

/** What `files.attachedKind` says of a verification document. */
export const verificationRequestKind = "verification_request";

const requestStatuses = ["pending", "approved", "rejected"] as const;

export const verificationDocumentSchema = z
  .object({
    id: z.uuid(),
    contentType: z.string(),
    size: z.number().int(),
    url: z.string().meta({ description: "Signed and short-lived: ask again for a fresh one" }),
    urlExpiresAt: z.iso.datetime().nullable(),
    thumbnailUrl: z.string().nullable(),
    originalName: z.string().nullable(),
  })
  .meta({ id: "VerificationDocument" });

export const verificationRequestSchema = z
  .object({
    id: z.uuid(),
    status: z.enum(requestStatuses),
    note: z.string().nullable(),
    documents: z.array(verificationDocumentSchema),
    reason: z.string().nullable().meta({ description: "The admin's reason, given when rejecting" }),
    createdAt: z.iso.datetime(),
    decidedAt: z.iso.datetime().nullable(),
  })
  .meta({ id: "VerificationRequest" });

export type VerificationRequest = z.infer<typeof verificationRequestSchema>;

export const adminVerificationRequestSchema = verificationRequestSchema
  .extend({
    contractor: z.object({ id: z.uuid(), name: z.string(), email: z.string() }),
    decidedBy: z.uuid().nullable(),
  })
  .meta({ id: "AdminVerificationRequest" });

type AdminVerificationRequest = z.infer<typeof adminVerificationRequestSchema>;

const ownVerificationSchema = z
  .object({
    status: z.enum(verificationStatuses),
    requests: z.array(verificationRequestSchema).meta({ description: "Newest first" }),
  })
  .meta({ id: "OwnVerification" });

export const submitVerificationBody = z
  .strictObject({
    fileIds: z
      .array(z.uuid("must be a file id"))
      .min(1, "add at least one document")
      .max(10, "at most 10 documents")
      .refine((ids) => new Set(ids).size === ids.length, "must not repeat a file")
      .meta({ description: "Ids of `verification_document` files you uploaded" }),
    note: z.string().trim().max(1000, "at most 1000 characters").optional(),
  })
  .meta({ id: "VerificationRequestInput" });

export const listVerificationsQuery = pageQuery.extend({
  status: z.enum(requestStatuses).optional(),
});

export const decisionBody = z
  .strictObject({
    decision: z.enum(["approve", "reject"]),
    reason: z
      .string()
      .trim()
      .min(1, "must not be empty")
      .max(1000, "at most 1000 characters")
      .optional()
      .meta({ description: "Shown to the contractor; required when rejecting" }),
  })
  .refine((body) => body.decision !== "reject" || body.reason !== undefined, {
    path: ["reason"],
    message: "is required when rejecting",
  })
  .meta({ id: "VerificationDecision" });

const requestParams = z.object({ id: z.uuid("must be a verification request id") });

type RequestRow = typeof verificationRequests.$inferSelect;

/** Presents requests with their documents, loading every document of the batch in one query. */
async function presentRequests(
  db: Executor,
  rows: RequestRow[],
  filesService: FilesService,
): Promise<VerificationRequest[]> {
  const ids = [...new Set(rows.flatMap((row) => row.documents))];
  const fileRows = ids.length > 0 ? await db.select().from(files).where(inArray(files.id, ids)) : [];
  const views = new Map(
    await Promise.all(fileRows.map(async (row) => [row.id, await filesService.present(row)] as const)),
  );
  return rows.map((row) => ({
    id: row.id,
    status: row.status,
    note: row.note,
    documents: row.documents.flatMap((id) => {
      const view = views.get(id);
      return view
        ? [
            {
              id: view.id,
              contentType: view.contentType,
              size: view.size,
              url: view.url,
              urlExpiresAt: view.urlExpiresAt,
              thumbnailUrl: view.thumbnailUrl,
              originalName: view.originalName,
            },
          ]
        : [];
    }),
    reason: row.reason,
    createdAt: row.createdAt.toISOString(),
    decidedAt: row.decidedAt?.toISOString() ?? null,
  }));
}

function selectForAdmin(db: Executor) {
  return db
    .select({
      request: verificationRequests,
      contractor: { id: users.id, name: users.name, email: users.email },
    })
    .from(verificationRequests)
    .innerJoin(users, eq(users.id, verificationRequests.contractorId));
}

async function presentForAdmin(
  db: Executor,
  rows: { request: RequestRow; contractor: AdminVerificationRequest["contractor"] }[],
  filesService: FilesService,
): Promise<AdminVerificationRequest[]> {
  const presented = await presentRequests(
    db,
    rows.map((row) => row.request),
    filesService,
  );
  return presented.map((request, index) => {
    const row = rows[index];
    if (!row) throw new Error("presented more requests than were read");
    return { ...request, contractor: row.contractor, decidedBy: row.request.decidedBy };
  });
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The cursor names its list, so a cursor of the pending queue cannot resume the newest-first lists. Its
 * parts go into SQL, so each must be exactly what this list issues: an ISO instant as `toISOString` writes
 * it (within PostgreSQL's range) and a lower-case UUID; anything else is a 400, never a database error.
 */
function cursorAfter(cursor: string, list: string): { createdAt: Date; id: string } {
  const [cursorList, at, id] = decodeCursor(cursor, 3);
  const createdAt = typeof at === "string" ? new Date(at) : new Date(Number.NaN);
  const issued =
    cursorList === list &&
    typeof id === "string" &&
    uuidPattern.test(id) &&
    !Number.isNaN(createdAt.getTime()) &&
    createdAt.toISOString() === at &&
    createdAt.getUTCFullYear() >= 1 &&
    createdAt.getUTCFullYear() <= 9999;
  if (!issued) throw invalidCursor();
  return { createdAt, id };
}

export function verificationRoutes(deps: VerificationDeps) {
  const { db, pool, clock } = deps;

  return (api: ApiRouter) => {
    api.route({
      method: "post",
      path: "/contractors/me/verification",
      tags: ["Contractors"],
      summary: "Ask to be verified, with identity and licence documents",
      description:
        "Upload the documents first (`POST /files` with purpose `verification_document`); only you and admins can read them. The request stays `pending` until an admin decides; after a rejection a new request may be sent.",
      access: ["contractor"],
      body: submitVerificationBody,
      response: { status: 201, description: "The pending request", schema: verificationRequestSchema },
      errors: [
        contractorErrors.profileMissing,
        contractorErrors.verificationPending,
        contractorErrors.alreadyVerified,
        fileErrors.notFound,
        fileErrors.wrongPurpose,
        fileErrors.alreadyAttached,
      ],
      handler: async ({ user, body }) => {
        const now = clock.now();
        return transaction(pool, async (tx) => {
          // The profile row lock makes two simultaneous submissions meet the pending check one after the other.
          const [profile] = await tx.db
            .select({ verified: contractorProfiles.verified })
            .from(contractorProfiles)
            .where(eq(contractorProfiles.userId, user.id))
            .for("no key update");
          if (!profile) {
            throw new AppError(
              contractorErrors.profileMissing,
              "Create your contractor profile before asking",
            );
          }
          if (profile.verified) {
            throw new AppError(contractorErrors.alreadyVerified, "Your account is already verified");
          }
          const [pending] = await tx.db
            .select({ id: verificationRequests.id })
            .from(verificationRequests)
            .where(
              and(eq(verificationRequests.contractorId, user.id), eq(verificationRequests.status, "pending")),
            );
          if (pending) {
            throw new AppError(
              contractorErrors.verificationPending,
              "Your previous request is still waiting for a decision",
              { extensions: { requestId: pending.id } },
            );
          }
          const id = newId();
          await deps.files.attach(tx.db, {
            ownerId: user.id,
            fileIds: body.fileIds,
            purposes: ["verification_document"],
            kind: verificationRequestKind,
            targetId: id,
            field: "fileIds",
          });
          const [row] = await tx.db
            .insert(verificationRequests)
            .values({
              id,
              contractorId: user.id,
              status: "pending",
              note: body.note ? body.note : null,
              documents: body.fileIds,
              createdAt: now,
            })
            .returning();
          if (!row) throw new Error("insert returned no verification request");
          const [request] = await presentRequests(tx.db, [row], deps.files);
          if (!request) throw new Error("the new verification request could not be presented");
          return request;
        });
      },
    });

    api.route({
      method: "get",
      path: "/contractors/me/verification",
      tags: ["Contractors"],
      summary: "The contractor's verification status and requests",
      access: ["contractor"],
      response: { status: 200, description: "Status and requests", schema: ownVerificationSchema },
      errors: [contractorErrors.profileMissing],
      handler: async ({ user }) => {
        const [profile] = await db
          .select({ verified: contractorProfiles.verified })
          .from(contractorProfiles)
          .where(eq(contractorProfiles.userId, user.id));
        if (!profile)
          throw new AppError(contractorErrors.profileMissing, "You have no contractor profile yet");
        const [status, rows] = await Promise.all([
          verificationStatus(db, user.id, profile.verified),
          db
            .select()
            .from(verificationRequests)
            .where(eq(verificationRequests.contractorId, user.id))
            .orderBy(desc(verificationRequests.createdAt), desc(verificationRequests.id)),
        ]);
        return { status, requests: await presentRequests(db, rows, deps.files) };
      },
    });

    api.route({
      method: "get",
      path: "/admin/verifications",
      tags: ["Admin"],
      summary: "Verification requests: the pending queue oldest first, other lists newest first",
      description:
        "With `status=pending` the oldest request comes first, so the queue is worked in arrival order. With `approved`, `rejected` or no status, the newest comes first.",
      access: ["admin"],
      query: listVerificationsQuery,
      response: {
        status: 200,
        description: "A page of requests",
        schema: pageSchema(adminVerificationRequestSchema).meta({ id: "AdminVerificationRequestPage" }),
      },
      errors: [coreErrors.invalidCursor],
      handler: async ({ query }) => {
        const list = query.status ?? "all";
        const oldestFirst = query.status === "pending";
        const after = query.cursor ? cursorAfter(query.cursor, list) : undefined;
        const beyond = oldestFirst ? gt : lt;
        const filters: (SQL | undefined)[] = [
          query.status ? eq(verificationRequests.status, query.status) : undefined,
          after
            ? or(
                beyond(verificationRequests.createdAt, after.createdAt),
                and(
                  eq(verificationRequests.createdAt, after.createdAt),
                  beyond(verificationRequests.id, after.id),
                ),
              )
            : undefined,
        ];
        const order = oldestFirst ? asc : desc;
        const rows = await selectForAdmin(db)
          .where(and(...filters))
          .orderBy(order(verificationRequests.createdAt), order(verificationRequests.id))
          .limit(query.limit + 1);
        const page = toPage(
          rows,
          query.limit,
          (row) => [list, row.request.createdAt.toISOString(), row.request.id],
          (row) => row,
        );
        return { items: await presentForAdmin(db, page.items, deps.files), nextCursor: page.nextCursor };
      },
    });

    api.route({
      method: "post",
      path: "/admin/verifications/:id/decision",
      tags: ["Admin"],
      summary: "Approve or reject a pending verification request",
      description:
        "Approving marks the contractor verified; rejecting needs a `reason`, shown to the contractor, who may then send a new request.",
      access: ["admin"],
      params: requestParams,
      body: decisionBody,
      response: { status: 200, description: "The decided request", schema: adminVerificationRequestSchema },
      errors: [verificationErrors.notFound, verificationErrors.alreadyDecided],
      handler: async ({ user, params, body }) => {
        const now = clock.now();
        return transaction(pool, async (tx) => {
          const [current] = await tx.db
            .select({ status: verificationRequests.status, contractorId: verificationRequests.contractorId })
            .from(verificationRequests)
            .where(eq(verificationRequests.id, params.id))
            .for("update");
          if (!current)
            throw new AppError(verificationErrors.notFound, "No verification request with this id");
          if (current.status !== "pending") {
            throw new AppError(
              verificationErrors.alreadyDecided,
              `This request was already ${current.status}`,
            );
          }
          await tx.db
            .update(verificationRequests)
            .set({
              status: body.decision === "approve" ? "approved" : "rejected",
              decidedBy: user.id,
              decidedAt: now,
              reason: body.reason ?? null,
            })
            .where(eq(verificationRequests.id, params.id));
          if (body.decision === "approve") {
            await tx.db
              .update(contractorProfiles)
              .set({ verified: true, updatedAt: now })
              .where(eq(contractorProfiles.userId, current.contractorId));
          }
          const [decided] = await presentForAdmin(
            tx.db,
            await selectForAdmin(tx.db).where(eq(verificationRequests.id, params.id)),
            deps.files,
          );
          if (!decided) throw new Error("the decided verification request vanished");
          return decided;
        });
      },
    });
  };
}
