import { createHash } from "node:crypto";
import { and, eq, gt, lt } from "drizzle-orm";
import type { Request } from "express";
import type pg from "pg";
import { transaction } from "../db/transaction.js";
import { AppError, coreErrors } from "./errors.js";
import { idempotencyKeys } from "./idempotency.tables.js";
import { Reply } from "./reply.js";

export interface IdempotencyStore {
  /**
   * Runs `action` once per (caller, key), inside one transaction that the services' own `transaction()`
   * calls join; its answer is stored in that transaction, and later calls with the key replay it.
   */
  run(req: Request, callerId: string | undefined, action: () => Promise<Reply>): Promise<Reply>;
  /** Deletes answers past their retention. */
  purgeExpired(): Promise<number>;
}

export interface IdempotencyOptions {
  /** How long an answer is kept for replay. */
  retentionMs?: number;
  now?: () => Date;
}

const keyPattern = /^[\x21-\x7e]{1,255}$/;

/**
 * JSON with object keys sorted (by UTF-16 code units, as `Array.prototype.sort` does) at every depth and no
 * whitespace: two values that parse equal print equal, whatever key order or spacing the client sent.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value ?? null);
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item)).join(",")}]`;
  const entries = Object.entries(value)
    .filter(([, item]) => item !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(",")}}`;
}

export interface RequestIdentity {
  method: string;
  /** The full path without the query string. */
  path: string;
  /** Whose request: the user id, or `anonymous`. */
  caller: string;
  query: unknown;
  body: unknown;
}

/** sha256 over the canonical form of a request: the same key may only replay this exact request. */
export function requestFingerprint(request: RequestIdentity): string {
  return createHash("sha256")
    .update(
      canonicalJson({
        method: request.method.toUpperCase(),
        path: request.path,
        caller: request.caller,
        query: request.query ?? {},
        body: request.body ?? null,
      }),
    )
    .digest("hex");
}

/** A 64-bit advisory lock id per (caller, key); a collision could only make an unrelated retry wait. */
function lockId(scope: string, key: string): string {
  return createHash("sha256").update(`idempotency\0${scope}\0${key}`).digest().readBigInt64BE(0).toString();
}

export function createIdempotencyStore(pool: pg.Pool, options: IdempotencyOptions = {}): IdempotencyStore {
  const retentionMs = options.retentionMs ?? 24 * 60 * 60 * 1000;
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
            errors: [
              {
                path: "Idempotency-Key",
                code: "invalid_format",
                message: "1 to 255 visible ASCII characters",
                in: "header",
              },
            ],
          },
        );
      }
      const scope = callerId ?? "anonymous";
      const hash = requestFingerprint({
        method: req.method,
        path: `${req.baseUrl}${req.path}`,
        caller: scope,
        query: req.query,
        body: req.body,
      });

      // One transaction holds the whole request: the key's lock, the handler's changes (its services'
      // transactions join this one) and the stored answer commit together or not at all.
      return transaction(pool, async (tx) => {
        // Held until commit or rollback, and released by PostgreSQL when a crashed process's connection
        // drops: no lease that could expire under a request that is merely slow.
        const { rows } = await tx.executeSql("select pg_try_advisory_xact_lock($1::bigint) as locked", [
          lockId(scope, key),
        ]);
        const [lock] = rows as { locked: boolean }[];
        if (!lock?.locked) {
          throw new AppError(
            coreErrors.idempotencyInProgress,
            "The first request with this key has not finished yet",
            { headers: { "Retry-After": "1" } },
          );
        }
        const at = now();
        const where = and(eq(idempotencyKeys.scope, scope), eq(idempotencyKeys.key, key));
        const [stored] = await tx.db
          .select()
          .from(idempotencyKeys)
          .where(and(where, gt(idempotencyKeys.expiresAt, at)));
        if (stored) {
          if (stored.requestHash !== hash) {
            throw new AppError(
              coreErrors.idempotencyKeyReused,
              "This Idempotency-Key was used for a different request; use a new key for a new request",
            );
          }
          return new Reply(stored.responseStatus, stored.responseBody ?? undefined, {
            ...stored.responseHeaders,
            "Idempotent-Replayed": "true",
          });
        }

        // Only answers that did something are kept: when the action throws, the transaction rolls back and
        // the key stays free to retry.
        const reply = await action();
        const answer = {
          requestHash: hash,
          responseStatus: reply.status,
          responseBody: reply.body ?? null,
          responseHeaders: reply.headers,
          createdAt: at,
          expiresAt: new Date(at.getTime() + retentionMs),
        };
        // An expired answer may still be there (purged hourly); the lock makes this the only writer of the key.
        await tx.db
          .insert(idempotencyKeys)
          .values({ scope, key, ...answer })
          .onConflictDoUpdate({ target: [idempotencyKeys.scope, idempotencyKeys.key], set: answer });
        return reply;
      });
    },

    async purgeExpired() {
      return transaction(pool, async (tx) => {
        const removed = await tx.db
          .delete(idempotencyKeys)
          .where(lt(idempotencyKeys.expiresAt, now()))
          .returning({ key: idempotencyKeys.key });
        return removed.length;
      });
    },
  };
}
