import { createHash } from "node:crypto";
import { and, eq, lt, sql } from "drizzle-orm";
import type { Request } from "express";
import type { Database } from "../db/client.js";
import { Reply } from "./api.js";
import { AppError, coreErrors } from "./errors.js";
import { idempotencyKeys } from "./idempotency.tables.js";

export interface IdempotencyStore {
  /** Runs `action` once per (caller, key); later calls with the key replay its stored answer. */
  run(req: Request, callerId: string | undefined, action: () => Promise<Reply>): Promise<Reply>;
  /** Deletes answers past their retention. */
  purgeExpired(): Promise<number>;
}

export interface IdempotencyOptions {
  /** How long an answer is kept for replay. */
  retentionMs?: number;
  /** After this long an unfinished attempt counts as abandoned (its process died) and the key is free again. */
  lockMs?: number;
  now?: () => Date;
}

const keyPattern = /^[\x21-\x7e]{1,255}$/;

function requestHash(req: Request): string {
  return createHash("sha256")
    .update(`${req.method} ${req.baseUrl}${req.path}\n`)
    .update(JSON.stringify(req.body ?? null))
    .digest("hex");
}

export function createIdempotencyStore(db: Database, options: IdempotencyOptions = {}): IdempotencyStore {
  const retentionMs = options.retentionMs ?? 24 * 60 * 60 * 1000;
  const lockMs = options.lockMs ?? 60 * 1000;
  const now = options.now ?? (() => new Date());

  return {
    async run(req, callerId, action) {
      const key = req.get("Idempotency-Key");
      if (key === undefined) return action();
      if (!keyPattern.test(key)) {
        throw new AppError(
          coreErrors.idempotencyInvalidKey,
          "Idempotency-Key must be 1 to 255 visible ASCII characters",
          {
            errors: [{ path: "Idempotency-Key", message: "1 to 255 visible ASCII characters", in: "header" }],
          },
        );
      }
      const scope = callerId ?? "anonymous";
      const hash = requestHash(req);
      const at = now();
      const lockedUntil = new Date(at.getTime() + lockMs);
      const expiresAt = new Date(at.getTime() + retentionMs);

      // Claim the key: a fresh row, or an expired or abandoned one taken over in the same statement.
      const claimed = await db
        .insert(idempotencyKeys)
        .values({ scope, key, requestHash: hash, state: "in_progress", lockedUntil, expiresAt })
        .onConflictDoUpdate({
          target: [idempotencyKeys.scope, idempotencyKeys.key],
          set: {
            requestHash: hash,
            state: "in_progress",
            responseStatus: null,
            responseBody: null,
            lockedUntil,
            expiresAt,
          },
          setWhere: sql`${idempotencyKeys.expiresAt} < ${at} or (${idempotencyKeys.state} = 'in_progress' and ${idempotencyKeys.lockedUntil} < ${at} and ${idempotencyKeys.requestHash} = ${hash})`,
        })
        .returning({ key: idempotencyKeys.key });

      if (claimed.length === 0) {
        const [existing] = await db
          .select()
          .from(idempotencyKeys)
          .where(and(eq(idempotencyKeys.scope, scope), eq(idempotencyKeys.key, key)));
        if (!existing || existing.requestHash !== hash) {
          throw new AppError(
            coreErrors.idempotencyKeyReused,
            "This Idempotency-Key was used for a different request; use a new key for a new request",
          );
        }
        if (existing.state === "in_progress" || existing.responseStatus === null) {
          throw new AppError(
            coreErrors.idempotencyInProgress,
            "The first request with this key has not finished yet",
            {
              headers: { "Retry-After": "1" },
            },
          );
        }
        return new Reply(existing.responseStatus, existing.responseBody ?? undefined, {
          "Idempotent-Replayed": "true",
        });
      }

      const where = and(eq(idempotencyKeys.scope, scope), eq(idempotencyKeys.key, key));
      let reply: Reply;
      try {
        reply = await action();
      } catch (error) {
        // Only answers that did something are kept; a refused or failed attempt leaves the key free to retry.
        await db.delete(idempotencyKeys).where(where);
        throw error;
      }
      await db
        .update(idempotencyKeys)
        .set({ state: "completed", responseStatus: reply.status, responseBody: reply.body ?? null })
        .where(where);
      return reply;
    },

    async purgeExpired() {
      const removed = await db
        .delete(idempotencyKeys)
        .where(lt(idempotencyKeys.expiresAt, now()))
        .returning({ key: idempotencyKeys.key });
      return removed.length;
    },
  };
}
