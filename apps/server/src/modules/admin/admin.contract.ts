import { z } from "zod";
import { roles } from "../../http/auth.js";
import { pageQuery, pageSchema } from "../../http/pagination.js";
import { nameSchema, phoneSchema, userSchema } from "../users/index.js";

export const listUsersQuery = pageQuery.extend({
  role: z.enum(roles).optional(),
  status: z.enum(["active", "suspended", "deleted"]).optional().meta({
    description:
      '`deleted`: accounts their owners deleted, shown anonymised ("Deleted user", no contact details); without a status every account is listed',
  }),
  q: z.string().trim().min(1).max(100).optional().meta({ description: "Part of the name or email" }),
});

export const userIdParams = z.object({ id: z.uuid("must be a user id") });

export const adminUpdateUserBody = z
  .strictObject({
    name: nameSchema.optional(),
    phone: phoneSchema.nullable().optional(),
    status: z.enum(["active", "suspended"]).optional(),
    reason: z
      .string()
      .trim()
      .min(1)
      .max(500, "at most 500 characters")
      .optional()
      .meta({ description: "Why: kept in the audit log with the change" }),
  })
  .meta({ id: "AdminUpdateUser" });

export const userPageSchema = pageSchema(userSchema).meta({ id: "UserPage" });
