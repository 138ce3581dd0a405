import { and, desc, eq, ilike, lt, or, type SQL } from "drizzle-orm";
import type pg from "pg";
import { z } from "zod";
import type { Clock } from "../../clock.js";
import type { Database } from "../../db/client.js";
import { transaction } from "../../db/transaction.js";
import type { Role } from "../../http/auth.js";
import { AppError } from "../../http/errors.js";
import { decodeCursor, type Page, toPage } from "../../http/pagination.js";
import { endAllSessions } from "../auth/index.js";
import { type PublicUrl, presentUser, selectUsers, type User, userErrors, users } from "../users/index.js";
import { adminErrors } from "./admin.errors.js";

export interface AdminDeps {
  db: Database;
  pool: pg.Pool;
  clock: Clock;
  publicUrl: PublicUrl;
  /** Called after a user is suspended, to drop their live connections. */
  onSuspended: (userId: string) => void;
}

/** `%` and `_` typed by an admin are literal characters, not wildcards. */
function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (char) => `\\${char}`)}%`;
}

export function createAdminService(deps: AdminDeps) {
  const { db, pool, clock } = deps;
  return {
    async listUsers(query: {
      limit: number;
      cursor?: string | undefined;
      role?: Role | undefined;
      status?: "active" | "suspended" | undefined;
      q?: string | undefined;
    }): Promise<Page<User>> {
      const filters: (SQL | undefined)[] = [
        query.role ? eq(users.role, query.role) : undefined,
        query.status ? eq(users.status, query.status) : undefined,
        query.q
          ? or(ilike(users.name, likePattern(query.q)), ilike(users.email, likePattern(query.q)))
          : undefined,
        // UUIDv7 ids grow with creation time: newest first, resuming below the last id seen.
        query.cursor ? lt(users.id, decodeCursor(query.cursor, z.tuple([z.uuid()]))[0]) : undefined,
      ];
      const rows = await selectUsers(db)
        .where(and(...filters))
        .orderBy(desc(users.id))
        .limit(query.limit + 1);
      return toPage(
        rows,
        query.limit,
        (row) => [row.id],
        (row) => presentUser(row, deps.publicUrl),
      );
    },

    async getUser(id: string): Promise<User> {
      const [row] = await selectUsers(db).where(eq(users.id, id));
      if (!row) throw new AppError(userErrors.notFound, "No user with this id");
      return presentUser(row, deps.publicUrl);
    },

    async updateUser(
      adminId: string,
      id: string,
      changes: {
        name?: string | undefined;
        phone?: string | null | undefined;
        status?: "active" | "suspended" | undefined;
      },
    ): Promise<User> {
      if (changes.status === "suspended" && id === adminId) {
        throw new AppError(adminErrors.cannotSuspendSelf, "Ask another admin to suspend this account");
      }
      const now = clock.now();
      const row = await transaction(pool, async (tx) => {
        const [updated] = await tx.db
          .update(users)
          .set({ ...changes, updatedAt: now })
          .where(eq(users.id, id))
          .returning({ id: users.id });
        if (!updated) throw new AppError(userErrors.notFound, "No user with this id");
        if (changes.status === "suspended") await endAllSessions(tx.db, id, "suspended", now);
        const [view] = await selectUsers(tx.db).where(eq(users.id, id));
        if (!view) throw new AppError(userErrors.notFound, "No user with this id");
        return view;
      });
      if (changes.status === "suspended") deps.onSuspended(id);
      return presentUser(row, deps.publicUrl);
    },
  };
}

export type AdminService = ReturnType<typeof createAdminService>;
