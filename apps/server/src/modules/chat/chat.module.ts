import { userRoom } from "../../realtime/socket.js";
import type { Module } from "../module.js";
import { chatRoutes } from "./chat.routes.js";
import { type ChatDeps, type ChatService, createChatService, messageAttachmentKind } from "./chat.service.js";
import { asChatServer, type ChatServer, chatSockets } from "./chat.sockets.js";

export interface ChatModuleDeps extends ChatDeps {
  typingThrottleMs: number;
}

/**
 * Chat: conversations between a customer and a contractor, messages with attachments, read receipts and
 * typing indicators, over REST and Socket.IO. Events go to `user:<id>` rooms, which the Postgres adapter
 * spans across server processes.
 */
export function createChatModule(deps: ChatModuleDeps): Module<ChatService> {
  const service = createChatService(deps);
  deps.files.addReadRule(messageAttachmentKind, service.mayReadAttachment);
  return {
    name: "chat",
    service,
    routes: chatRoutes(service),
    sockets(server) {
      const io: ChatServer = asChatServer(server);
      service.setDelivery({
        message(message, recipientId, exceptSocketId) {
          const rooms = io.to([userRoom(recipientId), userRoom(message.senderId)]);
          (exceptSocketId ? rooms.except(exceptSocketId) : rooms).emit("message:new", { message });
        },
        read(receipt, otherId) {
          io.to([userRoom(otherId), userRoom(receipt.userId)]).emit("message:read", receipt);
        },
      });
      chatSockets(service, io, {
        clock: deps.clock,
        logger: deps.logger,
        typingThrottleMs: deps.typingThrottleMs,
      });
    },
  };
}
