import { eq } from "drizzle-orm";
import type { Executor } from "../../db/client.js";
import { AppError } from "../../http/errors.js";
import type { User } from "./users.contract.js";
import { userErrors } from "./users.errors.js";
import { type UserRow, users } from "./users.tables.js";

/** Emails are compared and stored trimmed and lower-cased. */
export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

export function presentUser(row: UserRow): User {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    role: row.role,
    phone: row.phone,
    avatarUrl: null,
    emailVerified: row.emailVerifiedAt !== null,
    status: row.status,
    createdAt: row.createdAt.toISOString(),
  };
}

export async function findUserByEmail(db: Executor, email: string): Promise<UserRow | undefined> {
  const [row] = await db
    .select()
    .from(users)
    .where(eq(users.email, normaliseEmail(email)));
  return row;
}

export async function getUser(db: Executor, id: string): Promise<UserRow> {
  const [row] = await db.select().from(users).where(eq(users.id, id));
  if (!row) throw new AppError(userErrors.notFound, "No user with this id");
  return row;
}

export async function updateProfile(
  db: Executor,
  id: string,
  changes: { name?: string | undefined; phone?: string | null | undefined },
  now: Date,
): Promise<UserRow> {
  const [row] = await db
    .update(users)
    .set({
      ...(changes.name !== undefined ? { name: changes.name } : {}),
      ...(changes.phone !== undefined ? { phone: changes.phone } : {}),
      updatedAt: now,
    })
    .where(eq(users.id, id))
    .returning();
  if (!row) throw new AppError(userErrors.notFound, "No user with this id");
  return row;
}
