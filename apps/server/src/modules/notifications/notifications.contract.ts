import { z } from "zod";
import { pageQuery, pageSchema } from "../../http/pagination.js";
import { kinds, type NotificationKind, notificationKinds } from "./kinds.js";
import { devicePlatforms } from "./push-provider.js";

const kindSchema = z.enum(notificationKinds).meta({
  id: "NotificationKind",
  description: "What happened; the app routes on it together with the ids in `data`",
});

export const notificationSchema = z
  .object({
    id: z.uuid(),
    kind: kindSchema,
    title: z.string(),
    body: z.string(),
    data: z
      .object({
        kind: kindSchema,
        bookingId: z.uuid().optional(),
        conversationId: z.uuid().optional(),
        jobId: z.uuid().optional(),
        quoteId: z.uuid().optional(),
        withdrawalId: z.string().optional(),
        reviewId: z.uuid().optional(),
      })
      .meta({
        description:
          "What the app opens when the notification is tapped; the same keys arrive as the push's data payload",
      }),
    readAt: z.iso.datetime().nullable(),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: "Notification" });

export type NotificationView = z.output<typeof notificationSchema>;

export const notificationPageSchema = pageSchema(notificationSchema).meta({ id: "NotificationPage" });

export const listNotificationsQuery = pageQuery.extend({
  unread: z
    .enum(["true", "false"])
    .optional()
    .transform((value) => value === "true")
    .meta({ description: "`true`: only unread notifications" }),
});
export type ListNotificationsQuery = z.output<typeof listNotificationsQuery>;

export const unreadCountSchema = z
  .object({ unreadCount: z.number().int().min(0) })
  .meta({ id: "UnreadCount", description: "How many of your notifications are unread" });

export const markReadBody = z
  .union([
    z.strictObject({
      ids: z
        .array(z.uuid())
        .min(1, "name at least one notification")
        .max(100, "at most 100 at once")
        .meta({ description: "Notifications to mark read; ids that are not yours are ignored" }),
    }),
    z.strictObject({ all: z.literal(true).meta({ description: "Mark every notification read" }) }),
  ])
  .meta({ id: "MarkNotificationsRead", description: "Either `ids` or `all: true`" });
export type MarkReadInput = z.output<typeof markReadBody>;

const preferenceSchema = z
  .object({
    kind: kindSchema,
    push: z.boolean().meta({ description: "Send a mobile push for this kind" }),
    email: z
      .boolean()
      .nullable()
      .meta({ description: "Also email it; null for kinds that are never emailed" }),
  })
  .meta({ id: "NotificationPreference" });

export const preferencesSchema = z
  .object({ preferences: z.array(preferenceSchema) })
  .meta({ id: "NotificationPreferences" });
export type PreferencesView = z.output<typeof preferencesSchema>;

export const preferencesBody = z
  .strictObject({
    preferences: z
      .array(preferenceSchema.strict())
      .max(notificationKinds.length)
      .meta({ description: "The kinds to change; kinds left out keep their settings" }),
  })
  .superRefine((body, ctx) => {
    const seen = new Set<NotificationKind>();
    body.preferences.forEach((preference, index) => {
      if (seen.has(preference.kind)) {
        ctx.addIssue({
          code: "custom",
          path: ["preferences", index, "kind"],
          message: "is listed twice",
          params: { code: "invalid_value" },
        });
      }
      seen.add(preference.kind);
      const emailed = kinds[preference.kind]?.email;
      if (emailed === undefined) return;
      if (emailed ? preference.email === null : preference.email !== null) {
        ctx.addIssue({
          code: "custom",
          path: ["preferences", index, "email"],
          message: emailed ? "must be true or false" : "must be null: this kind is never emailed",
          params: { code: "invalid_value" },
        });
      }
    });
  })
  .meta({ id: "NotificationPreferencesInput" });
export type PreferencesInput = z.output<typeof preferencesBody>;

/** Tokens are opaque strings from FCM or APNs; control characters are refused (PostgreSQL text cannot hold NUL). */
const tokenSchema = z
  .string()
  .min(1, "is required")
  .max(4096, "at most 4096 characters")
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this refuses
  .regex(/^[^\u0000-\u001f\u007f\s]+$/, "must not contain spaces or control characters");

export const registerDeviceBody = z
  .strictObject({
    token: tokenSchema.meta({
      description: "The FCM registration token (Android, web, iOS through FCM) or APNs device token",
    }),
    platform: z.enum(devicePlatforms),
  })
  .meta({ id: "DeviceInput" });
export type RegisterDeviceInput = z.output<typeof registerDeviceBody>;

export const deviceSchema = z
  .object({ token: z.string(), platform: z.enum(devicePlatforms), registeredAt: z.iso.datetime() })
  .meta({ id: "Device" });
export type DeviceView = z.output<typeof deviceSchema>;

export const deviceParams = z.strictObject({ token: tokenSchema });
