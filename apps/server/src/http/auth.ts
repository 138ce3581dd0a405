import type { Request } from "express";
import { AppError, coreErrors, type ErrorDef } from "./errors.js";

export const roles = ["customer", "contractor", "admin"] as const;
export type Role = (typeof roles)[number];

/**
 * The caller's account as stored, read with their session: what `GET /me` shows. Every change to the account
 * row tells each instance to drop the cached copy (a trigger on `users` notifies), so it is as fresh as the
 * session it came with.
 */
export interface AccountSnapshot {
  id: string;
  email: string;
  name: string;
  role: Role;
  phone: string | null;
  avatarKey: string | null;
  emailVerifiedAt: Date | null;
  status: "active" | "suspended" | "deleted";
  createdAt: Date;
}

/** Who is calling: established from a verified access token. */
export interface AuthUser {
  id: string;
  role: Role;
  /** The login session (refresh-token family) the access token belongs to. */
  sessionId: string;
  /** The account as read with the session (HTTP requests; absent where only the identity matters). */
  account?: AccountSnapshot;
}

/** Verifies access tokens; implemented by the auth module, injected so HTTP and sockets share it. */
export interface Authenticator {
  /** Resolves the caller, or throws an AppError (401 for bad tokens, 403 for suspended accounts). */
  authenticate(accessToken: string): Promise<AuthUser>;
  /** Every error `authenticate` throws, declared on each authenticated operation of the OpenAPI document. */
  readonly errors: readonly ErrorDef[];
}

export function bearerToken(req: Request): string | undefined {
  const header = req.headers.authorization;
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match?.[1]) {
    throw new AppError(
      coreErrors.unauthenticated,
      'The Authorization header must be "Bearer <access token>"',
    );
  }
  return match[1];
}

/** A session that held when it was read: enough to let its access tokens in without the database. */
export interface HeldSession {
  userId: string;
  /** The account's role as stored (not as claimed by the token). */
  role: Role;
  expiresAt: Date;
  account: AccountSnapshot;
}

export interface SessionCacheOptions {
  /** How long a cached session is trusted at most (0: never cached), whatever was heard. */
  ttlMs: number;
  maxEntries: number;
  /**
   * A barrier on the "sessions ended" signal: resolves once every signal committed before the call has been
   * handed to `forget`, with the number of the listening connection (`DatabaseChannel.sync`); `undefined`
   * when it cannot promise that.
   */
  sync: () => Promise<number | undefined>;
}

export interface SessionCache {
  /**
   * The session's state: from the cache when it may be trusted, otherwise from `load` (which throws when
   * the session no longer holds). An entry is trusted only if every "sessions ended" signal committed before
   * this call has been heard on the same listening connection it was stored under, and it is younger than
   * the TTL: a lost listener, a reconnection or a slow barrier means a database read.
   */
  get(
    userId: string,
    sessionId: string,
    nowMs: number,
    load: () => Promise<HeldSession>,
  ): Promise<HeldSession>;
  /**
   * Drops what is cached of these sessions (all the user's without `sessionIds`: their sessions ended, or
   * their account changed); nothing given: everything.
   */
  forget(ended?: { userId: string; sessionIds?: readonly string[] | undefined }): void;
}

/**
 * Sessions and account state kept in the process, so an authenticated request needs no database round trip
 * of its own while ending a session still takes effect at once on every instance: the instance that ends
 * sessions tells the others through PostgreSQL NOTIFY before it answers, and a cached session is used only
 * after a barrier on that channel (`sync`), shared by the requests waiting at the same moment. Only sessions
 * that hold are cached; a refusal is always read from the database.
 */
export function createSessionCache(options: SessionCacheOptions): SessionCache {
  interface Entry {
    session: HeldSession;
    generation: number;
    storedAt: number;
  }
  const entries = new Map<string, Entry>();
  const byUser = new Map<string, Set<string>>();
  // Bumped by every `forget`: a read that overlapped one may hold what was just ended, and is not stored.
  let forgets = 0;

  const remove = (sessionId: string) => {
    const entry = entries.get(sessionId);
    if (!entry) return;
    entries.delete(sessionId);
    const sessions = byUser.get(entry.session.userId);
    sessions?.delete(sessionId);
    if (sessions?.size === 0) byUser.delete(entry.session.userId);
  };
  const store = (sessionId: string, entry: Entry) => {
    remove(sessionId);
    if (entries.size >= options.maxEntries) {
      const oldest = entries.keys().next();
      if (!oldest.done) remove(oldest.value);
    }
    entries.set(sessionId, entry);
    const sessions = byUser.get(entry.session.userId) ?? new Set<string>();
    sessions.add(sessionId);
    byUser.set(entry.session.userId, sessions);
  };

  return {
    async get(userId, sessionId, nowMs, load) {
      if (options.ttlMs <= 0) return load();
      const generation = await options.sync();
      if (generation === undefined) return load();
      const entry = entries.get(sessionId);
      if (
        entry &&
        entry.generation === generation &&
        entry.session.userId === userId &&
        nowMs >= entry.storedAt &&
        nowMs - entry.storedAt < options.ttlMs &&
        entry.session.expiresAt.getTime() > nowMs
      ) {
        return entry.session;
      }
      const before = forgets;
      const session = await load();
      if (forgets === before) store(sessionId, { session, generation, storedAt: nowMs });
      return session;
    },

    forget(ended) {
      forgets += 1;
      if (!ended) {
        entries.clear();
        byUser.clear();
        return;
      }
      for (const sessionId of ended.sessionIds ?? [...(byUser.get(ended.userId) ?? [])]) remove(sessionId);
    },
  };
}
