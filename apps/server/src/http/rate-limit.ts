import { AsyncLocalStorage } from "node:async_hooks";
import { type SQL, sql } from "drizzle-orm";
import type { Response } from "express";
import type pg from "pg";
import { RateLimiterPostgres, RateLimiterRes } from "rate-limiter-flexible";
import { AppError, coreErrors } from "./errors.js";
import { rateLimits } from "./rate-limit.tables.js";

export interface LimitRule {
  /** Name of the counter, e.g. `login_fail_ip`. */
  name: string;
  /** How many points are allowed per window. */
  points: number;
  windowSeconds: number;
}

/**
 * A counter per key in a fixed window. Every check is a charge: `consume` adds its points in one atomic
 * statement and then judges, so a parallel burst can never pass more than `points` (checking first and
 * charging after the work lets every request of a burst through). Work that turns out not to count, a
 * successful login for a failure limit, gives its points back with `refund` or `reset`.
 */
export interface Limiter {
  readonly rule: LimitRule;
  /** Charges `points` (default 1) to `key`; throws 429 `rate_limited` with Retry-After and RateLimit-* when that passes the limit. */
  consume(key: string, points?: number): Promise<void>;
  /**
   * Charges one point per key in `keys` (a key may come several times) inside a larger statement, so that
   * the charges and the work they let through commit together in one round trip; judged as `consume` would
   * judge them one by one in that order. Shows in no `RateLimit-*` headers: for work outside a request.
   */
  readonly inStatement: StatementCharges;
  /** Gives back points charged earlier. */
  refund(key: string, points?: number): Promise<void>;
  /** Forgets `key` (e.g. failures forgiven after a successful login). */
  reset(key: string): Promise<void>;
}

/**
 * A limiter's charges as part of one statement. `ctes` goes first in its `with` list and defines
 * `charge_answers(ord, admitted, expire)`: for the key at position `ord` of `keys` (from 1), whether its
 * point was let through (a key's first charges are, up to the limit) and when its window ends (ms). The
 * statement's own work joins it on `ord` and keeps the admitted items; `settle` then answers each key from
 * those rows and gives back the points of the refused ones.
 */
export interface StatementCharges {
  ctes: SQL;
  /** The values of the placeholders in `ctes`, to fill with the statement's own. */
  values(keys: readonly string[]): Record<string, unknown>;
  /**
   * Answers in the order of `keys`: `undefined` for a charge let through, the 429 for a refused one. Call it
   * once the statement has committed; it does not fail for a give-back that fails.
   */
  settle(keys: readonly string[], answers: readonly ChargeAnswer[]): Promise<(AppError | undefined)[]>;
}

/** A row of `charge_answers`, as pg returns it. */
export interface ChargeAnswer {
  ord: string | number;
  admitted: boolean;
  expire: string | number;
}

/** What one limit stands at for one key, after this request's charges and refunds. */
interface Standing {
  limit: number;
  remaining: number;
  resetAt: number;
}

interface HeaderScope {
  res: Response;
  standings: Map<string, Standing>;
}

const headerScope = new AsyncLocalStorage<HeaderScope>();

/**
 * Runs a route's work so that every limit it charges shows on its answer, success or failure, not only on
 * the 429: `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset` (delta seconds), the IETF
 * draft's separate-header form. When a request is judged by several limits, the headers describe the one
 * closest to refusing it (fewest remaining).
 */
export function withRateLimitHeaders<T>(res: Response, work: () => Promise<T>): Promise<T> {
  return headerScope.run({ res, standings: new Map() }, work);
}

function record(rule: LimitRule, key: string, update: (standing: Standing | undefined) => Standing): void {
  const scope = headerScope.getStore();
  if (!scope || scope.res.headersSent) return;
  const id = `${rule.name}|${key}`;
  scope.standings.set(id, update(scope.standings.get(id)));
  let tightest: Standing | undefined;
  for (const standing of scope.standings.values()) {
    if (!tightest || standing.remaining < tightest.remaining) tightest = standing;
  }
  if (!tightest) return;
  scope.res.set({
    "RateLimit-Limit": String(tightest.limit),
    "RateLimit-Remaining": String(tightest.remaining),
    "RateLimit-Reset": String(Math.max(0, Math.ceil((tightest.resetAt - Date.now()) / 1000))),
  });
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

/** Counters of one rule in the `rate_limits` table (created by migration, purged by maintenance). */
function postgresCounters(pool: pg.Pool, name: string, points: number, windowSeconds: number) {
  return new RateLimiterPostgres({
    storeClient: pool,
    storeType: "pool",
    tableName: "rate_limits",
    tableCreated: true,
    clearExpiredByTimeout: false,
    keyPrefix: name,
    points,
    duration: windowSeconds,
  });
}

/**
 * rate-limiter-flexible's own upsert (a new window where the last one expired), for every key at once and in
 * the keys' order (two statements charging the same keys lock their rows in one order, so they wait for each
 * other instead of deadlocking). Each charge is then judged in arrival order: a key's charges past the limit
 * are its last ones, refused, and their points are given back after the statement, as `consume` does.
 */
function statementCharges(rule: LimitRule, counters: RateLimiterPostgres): StatementCharges {
  const prefix = `${rule.name}:`;
  return {
    ctes: sql`charge_input as (
        select key, ord from unnest(${sql.placeholder("chargeKeys")}::text[]) with ordinality as c(key, ord)
      ), charged as (
        insert into ${rateLimits} as r (key, points, expire)
        select ${prefix} || key, count(*)::int, ${sql.placeholder("chargeExpire")}::bigint
        from charge_input group by key order by key
        on conflict (key) do update set
          points = case when r.expire <= ${sql.placeholder("chargeNow")}::bigint then excluded.points else r.points + excluded.points end,
          expire = case when r.expire <= ${sql.placeholder("chargeNow")}::bigint then excluded.expire else r.expire end
        returning r.key, r.points, r.expire
      ), charge_answers as (
        select i.ord, c.expire,
          c.points - count(*) over (partition by i.key)
            + row_number() over (partition by i.key order by i.ord) <= ${rule.points}::int as admitted
        from charge_input i join charged c on c.key = ${prefix} || i.key
      )`,
    // Windows are on the wall clock, as rate-limiter-flexible keeps them for `consume` and `reward`.
    values(keys) {
      const now = Date.now();
      return { chargeKeys: keys, chargeExpire: now + rule.windowSeconds * 1000, chargeNow: now };
    },
    async settle(keys, answers) {
      const now = Date.now();
      const byOrd = new Map(answers.map((answer) => [Number(answer.ord), answer]));
      const refused = new Map<string, number>();
      const judged = keys.map((key, index) => {
        const answer = byOrd.get(index + 1);
        if (!answer) throw new Error("a rate limit charge was not answered");
        if (answer.admitted) return undefined;
        refused.set(key, (refused.get(key) ?? 0) + 1);
        return tooMany(rule, Number(answer.expire) - now);
      });
      // The statement has committed, so the answers stand whatever happens here: a give-back that fails
      // leaves the counter above what was let through until its window ends (the sender may be refused a
      // little early, never let through more).
      await Promise.all(
        [...refused].map(([key, points]) => counters.reward(key, points).then(undefined, () => undefined)),
      );
      return judged;
    },
  };
}

/** Counters in PostgreSQL (table `rate_limits`), so limits hold across every process of the deployment. */
export function createLimiter(pool: pg.Pool, rule: LimitRule): Limiter {
  const limiter = postgresCounters(pool, rule.name, rule.points, rule.windowSeconds);
  return {
    rule,
    async consume(key, points = 1) {
      try {
        const charged = await limiter.consume(key, points);
        record(rule, key, () => ({
          limit: rule.points,
          remaining: Math.max(0, charged.remainingPoints),
          resetAt: Date.now() + charged.msBeforeNext,
        }));
      } catch (error) {
        if (!(error instanceof RateLimiterRes)) throw error;
        // A refused charge is no attempt: giving it back keeps the counter at what was let through, so
        // later refunds of successful work bring it under the limit again.
        await limiter.reward(key, points);
        record(rule, key, () => ({
          limit: rule.points,
          remaining: 0,
          resetAt: Date.now() + error.msBeforeNext,
        }));
        throw tooMany(rule, error.msBeforeNext);
      }
    },
    inStatement: statementCharges(rule, limiter),
    async refund(key, points = 1) {
      await limiter.reward(key, points);
      record(rule, key, (standing) => ({
        limit: rule.points,
        remaining: Math.min(rule.points, (standing?.remaining ?? rule.points) + points),
        resetAt: standing?.resetAt ?? Date.now() + rule.windowSeconds * 1000,
      }));
    },
    async reset(key) {
      await limiter.delete(key);
      record(rule, key, () => ({
        limit: rule.points,
        remaining: rule.points,
        resetAt: Date.now() + rule.windowSeconds * 1000,
      }));
    },
  };
}

/**
 * A plain counter per key in a fixed window: `count` adds one and says how many this window holds. Never
 * refuses and never shows in the `RateLimit-*` headers; for rules that must answer like something else (a
 * code's attempts counted for an email that has no code).
 */
export function createCounter(pool: pg.Pool, rule: Omit<LimitRule, "points">) {
  const counter = postgresCounters(pool, rule.name, Number.MAX_SAFE_INTEGER, rule.windowSeconds);
  return {
    async count(key: string): Promise<number> {
      return (await counter.consume(key)).consumedPoints;
    },
  };
}

/** One charge of a multi-limit check: this limiter, this key. */
export type Charge = readonly [Limiter, string];

/**
 * Charges every limiter in order. If one refuses, the charges already made are given back before the 429 is
 * thrown: a refused attempt does no work, so it must not eat into the other limits (the owner's own
 * per-address allowance, say, while a ceiling is reached by someone else).
 */
export async function consumeAll(charges: readonly Charge[]): Promise<void> {
  const done: Charge[] = [];
  try {
    for (const charge of charges) {
      await charge[0].consume(charge[1]);
      done.push(charge);
    }
  } catch (error) {
    await refundAll(done);
    throw error;
  }
}

/** Gives back one point for each charge (the attempt turned out not to count). */
export async function refundAll(charges: readonly Charge[]): Promise<void> {
  await Promise.all(charges.map(([limiter, key]) => limiter.refund(key)));
}

/** Removes expired counters (run periodically). */
export async function purgeExpiredRateLimits(pool: pg.Pool): Promise<void> {
  await pool.query("delete from rate_limits where expire < $1", [Date.now()]);
}
