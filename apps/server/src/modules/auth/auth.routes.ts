import type { Request } from "express";
import { z } from "zod";
import type { ApiRouter } from "../../http/api.js";
import { clientAddress } from "../../http/client-address.js";
import { coreErrors } from "../../http/errors.js";
import { userErrors, userExample } from "../users/index.js";
import {
  acceptedSchema,
  changeBody,
  deleteAccountBody,
  forgotBody,
  loginBody,
  logoutBody,
  refreshBody,
  registerBody,
  resetBody,
  sessionSchema,
  tokenPairSchema,
  verifyEmailBody,
} from "./auth.contract.js";
import { authErrors } from "./auth.errors.js";
import type { AuthOptions, AuthService, ClientInfo } from "./auth.service.js";
import type { TokenIssuer } from "./tokens.js";

function clientOf(req: Request): ClientInfo {
  return { ip: clientAddress(req), userAgent: req.get("user-agent") };
}

const accepted = { status: "accepted" as const };

/** What the examples sign in with, and the tokens they get back. */
const examplePassword = "tulip-orbit-canvas-42";
const exampleTokens = {
  accessToken:
    "eyJhbGciOiJFZERTQSIsImtpZCI6ImtQcktfcW14VldhWVZBOXd3QkY2SXVvM3ZWenoiLCJ0eXAiOiJhdCtqd3QifQ.eyJzdWIiOiIwMTkyZjNhNC01YjZjLTdkOGUtOWYwMS0yMzQ1Njc4OWFiY2QiLCJyb2xlIjoiY3VzdG9tZXIiLCJleHAiOjE3NzI0NDUxNjd9.3q2-7wFZp0y4nQ8yFh6KcQ1xW3sVdE9uN0aJbL5mR2tY7oP4iZ8gH1fC6eD9kB0sA2vX5wU3rT8yQ1pO7nM4Bw",
  refreshToken: "p8Xq2vLk9ZsT4mWc7Jd1RfYb6NhG3eQa0UoIyK5tBnE",
  accessTokenExpiresAt: "2026-03-02T09:29:27.000Z",
};
const exampleSession = { user: userExample, ...exampleTokens };

const jwksSchema = z
  .object({ keys: z.array(z.record(z.string(), z.unknown())) })
  .meta({ id: "JsonWebKeySet", description: "Public keys that verify access tokens (RFC 7517)" });

export function authRoutes(auth: AuthService, tokens: TokenIssuer, codes: AuthOptions["codes"]) {
  // The document states the configured code rules (CODE_TTL_MINUTES, CODE_MAX_ATTEMPTS).
  const minutes = `${codes.ttlMinutes} ${codes.ttlMinutes === 1 ? "minute" : "minutes"}`;
  const attempts = `${codes.maxAttempts} wrong ${codes.maxAttempts === 1 ? "attempt" : "attempts"}`;
  return (api: ApiRouter) => {
    api.route({
      method: "get",
      path: "/auth/jwks.json",
      tags: ["Auth"],
      summary: "Public keys that verify access tokens",
      description:
        "For other services that want to check JobSphere access tokens themselves (EdDSA, `kid` in the header).",
      access: "public",
      response: { status: 200, description: "The key set", schema: jwksSchema },
      examples: {
        response: {
          keys: [
            {
              kty: "OKP",
              crv: "Ed25519",
              x: "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
              kid: "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k",
              alg: "EdDSA",
              use: "sig",
            },
          ],
        },
      },
      handler: async () => tokens.jwks(),
    });

    api.route({
      method: "post",
      path: "/auth/register",
      tags: ["Auth"],
      summary: "Create a customer or contractor account",
      description:
        "Signs the new user in and emails a 6-digit code to confirm the address (`POST /auth/email/verify`). Admin accounts cannot be registered. Registrations per client address are limited (429).",
      access: "public",
      body: registerBody,
      response: { status: 201, description: "The account and its first session", schema: sessionSchema },
      errors: [authErrors.emailTaken, coreErrors.rateLimited],
      examples: {
        request: {
          email: "maria.lopez@example.com",
          password: examplePassword,
          name: "Maria Lopez",
          role: "customer",
          phone: "+14155550123",
        },
        response: { ...exampleSession, user: { ...userExample, avatarUrl: null, emailVerified: false } },
      },
      handler: ({ body, req }) => auth.register(body, clientOf(req)),
    });

    api.route({
      method: "post",
      path: "/auth/login",
      tags: ["Auth"],
      summary: "Sign in with email and password",
      description:
        "Failures are counted per account and client address, per address across accounts, and per account from addresses it never signed in from; past a limit, attempts are refused for a while (429), the right password included. A successful login forgives its address's failures.",
      access: "public",
      body: loginBody,
      response: { status: 200, description: "A new session", schema: sessionSchema },
      errors: [authErrors.invalidCredentials, authErrors.accountSuspended, coreErrors.rateLimited],
      examples: {
        request: { email: "maria.lopez@example.com", password: examplePassword },
        response: exampleSession,
      },
      handler: ({ body, req }) => auth.login(body, clientOf(req)),
    });

    api.route({
      method: "post",
      path: "/auth/refresh",
      tags: ["Auth"],
      summary: "Exchange a refresh token for a new token pair",
      description:
        "Refresh tokens are single use. Presenting one that was already exchanged ends the whole session (`auth.refresh_reused`): sign in again.",
      access: "public",
      body: refreshBody,
      response: { status: 200, description: "A new access and refresh token", schema: tokenPairSchema },
      errors: [
        authErrors.invalidRefreshToken,
        authErrors.refreshReused,
        authErrors.sessionEnded,
        authErrors.accountSuspended,
      ],
      examples: {
        request: { refreshToken: "p8Xq2vLk9ZsT4mWc7Jd1RfYb6NhG3eQa0UoIyK5tBnE" },
        response: {
          ...exampleTokens,
          refreshToken: "Vn3cR8wJ1kTq6ZyA0sLm4HdXe9PbG2uFo7iKt5NjWgQ",
          accessTokenExpiresAt: "2026-03-02T09:44:31.000Z",
        },
      },
      handler: ({ body }) => auth.refresh(body.refreshToken),
    });

    api.route({
      method: "post",
      path: "/auth/logout",
      tags: ["Auth"],
      summary: "End the session the refresh token belongs to",
      description:
        "Needs only the refresh token: no access token (an expired one may be sent and is ignored). Always answers 204, also when the session had already ended, the token was spent, or it is unknown, so an app can sign out offline-first and retry freely. Ends exactly that session and its sockets; other devices stay signed in.",
      access: "public",
      body: logoutBody,
      response: { status: 204, description: "The session has ended (or was not open)" },
      examples: { request: { refreshToken: "Vn3cR8wJ1kTq6ZyA0sLm4HdXe9PbG2uFo7iKt5NjWgQ" } },
      handler: async ({ body }) => {
        await auth.logout(body.refreshToken);
      },
    });

    api.route({
      method: "post",
      path: "/auth/logout-all",
      tags: ["Auth"],
      summary: "End every session of the signed-in user, on every device",
      access: "user",
      response: { status: 204, description: "All sessions have ended" },
      handler: async ({ user }) => {
        await auth.logoutAll(user.id);
      },
    });

    api.route({
      method: "post",
      path: "/auth/password/forgot",
      tags: ["Auth"],
      summary: "Email a password reset code",
      description: `Always answers 202, whether or not an account has this email. If one does, a 6-digit code valid for ${minutes} is emailed; a newer code replaces an older one. Code emails are limited per email address and per client address (429).`,
      access: "public",
      body: forgotBody,
      response: { status: 202, description: "Accepted", schema: acceptedSchema },
      errors: [coreErrors.rateLimited],
      examples: { request: { email: "maria.lopez@example.com" }, response: accepted },
      handler: async ({ body, req }) => {
        await auth.forgotPassword(body.email, clientOf(req));
        return accepted;
      },
    });

    api.route({
      method: "post",
      path: "/auth/password/reset",
      tags: ["Auth"],
      summary: "Choose a new password with the emailed code",
      description: `A code is valid for ${minutes} and allows ${attempts}: a wrong one answers \`auth.invalid_code\` with \`attemptsRemaining\`; after the last, any code gets \`auth.code_attempts_exceeded\`, and the right code too late gets \`auth.code_expired\` (ask for a new one with \`POST /auth/password/forgot\`). An email without an account, or without a pending code, answers exactly like a wrong code. On success every session of the account ends. Code checks per client address are limited (429).`,
      access: "public",
      body: resetBody,
      response: { status: 204, description: "The password is changed" },
      errors: [
        authErrors.invalidCode,
        authErrors.codeExpired,
        authErrors.codeAttemptsExceeded,
        coreErrors.rateLimited,
      ],
      examples: {
        request: {
          email: "maria.lopez@example.com",
          code: "482913",
          newPassword: "harbour-mosaic-lantern-7",
        },
      },
      handler: async ({ body, req }) => {
        await auth.resetPassword(body, clientOf(req));
      },
    });

    api.route({
      method: "post",
      path: "/auth/password/change",
      tags: ["Auth"],
      summary: "Change the password",
      description:
        "Every session ends, this one included: sign in again with the new password. Wrong current passwords are limited per account like failed logins (429).",
      access: "user",
      body: changeBody,
      response: { status: 204, description: "The password is changed" },
      errors: [authErrors.wrongPassword, coreErrors.rateLimited, userErrors.notFound],
      examples: { request: { currentPassword: examplePassword, newPassword: "harbour-mosaic-lantern-7" } },
      handler: async ({ body, user }) => {
        await auth.changePassword(user.id, body);
      },
    });

    api.route({
      method: "delete",
      path: "/me",
      tags: ["Account"],
      summary: "Delete the signed-in user's account",
      description:
        "Needs the current password. The account's personal data is anonymised (the name becomes \"Deleted user\"; email, phone, avatar and password are cleared), a contractor's profile, portfolio and availability and a customer's profile are removed, the user's files are deleted, and every session and socket ends; the email can register again at once. Records others rely on (money, reviews, conversations) keep pointing at the anonymised account. Refused with 409 `user.deletion_blocked` while money is held or available or a booking is open (the detail says which), and with 409 `user.last_admin` for the last admin. Wrong passwords are limited per account like password change (429).",
      access: "user",
      body: deleteAccountBody,
      response: { status: 204, description: "The account is deleted" },
      errors: [
        authErrors.wrongPassword,
        userErrors.deletionBlocked,
        userErrors.lastAdmin,
        coreErrors.rateLimited,
        userErrors.notFound,
      ],
      examples: { request: { password: examplePassword } },
      handler: async ({ body, user }) => {
        await auth.deleteAccount(user.id, body.password);
      },
    });

    api.route({
      method: "post",
      path: "/auth/email/verify",
      tags: ["Auth"],
      summary: "Confirm the email address with the emailed code",
      description: `Codes work as in \`POST /auth/password/reset\`: \`auth.invalid_code\` with \`attemptsRemaining\`, then \`auth.code_attempts_exceeded\` after ${attempts}; \`auth.code_expired\` for the right code after ${minutes} (\`POST /auth/email/resend\` sends a new one).`,
      access: "user",
      body: verifyEmailBody,
      response: { status: 204, description: "The address is verified" },
      errors: [
        authErrors.invalidCode,
        authErrors.codeExpired,
        authErrors.codeAttemptsExceeded,
        coreErrors.rateLimited,
        userErrors.notFound,
      ],
      examples: { request: { code: "482913" } },
      handler: async ({ body, user, req }) => {
        await auth.verifyEmail(user.id, body.code, clientOf(req));
      },
    });

    api.route({
      method: "post",
      path: "/auth/email/resend",
      tags: ["Auth"],
      summary: "Email a new verification code",
      access: "user",
      response: { status: 202, description: "Accepted", schema: acceptedSchema },
      errors: [authErrors.emailAlreadyVerified, coreErrors.rateLimited, userErrors.notFound],
      examples: { response: accepted },
      handler: async ({ user, req }) => {
        await auth.resendVerification(user.id, clientOf(req));
        return accepted;
      },
    });
  };
}
