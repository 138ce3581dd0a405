import type pg from "pg";
import { RateLimiterPostgres, RateLimiterRes } from "rate-limiter-flexible";
import { AppError, coreErrors } from "./errors.js";

export interface LimitRule {
  /** Name of the counter, e.g. `login_fail_email`. */
  name: string;
  /** How many actions are allowed per window. */
  points: number;
  windowSeconds: number;
  /** Once the limit is hit, refuse for this long (defaults to the rest of the window). */
  blockSeconds?: number;
}

export interface Limiter {
  /** Counts one action for `key`; throws 429 with Retry-After when the limit is passed. */
  consume(key: string): Promise<void>;
  /** Throws 429 if `key` has used up its points, without counting anything (for counting failures only). */
  check(key: string): Promise<void>;
  /** Forgets `key` (e.g. failures are forgiven after a successful login). */
  reset(key: string): Promise<void>;
}

function tooMany(rule: LimitRule, msBeforeNext: number): AppError {
  const seconds = Math.max(1, Math.ceil(msBeforeNext / 1000));
  return new AppError(coreErrors.rateLimited, `Too many attempts; try again in ${seconds} seconds`, {
    headers: {
      "Retry-After": String(seconds),
      "RateLimit-Limit": String(rule.points),
      "RateLimit-Remaining": "0",
      "RateLimit-Reset": String(seconds),
    },
  });
}

/** Counters in PostgreSQL (table `rate_limits`), so limits hold across every process of the deployment. */
export function createLimiter(pool: pg.Pool, rule: LimitRule): Limiter {
  const limiter = new RateLimiterPostgres({
    storeClient: pool,
    storeType: "pool",
    tableName: "rate_limits",
    tableCreated: true,
    clearExpiredByTimeout: false,
    keyPrefix: rule.name,
    points: rule.points,
    duration: rule.windowSeconds,
    blockDuration: rule.blockSeconds ?? 0,
  });
  return {
    async consume(key) {
      try {
        await limiter.consume(key);
      } catch (error) {
        if (error instanceof RateLimiterRes) throw tooMany(rule, error.msBeforeNext);
        throw error;
      }
    },
    async check(key) {
      const state = await limiter.get(key);
      if (state && state.consumedPoints >= rule.points) throw tooMany(rule, state.msBeforeNext);
    },
    async reset(key) {
      await limiter.delete(key);
    },
  };
}

/** Removes expired counters (run periodically). */
export async function purgeExpiredRateLimits(pool: pg.Pool): Promise<void> {
  await pool.query("delete from rate_limits where expire < $1", [Date.now()]);
}
