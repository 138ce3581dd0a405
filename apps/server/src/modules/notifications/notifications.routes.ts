import type { ApiRouter } from "../../http/api.js";
import { coreErrors } from "../../http/errors.js";
import {
  deviceParams,
  deviceSchema,
  listNotificationsQuery,
  markReadBody,
  type NotificationView,
  notificationPageSchema,
  preferencesBody,
  preferencesSchema,
  registerDeviceBody,
  unreadCountSchema,
} from "./notifications.contract.js";
import { notificationErrors } from "./notifications.errors.js";
import type { NotificationsService } from "./notifications.service.js";

const exampleNotification: NotificationView = {
  id: "0193a2b4-5d6e-7f80-9a1b-2c3d4e5f6a7b",
  kind: "bookingAccepted",
  title: "Booking confirmed",
  body: 'Priya Patel accepted your booking "Replace the fuse board". Pay to secure it.',
  data: { kind: "bookingAccepted", bookingId: "0193a2b4-1c2d-7e3f-8a4b-5c6d7e8f9a0b" },
  readAt: null,
  createdAt: "2026-12-01T11:02:01.000Z",
};

const fcmToken =
  "dXk3b1RjQ0lTZ2U6APA91bHqL8m2X0bYz4kq1m7Wv8rN3c5tS9uJ2eF6hG0iK4lM7nO1pQ3rS5tU7vW9xY1zA3bC5dE7fG9hI1jK3";

export function notificationRoutes(service: NotificationsService) {
  return (api: ApiRouter) => {
    api.route({
      method: "get",
      path: "/notifications",
      tags: ["Notifications"],
      summary: "Your notifications, newest first",
      description:
        "The in-app inbox. `unread=true` keeps only unread ones. Each one's `data` is what the push carried: route on `data.kind` and the ids beside it.",
      access: "user",
      query: listNotificationsQuery,
      response: { status: 200, description: "A page of notifications", schema: notificationPageSchema },
      errors: [coreErrors.invalidCursor],
      examples: { response: { items: [exampleNotification], nextCursor: null } },
      handler: ({ user, query }) => service.list(user, query),
    });

    api.route({
      method: "get",
      path: "/notifications/unread-count",
      tags: ["Notifications"],
      summary: "How many of your notifications are unread",
      description: "For the app's badge; `notification:new` tells when it grows.",
      access: "user",
      response: { status: 200, description: "The unread count", schema: unreadCountSchema },
      examples: { response: { unreadCount: 3 } },
      handler: ({ user }) => service.unreadCount(user.id),
    });

    api.route({
      method: "post",
      path: "/notifications/read",
      tags: ["Notifications"],
      summary: "Mark notifications read: some by id, or all",
      description:
        "Send `{ ids }` (up to 100) or `{ all: true }`. Ids that are not yours, or already read, are ignored. Answers what stays unread.",
      access: "user",
      body: markReadBody,
      response: { status: 200, description: "What stays unread", schema: unreadCountSchema },
      examples: { request: { ids: [exampleNotification.id] }, response: { unreadCount: 2 } },
      handler: ({ user, body }) => service.markRead(user, body),
    });

    api.route({
      method: "get",
      path: "/notifications/preferences",
      tags: ["Notifications"],
      summary: "Which kinds you receive as push and as email",
      description:
        "Every kind, in a fixed order. The inbox always keeps every notification; `push` and `email` choose the other channels. `email` is null for kinds that are never emailed.",
      access: "user",
      response: { status: 200, description: "Your choices", schema: preferencesSchema },
      examples: {
        response: {
          preferences: [
            { kind: "bookingAccepted", push: true, email: true },
            { kind: "newMessage", push: false, email: null },
          ],
        },
      },
      handler: ({ user }) => service.preferences(user.id),
    });

    api.route({
      method: "put",
      path: "/notifications/preferences",
      tags: ["Notifications"],
      summary: "Change which kinds you receive as push and as email",
      description:
        "Send the kinds to change (what `GET` answered, edited, is accepted as it is); kinds left out keep their settings. `email` must be null for kinds never emailed and a boolean for the others.",
      access: "user",
      body: preferencesBody,
      response: { status: 200, description: "All your choices after the change", schema: preferencesSchema },
      examples: {
        request: { preferences: [{ kind: "newMessage", push: false, email: null }] },
        response: {
          preferences: [
            { kind: "bookingAccepted", push: true, email: true },
            { kind: "newMessage", push: false, email: null },
          ],
        },
      },
      handler: ({ user, body }) => service.setPreferences(user, body),
    });

    api.route({
      method: "post",
      path: "/devices",
      tags: ["Notifications"],
      summary: "Register this device for push notifications",
      description:
        "Send the FCM registration token (Android, web, and iOS through FCM) or the APNs device token, after sign-in and whenever the platform hands out a new one. A token registered by another account moves to yours (a shared or resold phone); registering it again is harmless.",
      access: "user",
      body: registerDeviceBody,
      response: { status: 201, description: "The registered device", schema: deviceSchema },
      examples: {
        request: { token: fcmToken, platform: "android" },
        response: { token: fcmToken, platform: "android", registeredAt: "2026-12-01T10:00:00.000Z" },
      },
      handler: ({ user, body }) => service.registerDevice(user, body),
    });

    api.route({
      method: "delete",
      path: "/devices/:token",
      tags: ["Notifications"],
      summary: "Stop pushing to this device",
      description:
        "Call it at sign-out, with the token URL-encoded. A token not registered to you answers 404.",
      access: "user",
      params: deviceParams,
      response: { status: 204, description: "The device no longer receives your pushes" },
      errors: [notificationErrors.deviceNotFound],
      handler: async ({ user, params }) => {
        await service.removeDevice(user, params.token);
      },
    });
  };
}
