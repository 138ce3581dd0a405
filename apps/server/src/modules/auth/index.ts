export { authErrors } from "./auth.errors.js";
export { authRoutes } from "./auth.routes.js";
export {
  type AuthService,
  createAdmin,
  createAuthService,
  endAllSessions,
  passwordResetQueue,
} from "./auth.service.js";
export { hashPassword, passwordSchema } from "./passwords.js";
export { createTokenIssuer, loadSigningKey, type TokenIssuer } from "./tokens.js";
