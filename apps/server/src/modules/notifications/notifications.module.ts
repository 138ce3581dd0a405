import type { Server } from "socket.io";
import { scheduleHourly, workBatch } from "../../jobs/queue.js";
import { conversationRoom, type RealtimeServer, userRoom } from "../../realtime/socket.js";
import type { Module } from "../module.js";
import { type Mailer, purgeStaleEmails, startEmailWorker } from "./mail.js";
import type { NotificationView } from "./notifications.contract.js";
import { notificationRoutes } from "./notifications.routes.js";
import {
  createNotificationsService,
  type NotificationsDeps,
  type NotificationsService,
  type PushJob,
  pushQueue,
} from "./notifications.service.js";

interface NotificationEvents {
  "notification:new": (payload: { notification: NotificationView }) => void;
}

/**
 * Notifications: the inbox and its routes, devices and preferences, the push worker (`notifications.push`:
 * `notification:new` to the user's sockets, then the push provider), and email delivery.
 */
export function createNotificationsModule(
  deps: NotificationsDeps & { mailer: Mailer },
): Module<NotificationsService & { mailer: Mailer }> {
  const service = createNotificationsService(deps);
  // Workers start before Socket.IO exists; a push delivered before then has no connected client to reach.
  let io: Server<Record<string, never>, NotificationEvents> | undefined;
  const emit = (userId: string, notification: NotificationView) => {
    io?.to(userRoom(userId)).emit("notification:new", { notification });
  };
  // Asked of every instance through the adapter: the recipient's sockets, and whether one has the conversation open.
  const online = async (userId: string, conversationId: string) => {
    if (!io) return false;
    const sockets = await io.in(userRoom(userId)).fetchSockets();
    return sockets.some((socket) => socket.rooms.has(conversationRoom(conversationId)));
  };
  return {
    name: "notifications",
    service: { ...service, mailer: deps.mailer },
    routes: notificationRoutes(service),
    async jobs(queue) {
      await startEmailWorker(queue, deps.mailer, deps.db);
      await scheduleHourly(queue, "notifications.purge", () => purgeStaleEmails(deps.db, deps.clock.now()));
      await queue.createQueue(pushQueue);
      await workBatch<PushJob>(queue, pushQueue, (batch) => service.deliver(batch, emit, online));
    },
    sockets(server: RealtimeServer) {
      // The realtime core types no server events of its own; this module's are declared above.
      io = server as unknown as Server<Record<string, never>, NotificationEvents>;
    },
  };
}
