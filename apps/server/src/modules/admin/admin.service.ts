import type pg from "pg";
import { z } from "zod";
import type { Clock } from "../../clock.js";
import type { Database } from "../../db/client.js";
import { transaction } from "../../db/transaction.js";
import type { Role } from "../../http/auth.js";
import { AppError } from "../../http/errors.js";
import { decodeCursor, type Page, toPage } from "../../http/pagination.js";
import { endAllSessions } from "../auth/index.js";
import {
  getUser,
  listUsers,
  type PublicUrl,
  presentUser,
  type User,
  updateUser,
  userErrors,
} from "../users/index.js";
import { adminErrors } from "./admin.errors.js";

export interface AdminDeps {
  db: Database;
  pool: pg.Pool;
  clock: Clock;
  publicUrl: PublicUrl;
  /** Called after a user is suspended, to drop their live connections. */
  onSuspended: (userId: string) => Promise<void>;
}

export function createAdminService(deps: AdminDeps) {
  const { db, pool, clock } = deps;
  return {
    async listUsers(query: {
      limit: number;
      cursor?: string | undefined;
      role?: Role | undefined;
      status?: User["status"] | undefined;
      q?: string | undefined;
    }): Promise<Page<User>> {
      const rows = await listUsers(db, {
        ...query,
        limit: query.limit + 1,
        beforeId: query.cursor
          ? decodeCursor({ ...query, cursor: query.cursor }, z.tuple([z.uuid()]))[0]
          : undefined,
      });
      return toPage(
        rows,
        query,
        (row) => [row.id],
        (row) => presentUser(row, deps.publicUrl),
      );
    },

    async getUser(id: string): Promise<User> {
      return presentUser(await getUser(db, id), deps.publicUrl);
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
        if (!(await updateUser(tx.db, id, changes, now))) {
          // The update skips only deleted accounts: one that exists was deleted (a missing one is 404 here).
          await getUser(tx.db, id);
          throw new AppError(
            userErrors.deleted,
            "This account was deleted by its owner; it stays anonymised and cannot be edited or reactivated",
          );
        }
        if (changes.status === "suspended") await endAllSessions(tx.db, id, "suspended", now);
        return getUser(tx.db, id);
      });
      if (changes.status === "suspended") await deps.onSuspended(id);
      return presentUser(row, deps.publicUrl);
    },
  };
}

export type AdminService = ReturnType<typeof createAdminService>;
