import { and, eq, isNull, type SQL, sql } from "drizzle-orm";
import type pg from "pg";
import type { Clock } from "../../clock.js";
import type { Database, Executor } from "../../db/client.js";
import { newId } from "../../db/columns.js";
import { isUniqueViolation } from "../../db/errors.js";
import { type Tx, transaction } from "../../db/transaction.js";
import type { Authenticator, AuthUser, Role } from "../../http/auth.js";
import { AppError } from "../../http/errors.js";
import { createLimiter, type Limiter } from "../../http/rate-limit.js";
import type { JobQueue } from "../../jobs/queue.js";
import type { Logger } from "../../logger.js";
import { enqueueEmail, passwordResetEmail, verificationCodeEmail } from "../notifications/index.js";
import {
  findUserByEmail,
  getUser,
  normaliseEmail,
  type PublicUrl,
  presentUser,
  type UserRow,
  type UserWithAvatar,
  users,
} from "../users/index.js";
import type { AuthSession, TokenPair } from "./auth.contract.js";
import { authErrors } from "./auth.errors.js";
import { oneTimeCodes, refreshTokens, sessions } from "./auth.tables.js";
import { burnPasswordCheck, hashPassword, verifyPassword } from "./passwords.js";
import { newRefreshToken, newSixDigitCode, sha256, type TokenIssuer } from "./tokens.js";

export const codeLifetimeMinutes = 10;
export const maxCodeAttempts = 5;
export const passwordResetQueue = "auth.password-reset";

export interface AuthOptions {
  refreshTokenIdleDays: number;
  sessionMaxDays: number;
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
}

/** Where a request came from, kept on the session for the user's device list. */
export interface ClientInfo {
  ip: string | undefined;
  userAgent: string | undefined;
}

type CodePurpose = "email_verification" | "password_reset";

const day = 24 * 60 * 60 * 1000;

export function createAuthService(deps: AuthDeps) {
  const { db, pool, jobs, clock, tokens } = deps;
  const limits = {
    loginFailuresPerEmail: createLimiter(pool, {
      name: "login_fail_email",
      points: 10,
      windowSeconds: 15 * 60,
    }),
    loginFailuresPerIp: createLimiter(pool, { name: "login_fail_ip", points: 50, windowSeconds: 15 * 60 }),
    codeMailsPerEmail: createLimiter(pool, { name: "code_mail_email", points: 5, windowSeconds: 60 * 60 }),
    codeMailsPerIp: createLimiter(pool, { name: "code_mail_ip", points: 30, windowSeconds: 60 * 60 }),
    codeChecksPerIp: createLimiter(pool, { name: "code_check_ip", points: 30, windowSeconds: 15 * 60 }),
  } satisfies Record<string, Limiter>;

  async function issueTokens(tx: Tx, user: UserRow, sessionId: string, now: Date): Promise<TokenPair> {
    const refreshToken = newRefreshToken();
    await tx.db.insert(refreshTokens).values({
      sessionId,
      tokenHash: sha256(refreshToken),
      createdAt: now,
      expiresAt: new Date(now.getTime() + deps.options.refreshTokenIdleDays * day),
    });
    const access = await tokens.issueAccessToken({ userId: user.id, role: user.role, sessionId }, now);
    return { accessToken: access.token, refreshToken, accessTokenExpiresAt: access.expiresAt.toISOString() };
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
      ip: client.ip ?? null,
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
   * attempts (and that is committed); after the last one the code is dead.
   */
  async function redeemCode(
    userId: string | undefined,
    purpose: CodePurpose,
    code: string,
    onSuccess: (tx: Tx, now: Date) => Promise<void>,
  ): Promise<void> {
    const now = clock.now();
    const redeemed = await transaction(pool, async (tx) => {
      if (!userId) return false;
      const [open] = await tx.db
        .select()
        .from(oneTimeCodes)
        .where(
          and(
            eq(oneTimeCodes.userId, userId),
            eq(oneTimeCodes.purpose, purpose),
            isNull(oneTimeCodes.closedAt),
          ),
        )
        .for("update");
      if (!open || open.expiresAt <= now) return false;
      if (open.codeHash !== sha256(`${open.id}:${code}`)) {
        const attempts = open.attempts + 1;
        await tx.db
          .update(oneTimeCodes)
          .set({ attempts, ...(attempts >= maxCodeAttempts ? { closedAt: now } : {}) })
          .where(eq(oneTimeCodes.id, open.id));
        return false;
      }
      await tx.db.update(oneTimeCodes).set({ closedAt: now }).where(eq(oneTimeCodes.id, open.id));
      await onSuccess(tx, now);
      return true;
    });
    if (!redeemed)
      throw new AppError(authErrors.invalidCode, "The code is wrong or has expired; ask for a new one");
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
      const [row] = await db
        .select({
          status: users.status,
          role: users.role,
          revokedAt: sessions.revokedAt,
          expiresAt: sessions.expiresAt,
        })
        .from(sessions)
        .innerJoin(users, eq(users.id, sessions.userId))
        .where(and(eq(sessions.id, claims.sessionId), eq(sessions.userId, claims.userId)));
      // Suspension first: it is the reason the user needs to hear, even though it also ended the session.
      if (row?.status === "suspended") {
        throw new AppError(authErrors.accountSuspended, "This account is suspended; contact support");
      }
      if (!row || row.revokedAt !== null || row.expiresAt <= now) {
        throw new AppError(authErrors.sessionEnded, "This session has ended; sign in again");
      }
      return { id: claims.userId, role: row.role, sessionId: claims.sessionId };
    },
  };

  return {
    authenticator,
    limits,

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
      const now = clock.now();
      const passwordHash = await hashPassword(input.password);
      try {
        return await transaction(pool, async (tx) => {
          const [user] = await tx.db
            .insert(users)
            .values({
              email: normaliseEmail(input.email),
              passwordHash,
              name: input.name,
              role: input.role,
              phone: input.phone ?? null,
              createdAt: now,
              updatedAt: now,
            })
            .returning();
          if (!user) throw new Error("insert returned no user");
          await sendVerificationCode(tx, user, now);
          return openSession(tx, { ...user, avatarKey: null }, client, now);
        });
      } catch (error) {
        if (isUniqueViolation(error, "users_email")) {
          throw new AppError(
            authErrors.emailTaken,
            "An account with this email already exists; sign in instead",
            {
              errors: [{ path: "email", message: "is already registered", in: "body" }],
            },
          );
        }
        throw error;
      }
    },

    async login(input: { email: string; password: string }, client: ClientInfo): Promise<AuthSession> {
      const email = normaliseEmail(input.email);
      const ipKey = client.ip ?? "unknown";
      await limits.loginFailuresPerEmail.check(email);
      await limits.loginFailuresPerIp.check(ipKey);
      const user = await findUserByEmail(db, email);
      const valid = user
        ? await verifyPassword(user.passwordHash, input.password)
        : await burnPasswordCheck(input.password).then(() => false);
      if (!user || !valid) {
        await limits.loginFailuresPerEmail.consume(email).catch(() => {});
        await limits.loginFailuresPerIp.consume(ipKey).catch(() => {});
        throw new AppError(authErrors.invalidCredentials, "The email or the password is wrong");
      }
      await assertActive(user);
      await limits.loginFailuresPerEmail.reset(email);
      const now = clock.now();
      return transaction(pool, (tx) => openSession(tx, user, client, now));
    },

    async refresh(token: string): Promise<TokenPair> {
      const now = clock.now();
      const outcome = await transaction(pool, async (tx) => {
        const [found] = await tx.db
          .select({ token: refreshTokens, session: sessions })
          .from(refreshTokens)
          .innerJoin(sessions, eq(sessions.id, refreshTokens.sessionId))
          .where(eq(refreshTokens.tokenHash, sha256(token)))
          .for("update");
        if (!found) return { error: authErrors.invalidRefreshToken } as const;
        const { session } = found;
        if (found.token.spentAt !== null) {
          // A spent token presented again: it was stolen, or the client is broken. End the whole family.
          await revokeSessions(tx.db, eq(sessions.id, session.id), "refresh_reused", now);
          return { error: authErrors.refreshReused } as const;
        }
        if (session.revokedAt !== null || session.expiresAt <= now)
          return { error: authErrors.sessionEnded } as const;
        if (found.token.expiresAt <= now) return { error: authErrors.invalidRefreshToken } as const;
        const user = await getUser(tx.db, session.userId);
        if (user.status === "suspended") return { error: authErrors.accountSuspended } as const;
        await tx.db.update(refreshTokens).set({ spentAt: now }).where(eq(refreshTokens.id, found.token.id));
        await tx.db.update(sessions).set({ lastUsedAt: now }).where(eq(sessions.id, session.id));
        return { pair: await issueTokens(tx, user, session.id, now) } as const;
      });
      if (outcome.error) throw new AppError(outcome.error);
      return outcome.pair;
    },

    async logout(userId: string, token: string): Promise<void> {
      const now = clock.now();
      await transaction(pool, async (tx) => {
        const [found] = await tx.db
          .select({ sessionId: refreshTokens.sessionId })
          .from(refreshTokens)
          .innerJoin(sessions, eq(sessions.id, refreshTokens.sessionId))
          .where(and(eq(refreshTokens.tokenHash, sha256(token)), eq(sessions.userId, userId)));
        if (found) await revokeSessions(tx.db, eq(sessions.id, found.sessionId), "logout", now);
      });
    },

    async logoutAll(userId: string): Promise<void> {
      const now = clock.now();
      await transaction(pool, (tx) => endAllSessions(tx.db, userId, "logout_all", now));
    },

    /** Always succeeds from the caller's view; the work happens in a job, so timing reveals nothing. */
    async forgotPassword(email: string, client: ClientInfo): Promise<void> {
      const normalised = normaliseEmail(email);
      await limits.codeMailsPerIp.consume(client.ip ?? "unknown");
      await limits.codeMailsPerEmail.consume(normalised);
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
      await limits.codeChecksPerIp.consume(client.ip ?? "unknown");
      const user = await findUserByEmail(db, input.email);
      const passwordHash = await hashPassword(input.newPassword);
      await redeemCode(user?.id, "password_reset", input.code, async (tx, now) => {
        if (!user) return;
        // Receiving the code proves control of the mailbox, so the address counts as verified too.
        await tx.db
          .update(users)
          .set({ passwordHash, updatedAt: now, emailVerifiedAt: user.emailVerifiedAt ?? now })
          .where(eq(users.id, user.id));
        await endAllSessions(tx.db, user.id, "password_reset", now);
      });
    },

    async changePassword(
      userId: string,
      input: { currentPassword: string; newPassword: string },
    ): Promise<void> {
      const user = await getUser(db, userId);
      if (!(await verifyPassword(user.passwordHash, input.currentPassword))) {
        throw new AppError(authErrors.wrongPassword, "The current password is wrong", {
          errors: [{ path: "currentPassword", message: "is wrong", in: "body" }],
        });
      }
      const passwordHash = await hashPassword(input.newPassword);
      const now = clock.now();
      await transaction(pool, async (tx) => {
        await tx.db.update(users).set({ passwordHash, updatedAt: now }).where(eq(users.id, userId));
        await endAllSessions(tx.db, userId, "password_changed", now);
      });
    },

    async verifyEmail(userId: string, code: string, client: ClientInfo): Promise<void> {
      const user = await getUser(db, userId);
      if (user.emailVerifiedAt) return;
      await limits.codeChecksPerIp.consume(client.ip ?? "unknown");
      await redeemCode(userId, "email_verification", code, async (tx, now) => {
        await tx.db.update(users).set({ emailVerifiedAt: now, updatedAt: now }).where(eq(users.id, userId));
      });
    },

    async resendVerification(userId: string, client: ClientInfo): Promise<void> {
      const user = await getUser(db, userId);
      if (user.emailVerifiedAt) {
        throw new AppError(authErrors.emailAlreadyVerified, "This email address is already verified");
      }
      await limits.codeMailsPerIp.consume(client.ip ?? "unknown");
      await limits.codeMailsPerEmail.consume(user.email);
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
  const [user] = await db
    .insert(users)
    .values({
      email: normaliseEmail(input.email),
      passwordHash: await hashPassword(input.password),
      name: input.name,
      role: "admin" satisfies Role,
      emailVerifiedAt: now,
      createdAt: now,
      updatedAt: now,
    })
    .onConflictDoNothing()
    .returning();
  if (user) return { created: true, user };
  const existing = await findUserByEmail(db, input.email);
  if (!existing) throw new Error("admin insert conflicted but no user has this email");
  return { created: false, user: existing };
}

type RevokeReason = NonNullable<typeof sessions.$inferSelect.revokedReason>;

/** Ends the open sessions `which` selects, inside the caller's transaction. */
async function revokeSessions(db: Executor, which: SQL, reason: RevokeReason, now: Date): Promise<void> {
  await db
    .update(sessions)
    .set({ revokedAt: now, revokedReason: reason })
    .where(and(which, isNull(sessions.revokedAt)));
}

/** Ends every open session of a user (logout-all, password changes, suspension), inside the caller's transaction. */
export function endAllSessions(db: Executor, userId: string, reason: RevokeReason, now: Date): Promise<void> {
  return revokeSessions(db, eq(sessions.userId, userId), reason, now);
}
