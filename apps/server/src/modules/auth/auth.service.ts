import { and, desc, eq, isNotNull, isNull, type SQL, sql } from "drizzle-orm";
import type pg from "pg";
import type { Clock } from "../../clock.js";
import type { Config } from "../../config.js";
import { createBatcher } from "../../db/batcher.js";
import type { Database, Executor } from "../../db/client.js";
import { newId } from "../../db/columns.js";
import { isUniqueViolation } from "../../db/errors.js";
import { type Tx, transaction } from "../../db/transaction.js";
import {
  type Authenticator,
  type AuthUser,
  createSessionCache,
  type HeldSession,
  type Role,
  type SessionCacheOptions,
} from "../../http/auth.js";
import { AppError } from "../../http/errors.js";
import {
  type Charge,
  consumeAll,
  createCounter,
  createLimiter,
  type Limiter,
  refundAll,
} from "../../http/rate-limit.js";
import type { JobQueue } from "../../jobs/queue.js";
import type { Logger } from "../../logger.js";
import { enqueueEmail, passwordResetEmail, verificationCodeEmail } from "../notifications/index.js";
import {
  findUserByEmail,
  getUser,
  insertUser,
  normaliseEmail,
  type PublicUrl,
  presentUser,
  type UserRow,
  type UsersService,
  type UserWithAvatar,
  updateUser,
  userDirectory,
} from "../users/index.js";
import type { AuthSession, TokenPair } from "./auth.contract.js";
import { authErrors } from "./auth.errors.js";
import { oneTimeCodes, refreshTokens, sessions } from "./auth.tables.js";
import { burnPasswordCheck, hashPassword, verifyPassword } from "./passwords.js";
import { newRefreshToken, newSixDigitCode, sha256, type TokenIssuer } from "./tokens.js";

export const passwordResetQueue = "auth.password-reset";

/** The settings the service reads, as configured (`Config["auth"]`). */
export type AuthOptions = Pick<
  Config["auth"],
  "refreshTokenIdleDays" | "sessionMaxDays" | "refreshReuseGraceSeconds" | "limits" | "codes"
>;

/**
 * Sessions that have just ended (committed). `sessionIds` absent: every session of the user (suspension).
 * Whatever holds something open for a session (a socket) listens for this and lets go.
 */
export interface SessionsEnded {
  userId: string;
  sessionIds?: readonly string[];
}

export interface AuthDeps {
  db: Database;
  pool: pg.Pool;
  jobs: JobQueue;
  clock: Clock;
  tokens: TokenIssuer;
  logger: Logger;
  publicUrl: PublicUrl;
  options: AuthOptions;
  /** Account deletion: the users service runs every module's part of it. */
  users: Pick<UsersService, "eraseAccount">;
  /** Sessions kept in the process (`createSessionCache`); `sync` is the barrier on the sessions-ended channel. */
  sessionCache: Pick<SessionCacheOptions, "ttlMs" | "sync">;
}

/** Where a request came from, kept on the session for the user's device list. */
export interface ClientInfo {
  /** `clientAddress(req)`: the key of every per-address limit. */
  ip: string;
  userAgent: string | undefined;
}

type CodePurpose = "email_verification" | "password_reset";

const day = 24 * 60 * 60 * 1000;

export function createAuthService(deps: AuthDeps) {
  const { db, pool, jobs, clock, tokens } = deps;
  const configured = deps.options.limits;
  const { ttlMinutes: codeLifetimeMinutes, maxAttempts: maxCodeAttempts } = deps.options.codes;
  const limits = {
    loginFailuresPerAccountAddress: createLimiter(pool, {
      name: "login_fail_acct_ip",
      ...configured.loginAccountAddress,
    }),
    loginFailuresPerAddress: createLimiter(pool, { name: "login_fail_ip", ...configured.loginAddress }),
    loginFailuresPerAccount: createLimiter(pool, { name: "login_fail_acct", ...configured.loginAccount }),
    wrongPasswordsPerAccount: createLimiter(pool, { name: "password_wrong", ...configured.passwordChange }),
    registrationsPerAddress: createLimiter(pool, { name: "register_ip", ...configured.registerAddress }),
    codeMailsPerEmail: createLimiter(pool, { name: "code_mail_email", ...configured.codeMailEmail }),
    codeMailsPerIp: createLimiter(pool, { name: "code_mail_ip", ...configured.codeMailAddress }),
    codeChecksPerIp: createLimiter(pool, { name: "code_check_ip", ...configured.codeCheckAddress }),
  } satisfies Record<string, Limiter>;

  /** Wrong codes sent where no live code stands (unknown email, none asked for, used or expired). */
  const codeGuessesWithoutCode = createCounter(pool, {
    name: "code_try_nocode",
    windowSeconds: codeLifetimeMinutes * 60,
  });

  const endedListeners = new Set<(ended: SessionsEnded) => void | Promise<void>>();
  const sessionCache = createSessionCache({ ...deps.sessionCache, maxEntries: 100_000 });

  /**
   * The one "sessions ended" signal: called after the change committed, by every path that ends sessions
   * (logout, logout-all, refresh reuse, password change and reset, account deletion and the admin
   * suspension). `server.ts` carries it to the other instances through PostgreSQL NOTIFY; it resolves once
   * they have been told, so the caller answers only when no instance still lets the ended sessions in.
   */
  async function sessionsEnded(ended: SessionsEnded): Promise<void> {
    if (ended.sessionIds?.length === 0) return;
    sessionCache.forget(ended);
    await Promise.all([...endedListeners].map((listener) => listener(ended)));
  }

  /**
   * A signed-in user proving it is them (password change, account deletion). Like login: charged before the
   * hash and forgiven on success, so a stolen session cannot guess the password quickly.
   */
  async function checkOwnPassword(userId: string, password: string, field: string): Promise<void> {
    const user = await getUser(db, userId);
    await limits.wrongPasswordsPerAccount.consume(userId);
    if (!(await verifyPassword(user.passwordHash, password))) {
      throw new AppError(authErrors.wrongPassword, "The password is wrong", {
        errors: [{ path: field, code: "incorrect", message: "is wrong", in: "body" }],
      });
    }
    await limits.wrongPasswordsPerAccount.reset(userId);
  }

  // Prepared once (a named statement on each pooled connection): every authenticated request that misses the
  // session cache runs it.
  const sessionState = db
    .select({
      account: {
        id: userDirectory.id,
        email: userDirectory.email,
        name: userDirectory.name,
        role: userDirectory.role,
        phone: userDirectory.phone,
        avatarKey: userDirectory.avatarKey,
        emailVerifiedAt: userDirectory.emailVerifiedAt,
        status: userDirectory.status,
        createdAt: userDirectory.createdAt,
      },
      revokedAt: sessions.revokedAt,
      expiresAt: sessions.expiresAt,
    })
    .from(sessions)
    .innerJoin(userDirectory, eq(userDirectory.id, sessions.userId))
    .where(and(eq(sessions.id, sql.placeholder("sessionId")), eq(sessions.userId, sql.placeholder("userId"))))
    .prepare("auth_session_state");

  /** Why a session found as `row` (or not found) does not hold at `now`; undefined while it holds. */
  function sessionRefusal(
    row: { status: string; revokedAt: Date | null; expiresAt: Date } | undefined,
    now: Date,
  ): AppError | undefined {
    // Suspension first: it is the reason the user needs to hear, even though it also ended the session.
    if (row?.status === "suspended") {
      return new AppError(authErrors.accountSuspended, "This account is suspended; contact support");
    }
    if (!row || row.revokedAt !== null || row.expiresAt <= now) {
      return new AppError(authErrors.sessionEnded, "This session has ended; sign in again");
    }
    return undefined;
  }

  /** The session as stored, while it holds; otherwise throws why it does not. */
  async function loadSession(userId: string, sessionId: string, now: Date): Promise<HeldSession> {
    const [row] = await sessionState.execute({ sessionId, userId });
    const refusal = sessionRefusal(row && { ...row, status: row.account.status }, now);
    if (refusal || !row) throw refusal;
    return { userId, role: row.account.role, expiresAt: row.expiresAt, account: row.account };
  }

  // The sockets' re-checks of their sessions: those due at once (every socket of a busy instance after a quiet
  // spell) share one statement.
  const sessionHolds = db
    .select({
      sessionId: sessions.id,
      userId: sessions.userId,
      status: userDirectory.status,
      revokedAt: sessions.revokedAt,
      expiresAt: sessions.expiresAt,
    })
    .from(sessions)
    .innerJoin(userDirectory, eq(userDirectory.id, sessions.userId))
    .where(sql`${sessions.id} = any(${sql.placeholder("sessionIds")}::uuid[])`)
    .prepare("auth_sessions_hold");
  const sessionChecks = createBatcher<AuthUser, void>(async (users) => {
    const now = clock.now();
    const rows = await sessionHolds.execute({
      sessionIds: [...new Set(users.map((user) => user.sessionId))],
    });
    const found = new Map(rows.map((row) => [row.sessionId, row]));
    return users.map((user) => {
      const row = found.get(user.sessionId);
      const refusal = sessionRefusal(row?.userId === user.id ? row : undefined, now);
      return refusal ? { status: "rejected", reason: refusal } : { status: "fulfilled", value: undefined };
    });
  });

  /** Whether the account has ever had a session opened from this address (sessions keep their address). */
  async function hasSignedInFrom(userId: string, address: string): Promise<boolean> {
    const [row] = await db
      .select({ id: sessions.id })
      .from(sessions)
      .where(and(eq(sessions.userId, userId), eq(sessions.ip, address)))
      .limit(1);
    return row !== undefined;
  }

  async function issueTokens(
    tx: Tx,
    user: UserRow,
    sessionId: string,
    now: Date,
    parentId: string | null = null,
  ): Promise<TokenPair> {
    const refreshToken = newRefreshToken();
    await tx.db.insert(refreshTokens).values({
      sessionId,
      parentId,
      tokenHash: sha256(refreshToken),
      createdAt: now,
      expiresAt: new Date(now.getTime() + deps.options.refreshTokenIdleDays * day),
    });
    const access = await tokens.issueAccessToken({ userId: user.id, role: user.role, sessionId }, now);
    return { accessToken: access.token, refreshToken, accessTokenExpiresAt: access.expiresAt.toISOString() };
  }

  /** Whether a token issued for `tokenId` has itself been exchanged: the client has moved past `tokenId`. */
  async function successorUsed(tx: Tx, tokenId: string): Promise<boolean> {
    const [row] = await tx.db
      .select({ id: refreshTokens.id })
      .from(refreshTokens)
      .where(and(eq(refreshTokens.parentId, tokenId), isNotNull(refreshTokens.spentAt)))
      .limit(1);
    return row !== undefined;
  }

  async function openSession(
    tx: Tx,
    user: UserWithAvatar,
    client: ClientInfo,
    now: Date,
  ): Promise<AuthSession> {
    const sessionId = newId();
    await tx.db.insert(sessions).values({
      id: sessionId,
      userId: user.id,
      createdAt: now,
      lastUsedAt: now,
      expiresAt: new Date(now.getTime() + deps.options.sessionMaxDays * day),
      userAgent: client.userAgent?.slice(0, 512) ?? null,
      ip: client.ip,
    });
    return { user: presentUser(user, deps.publicUrl), ...(await issueTokens(tx, user, sessionId, now)) };
  }

  /** Closes any open code of this purpose (a new code invalidates the old) and stores a new one. */
  async function issueCode(tx: Tx, userId: string, purpose: CodePurpose, now: Date): Promise<string> {
    await tx.db
      .update(oneTimeCodes)
      .set({ closedAt: now })
      .where(
        and(
          eq(oneTimeCodes.userId, userId),
          eq(oneTimeCodes.purpose, purpose),
          isNull(oneTimeCodes.closedAt),
        ),
      );
    const code = newSixDigitCode();
    const id = newId();
    await tx.db.insert(oneTimeCodes).values({
      id,
      userId,
      purpose,
      codeHash: sha256(`${id}:${code}`),
      createdAt: now,
      expiresAt: new Date(now.getTime() + codeLifetimeMinutes * 60_000),
    });
    return code;
  }

  /**
   * Checks a code and, if right, runs `onSuccess` in the same transaction. A wrong code costs one of its
   * attempts (and that is committed); after the last one the code is dead. The answers:
   * - wrong code: `auth.invalid_code` with `attemptsRemaining`; once they are spent, any code (the right one
   *   too) gets `auth.code_attempts_exceeded` until a new code is asked for or this one expires;
   * - the right code after its lifetime (CODE_TTL_MINUTES): `auth.code_expired` (only the mailbox's owner can see this);
   * - where no live code stands (`subject` with no account, no code asked for, used, replaced, or expired and
   *   guessed wrong) wrong codes are counted per `subject` in a window of a code's lifetime and answered the
   *   same way, so password reset answers an unknown email exactly like a known one with a wrong code.
   */
  async function redeemCode(
    subject: { userId: string | undefined; key: string },
    purpose: CodePurpose,
    code: string,
    onSuccess: (tx: Tx, now: Date) => Promise<void>,
  ): Promise<void> {
    const now = clock.now();
    const outcome = await transaction(pool, async (tx) => {
      if (!subject.userId) return { kind: "noLiveCode" } as const;
      const [latest] = await tx.db
        .select()
        .from(oneTimeCodes)
        .where(and(eq(oneTimeCodes.userId, subject.userId), eq(oneTimeCodes.purpose, purpose)))
        .orderBy(desc(oneTimeCodes.createdAt))
        .limit(1)
        .for("update");
      if (!latest) return { kind: "noLiveCode" } as const;
      const right = latest.codeHash === sha256(`${latest.id}:${code}`);
      const expired = latest.expiresAt <= now;
      const spent = latest.attempts >= maxCodeAttempts;
      if (expired)
        return right
          ? ({ kind: "refused", error: authErrors.codeExpired } as const)
          : ({ kind: "noLiveCode" } as const);
      if (spent) return { kind: "refused", error: authErrors.codeAttemptsExceeded } as const;
      if (latest.closedAt !== null) return { kind: "noLiveCode" } as const;
      if (!right) {
        const attempts = latest.attempts + 1;
        await tx.db
          .update(oneTimeCodes)
          .set({ attempts, ...(attempts >= maxCodeAttempts ? { closedAt: now } : {}) })
          .where(eq(oneTimeCodes.id, latest.id));
        return { kind: "wrong", remaining: maxCodeAttempts - attempts } as const;
      }
      await tx.db.update(oneTimeCodes).set({ closedAt: now }).where(eq(oneTimeCodes.id, latest.id));
      await onSuccess(tx, now);
      return { kind: "redeemed" } as const;
    });
    if (outcome.kind === "redeemed") return;
    if (outcome.kind === "refused") throw new AppError(outcome.error);
    const remaining =
      outcome.kind === "wrong"
        ? outcome.remaining
        : maxCodeAttempts - (await codeGuessesWithoutCode.count(`${purpose}|${subject.key}`));
    if (remaining < 0) throw new AppError(authErrors.codeAttemptsExceeded);
    throw new AppError(
      authErrors.invalidCode,
      remaining === 0
        ? "The code is wrong and no attempts remain; ask for a new one"
        : `The code is wrong; ${remaining} ${remaining === 1 ? "attempt remains" : "attempts remain"}`,
      { extensions: { attemptsRemaining: remaining } },
    );
  }

  async function assertActive(user: UserRow): Promise<void> {
    if (user.status === "suspended") {
      throw new AppError(authErrors.accountSuspended, "This account is suspended; contact support");
    }
  }

  async function sendVerificationCode(tx: Tx, user: UserRow, now: Date): Promise<void> {
    const code = await issueCode(tx, user.id, "email_verification", now);
    await enqueueEmail(jobs, tx, verificationCodeEmail(user.email, user.name, code, codeLifetimeMinutes));
  }

  const authenticator: Authenticator = {
    async authenticate(accessToken: string): Promise<AuthUser> {
      const now = clock.now();
      const claims = await tokens.verifyAccessToken(accessToken, now);
      const { role, account } = await sessionCache.get(claims.userId, claims.sessionId, now.getTime(), () =>
        loadSession(claims.userId, claims.sessionId, now),
      );
      return { id: claims.userId, role, sessionId: claims.sessionId, account };
    },
    errors: [
      authErrors.tokenExpired,
      authErrors.invalidToken,
      authErrors.sessionEnded,
      authErrors.accountSuspended,
    ],
  };

  return {
    authenticator,
    limits,
    sessionsEnded,

    /**
     * Registers a listener of the sessions-ended signal (the signal waits for what it returns); returns the
     * function that removes it.
     */
    onSessionsEnded(listener: (ended: SessionsEnded) => void | Promise<void>): () => void {
      endedListeners.add(listener);
      return () => endedListeners.delete(listener);
    },

    /**
     * Another instance ended these sessions: they are not let in from the cache any more. Called without
     * `ended` when a signal could not be understood: then nothing cached is trusted.
     */
    sessionsEndedElsewhere(ended?: SessionsEnded): void {
      sessionCache.forget(ended);
    },

    /** An account row changed (on any instance): its sessions are read again, with the account as it is now. */
    accountChanged(userId: string): void {
      sessionCache.forget({ userId });
    },

    /**
     * Throws the reason (`auth.session_ended`, `auth.account_suspended`) when the session no longer holds.
     * Always read from the database: it is the sockets' check for a signal that never came. Checks due at
     * once share one statement.
     */
    async checkSession(user: AuthUser): Promise<void> {
      await sessionChecks(user);
    },

    async register(
      input: {
        email: string;
        password: string;
        name: string;
        role: "customer" | "contractor";
        phone?: string | undefined;
      },
      client: ClientInfo,
    ): Promise<AuthSession> {
      // Charged before the hash, so a burst cannot outrun it; never given back (each one costs a hash and a mail).
      await limits.registrationsPerAddress.consume(client.ip);
      const now = clock.now();
      const passwordHash = await hashPassword(input.password);
      try {
        return await transaction(pool, async (tx) => {
          const user = await insertUser(
            tx.db,
            { email: input.email, passwordHash, name: input.name, role: input.role, phone: input.phone },
            now,
          );
          if (!user) throw new Error("insert returned no user");
          await sendVerificationCode(tx, user, now);
          return openSession(tx, user, client, now);
        });
      } catch (error) {
        if (isUniqueViolation(error, "users_email")) {
          throw new AppError(
            authErrors.emailTaken,
            "An account with this email already exists; sign in instead",
            {
              errors: [
                { path: "email", code: "already_taken", message: "is already registered", in: "body" },
              ],
            },
          );
        }
        throw error;
      }
    },

    async login(input: { email: string; password: string }, client: ClientInfo): Promise<AuthSession> {
      const email = normaliseEmail(input.email);
      // Unknown emails are counted alike, so the limits reveal nothing about which accounts exist.
      const account = sha256(email);
      const user = await findUserByEmail(db, email);
      const pair: Charge = [limits.loginFailuresPerAccountAddress, `${account}|${client.ip}`];
      const others: Charge[] = [[limits.loginFailuresPerAddress, client.ip]];
      // The account-wide ceiling spares the addresses the owner has signed in from: guesses spread over many
      // addresses are capped without locking the owner out of their own devices.
      if (!(user && (await hasSignedInFrom(user.id, client.ip)))) {
        others.push([limits.loginFailuresPerAccount, account]);
      }
      // Every attempt is charged before the hash and forgiven if it succeeds, so a parallel burst is judged
      // at most `points` times.
      await consumeAll([pair, ...others]);
      const valid = user
        ? await verifyPassword(user.passwordHash, input.password)
        : await burnPasswordCheck(input.password).then(() => false);
      if (!user || !valid) {
        throw new AppError(authErrors.invalidCredentials, "The email or the password is wrong");
      }
      // The right password clears this address's failures for the account; elsewhere only this attempt is forgiven.
      await Promise.all([pair[0].reset(pair[1]), refundAll(others)]);
      await assertActive(user);
      const now = clock.now();
      return transaction(pool, (tx) => openSession(tx, user, client, now));
    },

    /**
     * Exchanges a refresh token for a new pair. Rotation with a reuse grace, as identity providers do (Auth0's
     * reuse interval, Okta's grace period): a mobile network may drop the answer, and an app may refresh twice
     * at once, so a spent token presented again within `refreshReuseGraceSeconds` of its exchange gets another
     * successor in the same session, nothing revoked, as long as no successor of it has been exchanged in turn.
     * Successors are never stored in plain text (only hashes are kept), so the retry is not given the first
     * answer again but a fresh pair, a sibling of the lost one; the session, its sockets and its other tokens
     * carry on. Reuse after the window, or of a token whose successor was already used (two generations back),
     * is still taken as theft: the whole session ends. The token row and its session are locked, so
     * concurrent refreshes of one token are judged one after another.
     */
    async refresh(token: string): Promise<TokenPair> {
      const now = clock.now();
      const graceStart = new Date(now.getTime() - deps.options.refreshReuseGraceSeconds * 1000);
      const outcome = await transaction(pool, async (tx) => {
        const [found] = await tx.db
          .select({ token: refreshTokens, session: sessions })
          .from(refreshTokens)
          .innerJoin(sessions, eq(sessions.id, refreshTokens.sessionId))
          .where(eq(refreshTokens.tokenHash, sha256(token)))
          .for("update");
        if (!found) return { error: authErrors.invalidRefreshToken } as const;
        const { session } = found;
        const spentAt = found.token.spentAt;
        const retry = spentAt !== null;
        if (retry && !(spentAt > graceStart && !(await successorUsed(tx, found.token.id)))) {
          // A spent token presented again: it was stolen, or the client is broken. End the whole family.
          const sessionIds = await revokeSessions(tx.db, eq(sessions.id, session.id), "refresh_reused", now);
          const ended: SessionsEnded = { userId: session.userId, sessionIds };
          return { error: authErrors.refreshReused, ended } as const;
        }
        if (session.revokedAt !== null || session.expiresAt <= now)
          return { error: authErrors.sessionEnded } as const;
        if (found.token.expiresAt <= now) return { error: authErrors.invalidRefreshToken } as const;
        const user = await getUser(tx.db, session.userId);
        if (user.status === "suspended") return { error: authErrors.accountSuspended } as const;
        // A retry keeps the first exchange's time: the window never stretches.
        if (!retry) {
          await tx.db.update(refreshTokens).set({ spentAt: now }).where(eq(refreshTokens.id, found.token.id));
        }
        await tx.db.update(sessions).set({ lastUsedAt: now }).where(eq(sessions.id, session.id));
        return { pair: await issueTokens(tx, user, session.id, now, found.token.id) } as const;
      });
      if (outcome.error) {
        if ("ended" in outcome && outcome.ended) await sessionsEnded(outcome.ended);
        throw new AppError(outcome.error);
      }
      return outcome.pair;
    },

    /**
     * Ends the session any of its refresh tokens (spent ones included) belongs to. Holding a token of the
     * family is the proof: a spent one could end the family through reuse anyway. Unknown tokens do nothing.
     */
    async logout(token: string): Promise<void> {
      const now = clock.now();
      const ended = await transaction(pool, async (tx) => {
        const [found] = await tx.db
          .select({ sessionId: refreshTokens.sessionId, userId: sessions.userId })
          .from(refreshTokens)
          .innerJoin(sessions, eq(sessions.id, refreshTokens.sessionId))
          .where(eq(refreshTokens.tokenHash, sha256(token)));
        if (!found) return undefined;
        const sessionIds = await revokeSessions(tx.db, eq(sessions.id, found.sessionId), "logout", now);
        return { userId: found.userId, sessionIds };
      });
      if (ended) await sessionsEnded(ended);
    },

    async logoutAll(userId: string): Promise<void> {
      const now = clock.now();
      await sessionsEnded(await transaction(pool, (tx) => endAllSessions(tx.db, userId, "logout_all", now)));
    },

    /** Always succeeds from the caller's view; the work happens in a job, so timing reveals nothing. */
    async forgotPassword(email: string, client: ClientInfo): Promise<void> {
      const normalised = normaliseEmail(email);
      await consumeAll([
        [limits.codeMailsPerIp, client.ip],
        [limits.codeMailsPerEmail, sha256(normalised)],
      ]);
      await jobs.send(passwordResetQueue, { email: normalised }, { retryLimit: 3, retryBackoff: true });
    },

    /** The job behind forgotPassword: sends a code if, and only if, an active account has this email. */
    async sendPasswordResetCode(email: string): Promise<void> {
      const user = await findUserByEmail(db, email);
      if (user?.status !== "active") return;
      const now = clock.now();
      await transaction(pool, async (tx) => {
        const code = await issueCode(tx, user.id, "password_reset", now);
        await enqueueEmail(jobs, tx, passwordResetEmail(user.email, user.name, code, codeLifetimeMinutes));
      });
    },

    async resetPassword(
      input: { email: string; code: string; newPassword: string },
      client: ClientInfo,
    ): Promise<void> {
      await limits.codeChecksPerIp.consume(client.ip);
      const user = await findUserByEmail(db, input.email);
      const passwordHash = await hashPassword(input.newPassword);
      let ended: SessionsEnded | undefined;
      const subject = { userId: user?.id, key: sha256(normaliseEmail(input.email)) };
      await redeemCode(subject, "password_reset", input.code, async (tx, now) => {
        if (!user) return;
        // Receiving the code proves control of the mailbox, so the address counts as verified too.
        await updateUser(tx.db, user.id, { passwordHash, emailVerifiedAt: user.emailVerifiedAt ?? now }, now);
        ended = await endAllSessions(tx.db, user.id, "password_reset", now);
      });
      if (ended) await sessionsEnded(ended);
    },

    async changePassword(
      userId: string,
      input: { currentPassword: string; newPassword: string },
    ): Promise<void> {
      await checkOwnPassword(userId, input.currentPassword, "currentPassword");
      const passwordHash = await hashPassword(input.newPassword);
      const now = clock.now();
      const ended = await transaction(pool, async (tx) => {
        await updateUser(tx.db, userId, { passwordHash }, now);
        return endAllSessions(tx.db, userId, "password_changed", now);
      });
      await sessionsEnded(ended);
    },

    /**
     * Deletes the signed-in user's account after checking the password (limited like password change). In one
     * transaction: every module's rows are erased or anonymised, the sessions end and lose their device details,
     * and codes are dropped; after it commits, the files' objects are removed and the sockets close.
     */
    async deleteAccount(userId: string, password: string): Promise<void> {
      await checkOwnPassword(userId, password, "password");
      const now = clock.now();
      const removeObjects = await transaction(pool, async (tx) => {
        const removeObjects = await deps.users.eraseAccount(tx.db, userId, now);
        await endAllSessions(tx.db, userId, "account_deleted", now);
        await tx.db.update(sessions).set({ ip: null, userAgent: null }).where(eq(sessions.userId, userId));
        await tx.db.delete(oneTimeCodes).where(eq(oneTimeCodes.userId, userId));
        return removeObjects;
      });
      // Every socket of the user closes, whichever session it belonged to.
      await sessionsEnded({ userId });
      await removeObjects();
    },

    async verifyEmail(userId: string, code: string, client: ClientInfo): Promise<void> {
      const user = await getUser(db, userId);
      if (user.emailVerifiedAt) return;
      await limits.codeChecksPerIp.consume(client.ip);
      await redeemCode({ userId, key: userId }, "email_verification", code, async (tx, now) => {
        await updateUser(tx.db, userId, { emailVerifiedAt: now }, now);
      });
    },

    async resendVerification(userId: string, client: ClientInfo): Promise<void> {
      const user = await getUser(db, userId);
      if (user.emailVerifiedAt) {
        throw new AppError(authErrors.emailAlreadyVerified, "This email address is already verified");
      }
      await consumeAll([
        [limits.codeMailsPerIp, client.ip],
        [limits.codeMailsPerEmail, sha256(user.email)],
      ]);
      const now = clock.now();
      await transaction(pool, (tx) => sendVerificationCode(tx, user, now));
    },

    /** Deletes codes and tokens nobody can use any more. */
    async purgeExpired(): Promise<void> {
      const now = clock.now();
      await db.delete(oneTimeCodes).where(sql`${oneTimeCodes.expiresAt} < ${new Date(now.getTime() - day)}`);
      await db
        .delete(refreshTokens)
        .where(
          sql`${refreshTokens.expiresAt} < ${now} or ${refreshTokens.spentAt} < ${new Date(now.getTime() - 30 * day)}`,
        );
    },
  };
}

export type AuthService = ReturnType<typeof createAuthService>;

/** Creates an admin account (CLI and start-up bootstrap); the address counts as verified. */
export async function createAdmin(
  db: Database,
  input: { email: string; password: string; name: string },
  now: Date,
): Promise<{ created: boolean; user: UserRow }> {
  const user = await insertUser(
    db,
    {
      email: input.email,
      passwordHash: await hashPassword(input.password),
      name: input.name,
      role: "admin" satisfies Role,
      emailVerifiedAt: now,
    },
    now,
    { ifAbsent: true },
  );
  if (user) return { created: true, user };
  const existing = await findUserByEmail(db, input.email);
  if (!existing) throw new Error("admin insert conflicted but no user has this email");
  return { created: false, user: existing };
}

type RevokeReason = NonNullable<typeof sessions.$inferSelect.revokedReason>;

/**
 * Ends the open sessions `which` selects (all of one user's), inside the caller's transaction, and says which
 * ended: the caller passes that to the sessions-ended signal once the transaction has committed.
 */
async function revokeSessions(db: Executor, which: SQL, reason: RevokeReason, now: Date): Promise<string[]> {
  const rows = await db
    .update(sessions)
    .set({ revokedAt: now, revokedReason: reason })
    .where(and(which, isNull(sessions.revokedAt)))
    .returning({ id: sessions.id });
  return rows.map((row) => row.id);
}

/** Ends every open session of a user (logout-all, password changes, suspension), inside the caller's transaction. */
export async function endAllSessions(
  db: Executor,
  userId: string,
  reason: RevokeReason,
  now: Date,
): Promise<SessionsEnded> {
  const sessionIds = await revokeSessions(db, eq(sessions.userId, userId), reason, now);
  return { userId, sessionIds };
}
