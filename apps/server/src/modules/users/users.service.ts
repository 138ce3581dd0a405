import { and, asc, desc, eq, getTableColumns, ilike, lt, ne, or, type SQL, sql } from "drizzle-orm";
import type pg from "pg";
import type { Clock } from "../../clock.js";
import type { Database, Executor } from "../../db/client.js";
import { transaction } from "../../db/transaction.js";
import type { AccountSnapshot, AuthUser } from "../../http/auth.js";
import { AppError } from "../../http/errors.js";
import type { FilesService } from "../files/index.js";
import { fileKeys } from "../files/index.js";
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
    .select({ ...getTableColumns(users), avatarKey: fileKeys.storageKey })
    .from(users)
    .leftJoin(fileKeys, eq(fileKeys.id, users.avatarFileId));
}

export function presentUser(row: AccountSnapshot, publicUrl: PublicUrl): User {
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

/**
 * One user, or 404. `forUpdate` locks the row for the rest of the caller's transaction, so what it reads
 * stays true until the caller's change commits (an admin's edit records what it changed from).
 */
export async function getUser(
  db: Executor,
  id: string,
  options: { forUpdate?: boolean } = {},
): Promise<UserWithAvatar> {
  const query = selectUsers(db).where(eq(users.id, id));
  const [row] = await (options.forUpdate ? query.for("update", { of: users }) : query);
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
    const updated = await updateUser(
      tx.db,
      id,
      {
        ...(changes.name !== undefined ? { name: changes.name } : {}),
        ...(changes.phone !== undefined ? { phone: changes.phone } : {}),
        ...(changes.avatarFileId !== undefined ? { avatarFileId: changes.avatarFileId } : {}),
      },
      now,
    );
    if (!updated) throw new AppError(userErrors.notFound, "No user with this id");
    return getUser(tx.db, id);
  });
}

/** The columns of a new account; the email is normalised here. */
export interface NewUser {
  email: string;
  passwordHash: string;
  name: string;
  role: UserRow["role"];
  phone?: string | null | undefined;
  emailVerifiedAt?: Date | null | undefined;
}

/**
 * Creates an account (registration, admin bootstrap). A taken email throws the database's unique violation
 * on `users_email`, or returns undefined with `ifAbsent`.
 */
export async function insertUser(
  db: Executor,
  values: NewUser,
  now: Date,
  options: { ifAbsent?: boolean } = {},
): Promise<UserWithAvatar | undefined> {
  const insert = db.insert(users).values({
    ...values,
    email: normaliseEmail(values.email),
    phone: values.phone ?? null,
    emailVerifiedAt: values.emailVerifiedAt ?? null,
    createdAt: now,
    updatedAt: now,
  });
  const [row] = await (options.ifAbsent ? insert.onConflictDoNothing() : insert).returning();
  return row ? { ...row, avatarKey: null } : undefined;
}

/** What other modules may change on an account: auth its credentials, admin its status and profile. */
export type UserChanges = Partial<
  Pick<UserRow, "name" | "phone" | "status" | "passwordHash" | "emailVerifiedAt" | "avatarFileId">
>;

/** Applies `changes` to one account; false when no such user exists or it was deleted (it stays anonymous). */
export async function updateUser(
  db: Executor,
  id: string,
  changes: UserChanges,
  now: Date,
): Promise<boolean> {
  const updated = await db
    .update(users)
    .set({ ...changes, updatedAt: now })
    .where(and(eq(users.id, id), ne(users.status, "deleted")))
    .returning({ id: users.id });
  return updated.length > 0;
}

/** `%` and `_` typed by a person are literal characters, not wildcards. */
function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (char) => `\\${char}`)}%`;
}

/** Users newest first (UUIDv7 ids grow with creation time), resuming below `beforeId`. */
export async function listUsers(
  db: Executor,
  query: {
    limit: number;
    beforeId?: string | undefined;
    role?: UserRow["role"] | undefined;
    status?: UserRow["status"] | undefined;
    q?: string | undefined;
  },
): Promise<UserWithAvatar[]> {
  const filters: (SQL | undefined)[] = [
    query.role ? eq(users.role, query.role) : undefined,
    query.status ? eq(users.status, query.status) : undefined,
    query.q
      ? or(ilike(users.name, likePattern(query.q)), ilike(users.email, likePattern(query.q)))
      : undefined,
    query.beforeId ? lt(users.id, query.beforeId) : undefined,
  ];
  return selectUsers(db)
    .where(and(...filters))
    .orderBy(desc(users.id))
    .limit(query.limit);
}

/** Whether any account exists (an empty database is the only one demo data goes into). */
export async function hasUsers(db: Executor): Promise<boolean> {
  const [row] = await db.select({ id: users.id }).from(users).limit(1);
  return row !== undefined;
}

/**
 * A module's say in account deletion. `blocker` answers why the account cannot go yet (money held or available,
 * an open booking), or undefined; `erase` removes or anonymises the module's own rows of the user. Both run
 * inside the deletion's transaction, before the account itself is anonymised and its files removed.
 */
export interface AccountDeletionHook {
  blocker?(db: Executor, userId: string): Promise<string | undefined>;
  erase?(db: Executor, userId: string, now: Date): Promise<void>;
}

/** The address a deleted account keeps: unique, and undeliverable (RFC 2606 reserves `.invalid`). */
export const deletedEmail = (userId: string) => `deleted-${userId}@deleted.invalid`;

export interface UsersDeps {
  db: Database;
  pool: pg.Pool;
  clock: Clock;
  files: FilesService;
}

/** The signed-in user's own account, as the API shows it. */
export function createUsersService(deps: UsersDeps) {
  const present = (row: AccountSnapshot) => presentUser(row, deps.files.publicUrl);
  const deletionHooks: AccountDeletionHook[] = [];
  // Every app reads GET /me often: one named statement, prepared once per pooled connection.
  const meStatement = selectUsers(deps.db)
    .where(eq(users.id, sql.placeholder("id")))
    .prepare("users_me");
  return {
    /** Registers a module's blocker and eraser for account deletion (as files take read rules). */
    onAccountDeletion(hook: AccountDeletionHook): void {
      deletionHooks.push(hook);
    },

    /**
     * Deletes an account inside the caller's transaction: refused while a module's blocker objects or when it
     * is the last active admin; otherwise each module erases its rows, the user row is anonymised (it stays, so
     * money records, reviews and conversations keep their references and show "Deleted user"), and the user's
     * files are deleted. Returns the function that removes the files' stored objects after the commit.
     */
    async eraseAccount(db: Executor, userId: string, now: Date): Promise<() => Promise<void>> {
      const [user] = await db.select().from(users).where(eq(users.id, userId)).for("update");
      if (!user || user.status === "deleted") throw new AppError(userErrors.notFound, "No user with this id");
      if (user.role === "admin") {
        // Every active admin row is locked, in one order, so two admins deleting themselves at once cannot both
        // believe the other remains.
        const admins = await db
          .select({ id: users.id })
          .from(users)
          .where(and(eq(users.role, "admin"), eq(users.status, "active")))
          .orderBy(asc(users.id))
          .for("update");
        if (!admins.some((admin) => admin.id !== userId)) {
          throw new AppError(
            userErrors.lastAdmin,
            "This is the last admin account; create another admin (npm run admin:create) before deleting it",
          );
        }
      }
      for (const hook of deletionHooks) {
        const reason = await hook.blocker?.(db, userId);
        if (reason) throw new AppError(userErrors.deletionBlocked, reason);
      }
      for (const hook of deletionHooks) await hook.erase?.(db, userId, now);
      await db
        .update(users)
        .set({
          name: "Deleted user",
          email: deletedEmail(userId),
          phone: null,
          avatarFileId: null,
          // No argon2 hash matches an empty string, so no password can ever sign in to it.
          passwordHash: "",
          emailVerifiedAt: null,
          status: "deleted",
          updatedAt: now,
        })
        .where(and(eq(users.id, userId), ne(users.status, "deleted")));
      return deps.files.eraseOwner(db, userId);
    },

    /** The caller's account: as read with their session when the request carries it, else from the table. */
    async me(user: AuthUser): Promise<User> {
      if (user.account) return present(user.account);
      const [row] = await meStatement.execute({ id: user.id });
      if (!row) throw new AppError(userErrors.notFound, "No user with this id");
      return present(row);
    },
    async updateMe(id: string, changes: Parameters<typeof updateProfile>[2]): Promise<User> {
      return present(await updateProfile(deps, id, changes));
    },
  };
}

export type UsersService = ReturnType<typeof createUsersService>;
