import type { Request, Response } from "express";
import { z } from "zod";
import type { ApiRouter } from "../../http/api.js";
import { clientAddress } from "../../http/client-address.js";
import { AppError, coreErrors } from "../../http/errors.js";
import { userExample, userSchema } from "../users/index.js";
import { loginBody } from "./auth.contract.js";
import { authErrors } from "./auth.errors.js";
import type { AuthOptions, AuthService } from "./auth.service.js";

/**
 * Sign-in for web pages (the admin dashboard): the refresh token never reaches page scripts. It travels in an
 * httpOnly, SameSite=Strict cookie scoped to these routes; the access token is answered and kept in memory.
 */
export const refreshCookie = "jobsphere_refresh";
export const browserAuthPath = "/api/v1/auth/browser";

const browserSessionSchema = z
  .object({
    user: userSchema,
    accessToken: z
      .string()
      .meta({ description: "JWT to send as `Authorization: Bearer …`; keep it in memory" }),
    accessTokenExpiresAt: z.iso.datetime(),
  })
  .meta({ id: "BrowserSession" });

const browserTokenSchema = browserSessionSchema.omit({ user: true }).meta({ id: "BrowserToken" });

const exampleSession = {
  user: { ...userExample, role: "admin" as const },
  accessToken:
    "eyJhbGciOiJFZERTQSIsImtpZCI6ImtQcktfcW14VldhWVZBOXd3QkY2SXVvM3ZWenoiLCJ0eXAiOiJhdCtqd3QifQ.eyJzdWIiOiIwMTkyZjNhNC01YjZjLTdkOGUtOWYwMS0yMzQ1Njc4OWFiY2QiLCJyb2xlIjoiYWRtaW4iLCJleHAiOjE3NzI0NDUxNjd9.3q2-7wFZp0y4nQ8yFh6KcQ1xW3sVdE9uN0aJbL5mR2tY7oP4iZ8gH1fC6eD9kB0sA2vX5wU3rT8yQ1pO7nM4Bw",
  accessTokenExpiresAt: "2026-03-02T09:29:27.000Z",
};

/** The refresh cookie's value, if the browser sent one. */
function cookieOf(req: Request): string | undefined {
  for (const part of (req.get("cookie") ?? "").split(";")) {
    const at = part.indexOf("=");
    if (at > 0 && part.slice(0, at).trim() === refreshCookie) {
      const value = part.slice(at + 1).trim();
      return value.length > 0 ? value : undefined;
    }
  }
  return undefined;
}

/**
 * SameSite=Strict keeps the cookie off requests other sites start; the `Origin` check refuses what gets
 * through anyway (a sibling subdomain counts as the same site): only pages of this server's own origin may
 * spend the cookie. Browsers send `Origin` on every POST, so its absence is refused too.
 */
function assertSameOrigin(req: Request): void {
  const origin = req.get("origin");
  const own = `${req.protocol}://${req.get("host")}`;
  if (origin !== own) {
    throw new AppError(
      authErrors.originRefused,
      origin
        ? `Requests from ${origin} may not use the sign-in cookie of ${own}`
        : "The request carries no Origin header: the sign-in cookie is spent only by this server's own pages",
    );
  }
}

export function browserAuthRoutes(auth: AuthService, options: Pick<AuthOptions, "refreshTokenIdleDays">) {
  const setCookie = (req: Request, res: Response, token: string) =>
    res.cookie(refreshCookie, token, {
      httpOnly: true,
      sameSite: "strict",
      // Over plain HTTP (a developer's machine) a Secure cookie would never come back.
      secure: req.secure,
      path: browserAuthPath,
      maxAge: options.refreshTokenIdleDays * 86_400_000,
    });
  const clearCookie = (req: Request, res: Response) =>
    res.clearCookie(refreshCookie, {
      httpOnly: true,
      sameSite: "strict",
      secure: req.secure,
      path: browserAuthPath,
    });

  return (api: ApiRouter) => {
    api.route({
      method: "post",
      path: "/auth/browser/login",
      tags: ["Auth"],
      summary: "Sign in from a web page: the refresh token is set as an httpOnly cookie",
      description:
        "Like `POST /auth/login` (same limits and errors), but the refresh token is not in the answer: it is set as the `jobsphere_refresh` cookie (httpOnly, SameSite=Strict, Secure over HTTPS, path `/api/v1/auth/browser`), so page scripts never see it. Keep the access token in memory and get a new one with `POST /auth/browser/refresh`.",
      access: "public",
      body: loginBody,
      response: { status: 200, description: "The user and an access token", schema: browserSessionSchema },
      errors: [authErrors.invalidCredentials, authErrors.accountSuspended, coreErrors.rateLimited],
      examples: {
        request: { email: "admin@jobsphere.example", password: "tulip-orbit-canvas-42" },
        response: exampleSession,
      },
      handler: async ({ body, req, res }) => {
        const session = await auth.login(body, { ip: clientAddress(req), userAgent: req.get("user-agent") });
        setCookie(req, res, session.refreshToken);
        return {
          user: session.user,
          accessToken: session.accessToken,
          accessTokenExpiresAt: session.accessTokenExpiresAt,
        };
      },
    });

    api.route({
      method: "post",
      path: "/auth/browser/refresh",
      tags: ["Auth"],
      summary: "A new access token for a web page, from its sign-in cookie",
      description:
        "No body: the `jobsphere_refresh` cookie is spent and replaced (rotation, as `POST /auth/refresh`); read the user with `GET /me`. Only pages of this server's own origin may call it: another `Origin`, or none, is 403 `auth.origin_refused`. Without the cookie: 401 `auth.invalid_refresh_token` (sign in).",
      access: "public",
      response: { status: 200, description: "A new access token", schema: browserTokenSchema },
      errors: [
        authErrors.originRefused,
        authErrors.invalidRefreshToken,
        authErrors.refreshReused,
        authErrors.sessionEnded,
        authErrors.accountSuspended,
      ],
      examples: {
        response: {
          accessToken: exampleSession.accessToken,
          accessTokenExpiresAt: "2026-03-02T09:44:31.000Z",
        },
      },
      handler: async ({ req, res }) => {
        assertSameOrigin(req);
        const token = cookieOf(req);
        if (!token)
          throw new AppError(authErrors.invalidRefreshToken, "Not signed in on this browser: sign in");
        try {
          const pair = await auth.refresh(token);
          setCookie(req, res, pair.refreshToken);
          return {
            accessToken: pair.accessToken,
            accessTokenExpiresAt: pair.accessTokenExpiresAt,
          };
        } catch (error) {
          // A cookie that can no longer be spent is dropped, so the page shows its sign-in form.
          if (error instanceof AppError && error.status === 401) clearCookie(req, res);
          throw error;
        }
      },
    });

    api.route({
      method: "post",
      path: "/auth/browser/logout",
      tags: ["Auth"],
      summary: "Sign a web page out: its session ends and the cookie is removed",
      description:
        "Always 204 for this server's own pages, signed in or not. Another `Origin`, or none, is 403 `auth.origin_refused`.",
      access: "public",
      response: { status: 204, description: "Signed out" },
      errors: [authErrors.originRefused],
      handler: async ({ req, res }) => {
        assertSameOrigin(req);
        const token = cookieOf(req);
        if (token) await auth.logout(token);
        clearCookie(req, res);
      },
    });
  };
}
