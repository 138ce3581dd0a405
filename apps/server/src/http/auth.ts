import type { Request } from "express";
import { AppError, coreErrors, type ErrorDef } from "./errors.js";

export const roles = ["customer", "contractor", "admin"] as const;
export type Role = (typeof roles)[number];

/** Who is calling: established from a verified access token. */
export interface AuthUser {
  id: string;
  role: Role;
  /** The login session (refresh-token family) the access token belongs to. */
  sessionId: string;
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
