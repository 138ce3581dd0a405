import { defineErrors } from "../../http/errors.js";

export const authErrors = defineErrors({
  emailTaken: { code: "auth.email_taken", status: 409, title: "An account with this email already exists" },
  invalidCredentials: { code: "auth.invalid_credentials", status: 401, title: "Wrong email or password" },
  accountSuspended: { code: "auth.account_suspended", status: 403, title: "This account is suspended" },
  invalidToken: { code: "auth.invalid_token", status: 401, title: "The access token is invalid" },
  tokenExpired: { code: "auth.token_expired", status: 401, title: "The access token has expired" },
  sessionEnded: { code: "auth.session_ended", status: 401, title: "This session has ended; sign in again" },
  invalidRefreshToken: {
    code: "auth.invalid_refresh_token",
    status: 401,
    title: "The refresh token is invalid or expired",
  },
  refreshReused: {
    code: "auth.refresh_reused",
    status: 401,
    title: "This refresh token was already used; the session has been ended for safety",
  },
  originRefused: {
    code: "auth.origin_refused",
    status: 403,
    title: "The sign-in cookie may be used only by this server's own pages",
  },
  invalidCode: { code: "auth.invalid_code", status: 400, title: "The code is wrong" },
  codeExpired: { code: "auth.code_expired", status: 400, title: "The code has expired; ask for a new one" },
  codeAttemptsExceeded: {
    code: "auth.code_attempts_exceeded",
    status: 400,
    title: "Too many wrong codes; ask for a new one",
  },
  wrongPassword: { code: "auth.wrong_password", status: 400, title: "The current password is wrong" },
  emailAlreadyVerified: {
    code: "auth.email_already_verified",
    status: 409,
    title: "The email address is already verified",
  },
});
