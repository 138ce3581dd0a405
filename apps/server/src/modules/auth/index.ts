export { authErrors } from "./auth.errors.js";
export { authRoutes } from "./auth.routes.js";
export { type AuthService, createAdmin, createAuthService, passwordResetQueue } from "./auth.service.js";
export { passwordSchema } from "./passwords.js";
export { createTokenIssuer, loadSigningKey, type TokenIssuer } from "./tokens.js";
