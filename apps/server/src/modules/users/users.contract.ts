import { z } from "zod";
import { roles } from "../../http/auth.js";
import { orNull } from "../../http/validation.js";

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

/** The customer the API document's examples show. */
export const userExample = {
  id: "0192f3a4-5b6c-7d8e-9f01-23456789abcd",
  email: "maria.lopez@example.com",
  name: "Maria Lopez",
  role: "customer",
  phone: "+14155550123",
  avatarUrl: "https://api.jobsphere.example/storage/public/0192f3b0-1d2e-7f3a-9b4c-5d6e7f8a9b0c.jpg",
  emailVerified: true,
  status: "active",
  createdAt: "2026-03-02T09:14:27.512Z",
} satisfies User;

export const updateMeBody = z
  .strictObject({
    name: nameSchema.optional(),
    phone: orNull(phoneSchema).optional(),
    avatarFileId: z
      .uuid("must be a file id")
      .nullable()
      .optional()
      .meta({ description: "An `avatar` file from POST /files; null removes the avatar" }),
  })
  .meta({ id: "UpdateMe" });
