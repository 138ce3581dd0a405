import { and, asc, desc, eq, gt, lt, or, type SQL, sql } from "drizzle-orm";
import type { Executor } from "../../db/client.js";
import { userDirectory } from "../users/index.js";
import { contractorProfiles, verificationRequests } from "./contractors.tables.js";

export type RequestRow = typeof verificationRequests.$inferSelect;

export async function pendingRequestOf(db: Executor, contractorId: string) {
  const [pending] = await db
    .select({ id: verificationRequests.id })
    .from(verificationRequests)
    .where(
      and(eq(verificationRequests.contractorId, contractorId), eq(verificationRequests.status, "pending")),
    );
  return pending;
}

export async function insertRequest(db: Executor, values: typeof verificationRequests.$inferInsert) {
  const [row] = await db.insert(verificationRequests).values(values).returning();
  if (!row) throw new Error("insert returned no verification request");
  return row;
}

export function requestsOf(db: Executor, contractorId: string): Promise<RequestRow[]> {
  return db
    .select()
    .from(verificationRequests)
    .where(eq(verificationRequests.contractorId, contractorId))
    .orderBy(desc(verificationRequests.createdAt), desc(verificationRequests.id));
}

function selectForAdmin(db: Executor) {
  return db
    .select({
      request: verificationRequests,
      contractor: { id: userDirectory.id, name: userDirectory.name, email: userDirectory.email },
    })
    .from(verificationRequests)
    .innerJoin(userDirectory, eq(userDirectory.id, verificationRequests.contractorId));
}

export type AdminRequestRow = Awaited<ReturnType<typeof requestForAdmin>>[number];

export function requestForAdmin(db: Executor, id: string) {
  return selectForAdmin(db).where(eq(verificationRequests.id, id));
}

/** One page (plus one row) of a list: the pending queue oldest first, the others newest first. */
export function listForAdmin(
  db: Executor,
  options: {
    status?: RequestRow["status"] | undefined;
    oldestFirst: boolean;
    after?: { createdAt: Date; id: string } | undefined;
    limit: number;
  },
) {
  const { after } = options;
  const beyond = options.oldestFirst ? gt : lt;
  const filters: (SQL | undefined)[] = [
    options.status ? eq(verificationRequests.status, options.status) : undefined,
    after
      ? or(
          beyond(verificationRequests.createdAt, after.createdAt),
          and(eq(verificationRequests.createdAt, after.createdAt), beyond(verificationRequests.id, after.id)),
        )
      : undefined,
  ];
  const order = options.oldestFirst ? asc : desc;
  return selectForAdmin(db)
    .where(and(...filters))
    .orderBy(order(verificationRequests.createdAt), order(verificationRequests.id))
    .limit(options.limit + 1);
}

/** Requests waiting for an admin's decision. */
export async function pendingCount(db: Executor): Promise<number> {
  const [row] = await db
    .select({ count: sql<number>`count(*)::int` })
    .from(verificationRequests)
    .where(eq(verificationRequests.status, "pending"));
  return row?.count ?? 0;
}

export async function lockRequest(db: Executor, id: string) {
  const [current] = await db
    .select({ status: verificationRequests.status, contractorId: verificationRequests.contractorId })
    .from(verificationRequests)
    .where(eq(verificationRequests.id, id))
    .for("update");
  return current;
}

export async function recordDecision(
  db: Executor,
  id: string,
  decision: { status: "approved" | "rejected"; decidedBy: string; decidedAt: Date; reason: string | null },
): Promise<void> {
  await db.update(verificationRequests).set(decision).where(eq(verificationRequests.id, id));
}

export async function markVerified(db: Executor, contractorId: string, at: Date): Promise<void> {
  await db
    .update(contractorProfiles)
    .set({ verified: true, updatedAt: at })
    .where(eq(contractorProfiles.userId, contractorId));
}
