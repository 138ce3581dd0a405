export { createAuthModule } from "./auth.module.js";
export { type AuthService, createAdmin, endAllSessions } from "./auth.service.js";
export { hashPassword, passwordSchema } from "./passwords.js";
export { createTokenIssuer, loadSigningKey, type TokenIssuer } from "./tokens.js";
