import type pg from "pg";
import { z } from "zod";
import type { Clock } from "../../clock.js";
import type { Database } from "../../db/client.js";
import { transaction } from "../../db/transaction.js";
import type { Role } from "../../http/auth.js";
import { AppError, coreErrors } from "../../http/errors.js";
import { decodeCursor, type Page, toPage } from "../../http/pagination.js";
import type { AuditService } from "../audit/index.js";
import { endAllSessions } from "../auth/index.js";
import { type BookingFilter, bookingById, bookingFigures, listAllBookings } from "../bookings/index.js";
import type {
  AdminVerificationRequest,
  ContractorsService,
  VerificationDecision,
} from "../contractors/index.js";
import type { JobsService } from "../jobs/index.js";
import { accounts, type LedgerService } from "../ledger/index.js";
import {
  getUser,
  listUsers,
  type PublicUrl,
  presentUser,
  type User,
  updateUser,
  userCounts,
  userErrors,
} from "../users/index.js";
import type { Metrics } from "./admin.contract.js";
import { adminErrors } from "./admin.errors.js";

export interface AdminDeps {
  db: Database;
  pool: pg.Pool;
  clock: Clock;
  publicUrl: PublicUrl;
  audit: AuditService;
  /** Called after a user is suspended, to drop their live connections. */
  onSuspended: (userId: string) => Promise<void>;
  /** Verification decisions are the contractors module's rules; admin only exposes them. */
  contractors: ContractorsService;
  jobs: Pick<JobsService, "listAll" | "oversee" | "openCount">;
  /** Commission earned is what the ledger credited to `platform_commission`. */
  ledger: Pick<LedgerService, "dailyNet">;
  /** The longest period `metrics` covers (ADMIN_METRICS_MAX_DAYS). */
  metricsMaxDays: number;
}

const DAY_MS = 86_400_000;

/** The UTC days [from, to) touches, as YYYY-MM-DD. */
function daysOf(from: Date, to: Date): string[] {
  const days: string[] = [];
  for (let at = Math.floor(from.getTime() / DAY_MS) * DAY_MS; at < to.getTime(); at += DAY_MS) {
    days.push(new Date(at).toISOString().slice(0, 10));
  }
  return days;
}

function periodError(path: "from" | "to", message: string, detail: string): AppError {
  return new AppError(coreErrors.validation, detail, {
    errors: [{ path, code: "invalid_value", message, in: "query" }],
  });
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

    /** The overview over [from, to): defaults to the 30 days up to now. */
    async metrics(query: { from?: Date | undefined; to?: Date | undefined }): Promise<Metrics> {
      const to = query.to ?? clock.now();
      const from = query.from ?? new Date(to.getTime() - 30 * DAY_MS);
      if (from.getTime() >= to.getTime()) {
        throw periodError("to", "must be after from", "The period must end after it starts");
      }
      const maxDays = deps.metricsMaxDays;
      if (to.getTime() - from.getTime() > maxDays * DAY_MS) {
        throw periodError(
          "from",
          `at most ${maxDays} days before to`,
          `A period covers at most ${maxDays} days`,
        );
      }
      const [users, bookings, openJobs, pendingVerifications, commission] = await Promise.all([
        userCounts(db, from, to),
        bookingFigures(db, from, to),
        deps.jobs.openCount(),
        deps.contractors.verification.pendingCount(),
        deps.ledger.dailyNet(accounts.platformCommission, { from, to }),
      ]);
      // The commission account is credited (negative) when money is released and debited back by a refund
      // after release, so what the platform earned on a day is minus the day's net.
      const earned = commission.map((row) => ({ day: row.day, currency: row.currency, amount: -row.amount }));
      const sumByCurrency = (rows: { currency: string; amount: number }[]) => {
        const totals = new Map<string, number>();
        for (const row of rows) totals.set(row.currency, (totals.get(row.currency) ?? 0) + row.amount);
        return [...totals]
          .map(([currency, amount]) => ({ currency, amount }))
          .sort((a, b) => (a.currency < b.currency ? -1 : 1));
      };
      return {
        period: { from: from.toISOString(), to: to.toISOString() },
        users: {
          byRole: users.byRole,
          byStatus: users.byStatus,
          newSignUps: [...users.signUpsByDay.values()].reduce((sum, count) => sum + count, 0),
        },
        openJobs,
        bookings: {
          byStatus: bookings.byStatus,
          created: Object.values(bookings.byStatus).reduce((sum, count) => sum + count, 0),
        },
        grossBookingValue: bookings.grossBookingValue,
        commissionEarned: sumByCurrency(earned),
        moneyHeld: bookings.moneyHeld,
        pendingVerifications,
        openDisputes: bookings.openDisputes,
        daily: daysOf(from, to).map((date) => ({
          date,
          signUps: users.signUpsByDay.get(date) ?? 0,
          bookings: bookings.daily.get(date)?.bookings ?? 0,
          grossBookingValue: bookings.daily.get(date)?.grossBookingValue ?? [],
          commissionEarned: sumByCurrency(earned.filter((row) => row.day === date)),
        })),
      };
    },

    /**
     * Approves or rejects a verification request (the contractors module's rules), recorded in the audit log
     * in the same transaction.
     */
    async decideVerification(
      adminId: string,
      requestId: string,
      input: VerificationDecision,
    ): Promise<AdminVerificationRequest> {
      return transaction(pool, async () => {
        const decided = await deps.contractors.verification.decide(adminId, requestId, input);
        await deps.audit.record({
          actorId: adminId,
          action: `verification.${input.decision}`,
          targetType: "verification_request",
          targetId: requestId,
          // Only a pending request can be decided: anything else was refused above.
          before: { status: "pending" },
          after: { status: decided.status, contractorId: decided.contractor.id },
          reason: input.reason,
        });
        return decided;
      });
    },

    listVerifications: deps.contractors.verification.list,

    listBookings: (query: BookingFilter) => listAllBookings(db, query),
    getBooking: (id: string) => bookingById(db, id),
    listJobs: deps.jobs.listAll,
    getJob: deps.jobs.oversee,

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
