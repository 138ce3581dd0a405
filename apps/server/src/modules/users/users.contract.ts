import { z } from "zod";
import { roles } from "../../http/auth.js";

/** International numbers, stored in E.164; spaces, dots, dashes and brackets people type are dropped. */
export const phoneSchema = z
  .string()
  .max(40)
  .transform((value) => value.replace(/[\s().-]/g, ""))
  .pipe(
    z
      .string()
      .regex(/^\+[1-9]\d{6,14}$/, "must be an international number with its country code, e.g. +14155550123"),
  );

export const nameSchema = z.string().trim().min(1, "must not be empty").max(100, "at most 100 characters");

export const userSchema = z
  .object({
    id: z.uuid(),
    email: z.email(),
    name: z.string(),
    role: z.enum(roles),
    phone: z.string().nullable(),
    avatarUrl: z.string().nullable(),
    emailVerified: z.boolean(),
    status: z.enum(["active", "suspended", "deleted"]),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: "User" });

export type User = z.infer<typeof userSchema>;

export const updateMeBody = z
  .strictObject({
    name: nameSchema.optional(),
    phone: phoneSchema.nullable().optional(),
    avatarFileId: z
      .uuid("must be a file id")
      .nullable()
      .optional()
      .meta({ description: "An `avatar` file from POST /files; null removes the avatar" }),
  })
  .meta({ id: "UpdateMe" });
