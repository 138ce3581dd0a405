import { eq, gte, lt, type SQL } from "drizzle-orm";
import type pg from "pg";
import type { Database } from "../../db/client.js";
import { transaction } from "../../db/transaction.js";
import { type Page, pageNewestById } from "../../http/pagination.js";
import { userDirectory } from "../users/index.js";
import type { AuditEntryView, AuditQuery } from "./audit.contract.js";
import { auditLog } from "./audit.tables.js";

/** One admin write, as the module that carries it out describes it. */
export interface AuditEntry {
  actorId: string;
  /** `<thing>.<verb>`, e.g. `user.suspend`. */
  action: string;
  targetType: string;
  targetId: string;
  /** The fields the action changed, before and after; JSON-serialisable. */
  before?: unknown;
  after?: unknown;
  reason?: string | null | undefined;
}

export interface AuditDeps {
  db: Database;
  pool: pg.Pool;
}

export function createAuditService({ db, pool }: AuditDeps) {
  return {
    /**
     * Records one admin write. Called inside the transaction that makes the write, it joins it: the entry
     * commits with the change or not at all, so the log never shows a change that did not happen or misses
     * one that did.
     */
    async record(entry: AuditEntry): Promise<void> {
      await transaction(pool, async (tx) => {
        await tx.db.insert(auditLog).values({
          actorId: entry.actorId,
          action: entry.action,
          targetType: entry.targetType,
          targetId: entry.targetId,
          // JSON null rather than SQL null would read back the same; undefined means "not recorded".
          before: entry.before ?? null,
          after: entry.after ?? null,
          reason: entry.reason ?? null,
        });
      });
    },

    /** The log, newest first, filtered by actor, action, target and time. */
    async list(query: AuditQuery): Promise<Page<AuditEntryView>> {
      const conditions: (SQL | undefined)[] = [
        query.actorId ? eq(auditLog.actorId, query.actorId) : undefined,
        query.action ? eq(auditLog.action, query.action) : undefined,
        query.targetType ? eq(auditLog.targetType, query.targetType) : undefined,
        query.targetId ? eq(auditLog.targetId, query.targetId) : undefined,
        query.from ? gte(auditLog.at, query.from) : undefined,
        query.to ? lt(auditLog.at, query.to) : undefined,
      ];
      const page = await pageNewestById(
        db
          .select({
            id: auditLog.id,
            action: auditLog.action,
            targetType: auditLog.targetType,
            targetId: auditLog.targetId,
            before: auditLog.before,
            after: auditLog.after,
            reason: auditLog.reason,
            at: auditLog.at,
            actorId: userDirectory.id,
            actorName: userDirectory.name,
            actorEmail: userDirectory.email,
          })
          .from(auditLog)
          .innerJoin(userDirectory, eq(userDirectory.id, auditLog.actorId))
          .$dynamic(),
        auditLog.id,
        conditions,
        query,
        (row) => row.id,
      );
      return {
        nextCursor: page.nextCursor,
        items: page.items.map((row) => ({
          id: row.id,
          actor: { id: row.actorId, name: row.actorName, email: row.actorEmail },
          action: row.action,
          targetType: row.targetType,
          targetId: row.targetId,
          before: row.before,
          after: row.after,
          reason: row.reason,
          at: row.at.toISOString(),
        })),
      };
    },
  };
}

export type AuditService = ReturnType<typeof createAuditService>;
