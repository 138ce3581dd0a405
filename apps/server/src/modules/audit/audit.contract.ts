import { z } from "zod";
import { pageQuery, pageSchema } from "../../http/pagination.js";
import { isoInstant } from "../../http/validation.js";

const instant = isoInstant().transform((value) => new Date(value));

const word = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .regex(/^[a-z_.]+$/, "lower-case letters, dots and underscores only");

export const auditQuery = pageQuery
  .extend({
    actorId: z.uuid().optional().meta({ description: "Only what this admin did" }),
    action: word.optional().meta({ description: "One action, e.g. `user.suspend`", example: "user.suspend" }),
    targetType: word.optional().meta({ description: "The kind of record acted on, e.g. `user`" }),
    targetId: z
      .string()
      .trim()
      .min(1)
      .max(100)
      .regex(/^[\w.:-]+$/, "letters, digits and . : _ - only")
      .optional()
      .meta({ description: "One record; usually given with `targetType`" }),
    from: instant.optional().meta({ description: "Entries at or after this instant" }),
    to: instant.optional().meta({ description: "Entries before this instant" }),
  })
  .superRefine((query, ctx) => {
    if (query.from instanceof Date && query.to instanceof Date && query.to <= query.from) {
      ctx.addIssue({
        code: "custom",
        path: ["to"],
        message: "must be after from",
        params: { code: "invalid_value" },
      });
    }
  });

export type AuditQuery = z.output<typeof auditQuery>;

export const auditEntrySchema = z
  .object({
    id: z.uuid(),
    actor: z
      .object({ id: z.uuid(), name: z.string(), email: z.string() })
      .meta({ description: "The admin who made the change" }),
    action: z.string().meta({ example: "user.suspend" }),
    targetType: z.string(),
    targetId: z.string(),
    before: z.unknown().meta({
      description: "The record's fields the action changed, before it; null if it created the record",
    }),
    after: z.unknown().meta({ description: "The same fields after it; null if it removed the record" }),
    reason: z.string().nullable(),
    at: z.iso.datetime(),
  })
  .meta({ id: "AuditEntry" });

export type AuditEntryView = z.output<typeof auditEntrySchema>;

export const auditPageSchema = pageSchema(auditEntrySchema).meta({ id: "AuditEntryPage" });
