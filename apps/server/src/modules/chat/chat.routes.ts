import type { ApiRouter } from "../../http/api.js";
import { coreErrors } from "../../http/errors.js";
import { fileErrors } from "../files/index.js";
import {
  conversationPageSchema,
  conversationParams,
  conversationSchema,
  createConversationBody,
  listConversationsQuery,
  listMessagesQuery,
  maxTextLength,
  messagePageSchema,
  messageSchema,
  readBody,
  readReceiptSchema,
  sendMessageBody,
} from "./chat.contract.js";
import { chatErrors } from "./chat.errors.js";
import type { ChatService } from "./chat.service.js";

const customerId = "0192f3a4-5b6c-7d8e-9f01-23456789abcd";
const contractorId = "01963a40-5d6e-7f8a-9b0c-1d2e3f4a5b6c";
const conversationId = "01963b10-2a3b-7c4d-8e5f-6a7b8c9d0e1f";

const exampleMessage = {
  id: "01963b12-4c5d-7e6f-8a9b-0c1d2e3f4a5b",
  conversationId,
  senderId: customerId,
  text: "Hi Tom, here is the leaking joint under the sink.",
  attachments: [
    {
      id: "01963b11-3b4c-7d5e-8f6a-7b8c9d0e1f2a",
      contentType: "image/jpeg",
      size: 201_733,
      url: "https://api.example.com/storage/private/01963b11-3b4c-7d5e-8f6a-7b8c9d0e1f2a.jpg?expires=1764500000&signature=9b2e",
      thumbnailUrl:
        "https://api.example.com/storage/private/01963b11-3b4c-7d5e-8f6a-7b8c9d0e1f2a.thumb.webp?expires=1764500000&signature=4c7a",
      originalName: "sink.jpg",
    },
  ],
  clientMessageId: "6f1c2d9e-8b7a-4e3f-9c1d-2b3a4c5d6e7f",
  createdAt: "2026-11-30T10:15:00.000Z",
};

const exampleConversation = {
  id: conversationId,
  customer: { id: customerId, name: "Maria Lopez", avatarUrl: null },
  contractor: {
    id: contractorId,
    name: "Tom Walker",
    avatarUrl: "https://api.example.com/storage/public/01963a41-6e7f-7a8b-9c0d-1e2f3a4b5c6d.jpg",
  },
  bookings: [
    {
      id: "01963b00-1a2b-7c3d-8e4f-5a6b7c8d9e0f",
      status: "accepted",
      scheduledStart: "2026-12-03T09:00:00.000Z",
    },
  ],
  lastMessage: exampleMessage,
  unreadCount: 2,
  otherReadUpToMessageId: null,
  createdAt: "2026-11-29T16:02:00.000Z",
};

export function chatRoutes(service: ChatService) {
  return (api: ApiRouter) => {
    api.route({
      method: "get",
      path: "/conversations",
      tags: ["Chat"],
      summary: "Your conversations, most recent activity first",
      description:
        "Each with its last message, your unread count and the bookings between the pair. Admins see every conversation (or one user's, with `participantId`), with no unread counts.",
      access: "user",
      query: listConversationsQuery,
      response: { status: 200, description: "One page of conversations", schema: conversationPageSchema },
      errors: [coreErrors.invalidCursor],
      examples: { response: { items: [exampleConversation], nextCursor: null } },
      handler: ({ user, query }) => service.list(user, query),
    });

    api.route({
      method: "post",
      path: "/conversations",
      tags: ["Chat"],
      summary: "Open the conversation with a customer or a contractor",
      description:
        "One conversation per customer–contractor pair: this returns the existing one when there is one. A conversation is also opened by itself when a contractor quotes for a customer's job or a booking is made between them.",
      access: ["customer", "contractor"],
      body: createConversationBody,
      response: { status: 200, description: "The pair's conversation", schema: conversationSchema },
      errors: [chatErrors.participantNotFound, chatErrors.invalidParticipant],
      examples: {
        request: { participantId: contractorId },
        response: { ...exampleConversation, unreadCount: 0 },
      },
      handler: ({ user, body }) => service.open(user, body.participantId),
    });

    api.route({
      method: "get",
      path: "/conversations/:id",
      tags: ["Chat"],
      summary: "A conversation",
      description: "Its participants and admins may read it; anyone else gets 404.",
      access: "user",
      params: conversationParams,
      response: { status: 200, description: "The conversation", schema: conversationSchema },
      errors: [chatErrors.notFound],
      examples: { response: exampleConversation },
      handler: ({ user, params }) => service.get(user, params.id),
    });

    api.route({
      method: "get",
      path: "/conversations/:id/messages",
      tags: ["Chat"],
      summary: "A conversation's messages",
      description:
        "Newest first, in pages that stay stable while messages arrive (follow `nextCursor`). After a reconnection, `after=<id of the newest message you have>` returns what you missed, oldest first.",
      access: "user",
      params: conversationParams,
      query: listMessagesQuery,
      response: { status: 200, description: "One page of messages", schema: messagePageSchema },
      errors: [chatErrors.notFound, chatErrors.messageNotFound, coreErrors.invalidCursor],
      examples: { response: { items: [exampleMessage], nextCursor: null } },
      handler: ({ user, params, query }) => service.history(user, params.id, query),
    });

    api.route({
      method: "post",
      path: "/conversations/:id/messages",
      tags: ["Chat"],
      summary: "Send a message",
      description: `Text (trimmed, at most ${maxTextLength} characters) and/or up to 10 \`chat_attachment\` files you uploaded. The message is stored before it is answered and delivered as \`message:new\` to the other participant's devices and your own. A resend with the same \`clientMessageId\` (or \`Idempotency-Key\`) returns the stored message. Messages per user are limited (\`LIMIT_CHAT_MESSAGES\`, sockets included).`,
      access: ["customer", "contractor"],
      params: conversationParams,
      body: sendMessageBody,
      idempotent: true,
      response: { status: 201, description: "The stored message", schema: messageSchema },
      errors: [
        chatErrors.notFound,
        chatErrors.notParticipant,
        chatErrors.clientMessageIdReused,
        chatErrors.rateLimited,
        fileErrors.notFound,
        fileErrors.wrongPurpose,
        fileErrors.alreadyAttached,
      ],
      examples: {
        request: {
          text: exampleMessage.text,
          attachmentFileIds: [exampleMessage.attachments[0]?.id ?? ""],
          clientMessageId: exampleMessage.clientMessageId,
        },
        response: exampleMessage,
      },
      handler: ({ user, params, body }) => service.send(user, params.id, body),
    });

    api.route({
      method: "post",
      path: "/conversations/:id/read",
      tags: ["Chat"],
      summary: "Mark messages read up to one",
      description:
        "Your read position moves forward to this message (never back); the other participant gets `message:read`, and your unread count follows.",
      access: ["customer", "contractor"],
      params: conversationParams,
      body: readBody,
      response: { status: 200, description: "Your read position", schema: readReceiptSchema },
      errors: [chatErrors.notFound, chatErrors.notParticipant, chatErrors.messageNotFound],
      examples: {
        request: { upToMessageId: exampleMessage.id },
        response: {
          conversationId,
          userId: contractorId,
          upToMessageId: exampleMessage.id,
          readAt: "2026-11-30T10:16:02.000Z",
          unreadCount: 0,
        },
      },
      handler: ({ user, params, body }) => service.markRead(user, params.id, body.upToMessageId),
    });
  };
}
