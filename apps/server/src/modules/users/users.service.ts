import { eq, getTableColumns } from "drizzle-orm";
import type pg from "pg";
import type { Clock } from "../../clock.js";
import type { Executor } from "../../db/client.js";
import { transaction } from "../../db/transaction.js";
import { AppError } from "../../http/errors.js";
import type { FilesService } from "../files/index.js";
import { files } from "../files/index.js";
import type { User } from "./users.contract.js";
import { userErrors } from "./users.errors.js";
import { type UserRow, users } from "./users.tables.js";

/** A user row with the storage key of their avatar, which is what presenting a user needs. */
export type UserWithAvatar = UserRow & { avatarKey: string | null };

/** Resolves a public file's storage key to its URL. */
export type PublicUrl = (key: string) => string;

export const avatarKind = "user_avatar";

/** Emails are compared and stored trimmed and lower-cased. */
export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** Users joined with their avatar file: use it wherever users are read to be shown. */
export function selectUsers(db: Executor) {
  return db
    .select({ ...getTableColumns(users), avatarKey: files.storageKey })
    .from(users)
    .leftJoin(files, eq(files.id, users.avatarFileId));
}

export function presentUser(row: UserWithAvatar, publicUrl: PublicUrl): User {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    role: row.role,
    phone: row.phone,
    avatarUrl: row.avatarKey ? publicUrl(row.avatarKey) : null,
    emailVerified: row.emailVerifiedAt !== null,
    status: row.status,
    createdAt: row.createdAt.toISOString(),
  };
}

export async function findUserByEmail(db: Executor, email: string): Promise<UserWithAvatar | undefined> {
  const [row] = await selectUsers(db).where(eq(users.email, normaliseEmail(email)));
  return row;
}

export async function getUser(db: Executor, id: string): Promise<UserWithAvatar> {
  const [row] = await selectUsers(db).where(eq(users.id, id));
  if (!row) throw new AppError(userErrors.notFound, "No user with this id");
  return row;
}

/**
 * Changes a user's own profile. A new avatar must be an `avatar` file they uploaded; the previous one is
 * released (and purged later).
 */
export async function updateProfile(
  deps: { pool: pg.Pool; files: FilesService; clock: Clock },
  id: string,
  changes: {
    name?: string | undefined;
    phone?: string | null | undefined;
    avatarFileId?: string | null | undefined;
  },
): Promise<UserWithAvatar> {
  const now = deps.clock.now();
  return transaction(deps.pool, async (tx) => {
    if (changes.avatarFileId !== undefined) {
      const keep = changes.avatarFileId ? [changes.avatarFileId] : [];
      if (changes.avatarFileId) {
        await deps.files.attach(tx.db, {
          ownerId: id,
          fileIds: keep,
          purposes: ["avatar"],
          kind: avatarKind,
          targetId: id,
          field: "avatarFileId",
        });
      }
      await deps.files.detach(tx.db, avatarKind, id, keep);
    }
    const updated = await tx.db
      .update(users)
      .set({
        ...(changes.name !== undefined ? { name: changes.name } : {}),
        ...(changes.phone !== undefined ? { phone: changes.phone } : {}),
        ...(changes.avatarFileId !== undefined ? { avatarFileId: changes.avatarFileId } : {}),
        updatedAt: now,
      })
      .where(eq(users.id, id))
      .returning({ id: users.id });
    if (updated.length === 0) throw new AppError(userErrors.notFound, "No user with this id");
    return getUser(tx.db, id);
  });
}
