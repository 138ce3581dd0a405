import { z } from "zod";
import { nameSchema, phoneSchema, userSchema } from "../users/index.js";
import { passwordSchema } from "./passwords.js";

const email = z.string().trim().toLowerCase().pipe(z.email("must be an email address").max(254));
/** Any wrong code, whatever its shape, is the same `auth.invalid_code`: the answer gives no hint. */
const code = z
  .string()
  .trim()
  .min(1, "is required")
  .max(12)
  .meta({ description: "The 6-digit code from the email" });
/** Passwords are checked against the stored hash only: the policy applies when one is chosen. */
const anyPassword = z.string().min(1, "is required").max(128);
/** Unknown tokens of any shape are 401 `auth.invalid_refresh_token`, not a validation error. */
const refreshToken = z.string().min(1, "is required").max(512);

export const registerBody = z
  .strictObject({
    email,
    password: passwordSchema,
    name: nameSchema,
    role: z.enum(["customer", "contractor"], "must be customer or contractor"),
    phone: phoneSchema.optional(),
  })
  .meta({ id: "RegisterRequest" });

export const loginBody = z.strictObject({ email, password: anyPassword }).meta({ id: "LoginRequest" });
export const refreshBody = z.strictObject({ refreshToken }).meta({ id: "RefreshRequest" });
export const logoutBody = z.strictObject({ refreshToken }).meta({ id: "LogoutRequest" });
export const forgotBody = z.strictObject({ email }).meta({ id: "ForgotPasswordRequest" });
export const resetBody = z
  .strictObject({ email, code, newPassword: passwordSchema })
  .meta({ id: "ResetPasswordRequest" });
export const changeBody = z
  .strictObject({ currentPassword: anyPassword, newPassword: passwordSchema })
  .meta({ id: "ChangePasswordRequest" });
export const deleteAccountBody = z
  .strictObject({ password: anyPassword.meta({ description: "The account's current password" }) })
  .meta({ id: "DeleteAccountRequest" });
export const verifyEmailBody = z.strictObject({ code }).meta({ id: "VerifyEmailRequest" });

export const tokenPairSchema = z
  .object({
    accessToken: z.string().meta({ description: "JWT (EdDSA) to send as `Authorization: Bearer …`" }),
    refreshToken: z.string().meta({ description: "Opaque, single use: exchange it at /auth/refresh" }),
    accessTokenExpiresAt: z.iso.datetime(),
  })
  .meta({ id: "TokenPair" });

export const sessionSchema = z
  .object({
    user: userSchema,
    accessToken: z.string(),
    refreshToken: z.string(),
    accessTokenExpiresAt: z.iso.datetime(),
  })
  .meta({ id: "AuthSession" });

export const acceptedSchema = z.object({ status: z.literal("accepted") }).meta({ id: "Accepted" });

export type TokenPair = z.infer<typeof tokenPairSchema>;
export type AuthSession = z.infer<typeof sessionSchema>;
