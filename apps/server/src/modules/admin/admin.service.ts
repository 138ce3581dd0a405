import type pg from "pg";
import { z } from "zod";
import type { Clock } from "../../clock.js";
import type { Database } from "../../db/client.js";
import { transaction } from "../../db/transaction.js";
import type { Role } from "../../http/auth.js";
import { AppError } from "../../http/errors.js";
import { decodeCursor, type Page, toPage } from "../../http/pagination.js";
import type { AuditService } from "../audit/index.js";
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
  audit: AuditService;
  /** Called after a user is suspended, to drop their live connections. */
  onSuspended: (userId: string) => Promise<void>;
}

/** What an edit of a user is called in the audit log: a status change names the edit. */
function auditAction(before: User["status"], after: User["status"]): string {
  if (before === after) return "user.update";
  return after === "suspended" ? "user.suspend" : "user.reactivate";
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
        reason?: string | undefined;
      },
    ): Promise<User> {
      if (changes.status === "suspended" && id === adminId) {
        throw new AppError(adminErrors.cannotSuspendSelf, "Ask another admin to suspend this account");
      }
      const now = clock.now();
      const { reason, ...fields } = changes;
      const row = await transaction(pool, async (tx) => {
        const before = await getUser(tx.db, id, { forUpdate: true });
        if (!(await updateUser(tx.db, id, fields, now))) {
          // The update skips only deleted accounts: one that exists was deleted (a missing one is 404 here).
          await getUser(tx.db, id);
          throw new AppError(
            userErrors.deleted,
            "This account was deleted by its owner; it stays anonymised and cannot be edited or reactivated",
          );
        }
        if (changes.status === "suspended") await endAllSessions(tx.db, id, "suspended", now);
        const after = await getUser(tx.db, id);
        const changed = (["name", "phone", "status"] as const).filter(
          (field) => fields[field] !== undefined && before[field] !== after[field],
        );
        if (changed.length > 0) {
          await deps.audit.record({
            actorId: adminId,
            action: auditAction(before.status, after.status),
            targetType: "user",
            targetId: id,
            before: Object.fromEntries(changed.map((field) => [field, before[field]])),
            after: Object.fromEntries(changed.map((field) => [field, after[field]])),
            reason,
          });
        }
        return after;
      });
      if (changes.status === "suspended") await deps.onSuspended(id);
      return presentUser(row, deps.publicUrl);
    },
  };
}

export type AdminService = ReturnType<typeof createAdminService>;
