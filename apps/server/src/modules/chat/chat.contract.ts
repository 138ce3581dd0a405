import { z } from "zod";
import { pageQuery, pageSchema } from "../../http/pagination.js";
import { withoutRepeats } from "../../http/unique.js";
import { orNull } from "../../http/validation.js";

/** Fixed by the product brief: longer texts are split by the app. */
export const maxTextLength = 4000;

export const conversationParams = z.object({ id: z.uuid("must be a conversation id") });

export const createConversationBody = z
  .strictObject({
    participantId: z.uuid("must be a user id").meta({
      description:
        "The other side: a contractor when you are a customer, a customer when you are a contractor",
    }),
  })
  .meta({ id: "ConversationInput" });

const clientMessageId = z
  .string()
  .trim()
  .min(1, "must not be empty")
  .max(100, "at most 100 characters")
  .meta({
    description:
      "Your own id for this message (a UUID made on the device): a resend with the same one returns the stored message instead of sending it twice",
  });

/** A message as `POST /conversations/:id/messages` and the socket's `message:send` take it. */
const messageFields = {
  text: z
    .string()
    .trim()
    .max(maxTextLength, `at most ${maxTextLength} characters`)
    .optional()
    .meta({
      description: `Trimmed; at most ${maxTextLength} characters; may be left out when attachments are sent`,
    }),
  attachmentFileIds: withoutRepeats(
    z.array(z.uuid("must be a file id")).max(10, "at most 10 attachments"),
    "must not repeat a file",
  )
    .optional()
    .meta({ description: "Ids of `chat_attachment` files you uploaded, in display order" }),
};

function textOrAttachments(
  body: { text?: string | undefined; attachmentFileIds?: string[] | undefined },
  ctx: z.RefinementCtx,
) {
  if ((body.text ?? "") === "" && (body.attachmentFileIds ?? []).length === 0) {
    ctx.addIssue({
      code: "custom",
      path: ["text"],
      message: "is required when no attachment is sent",
      params: { code: "required" },
    });
  }
}

export const sendMessageBody = z
  .strictObject({ ...messageFields, clientMessageId: clientMessageId.optional() })
  .superRefine(textOrAttachments)
  .meta({ id: "MessageInput" });

export type SendMessageInput = z.output<typeof sendMessageBody>;

/** The socket's `message:send`: the conversation travels in the payload, and clientMessageId is required. */
export const sendMessageEvent = z
  .strictObject({
    conversationId: z.uuid("must be a conversation id"),
    ...messageFields,
    clientMessageId,
  })
  .superRefine(textOrAttachments);

export const readBody = z
  .strictObject({
    upToMessageId: z.uuid("must be a message id").meta({
      description: "The newest message you have shown; it and every earlier message count as read",
    }),
  })
  .meta({ id: "ReadReceiptInput" });

export const readEvent = z.strictObject({
  conversationId: z.uuid("must be a conversation id"),
  upToMessageId: z.uuid("must be a message id"),
});

/** `typing:start`, `typing:stop`, `conversation:open` and `conversation:close`: which conversation. */
export const conversationEvent = z.strictObject({ conversationId: z.uuid("must be a conversation id") });

export const listConversationsQuery = pageQuery
  .extend({
    participantId: z.uuid("must be a user id").optional().meta({
      description: "Admins only: the conversations this user takes part in",
    }),
  })
  .meta({ id: "ConversationListQuery" });

export type ListConversationsQuery = z.output<typeof listConversationsQuery>;

export const listMessagesQuery = pageQuery
  .extend({
    after: z.uuid("must be a message id").optional().meta({
      description:
        "Catch-up after a reconnection: only messages after this one, oldest first (follow `nextCursor` for more)",
    }),
  })
  .meta({ id: "MessageListQuery" });

export type ListMessagesQuery = z.output<typeof listMessagesQuery>;

export const attachmentSchema = z
  .object({
    id: z.uuid(),
    contentType: z.string(),
    size: z.number().int(),
    url: z.string().meta({
      description: "Signed; valid for `SIGNED_URL_TTL_SECONDS` (fetch the message again for a fresh one)",
    }),
    thumbnailUrl: z.string().nullable().meta({ description: "Images only: a small WebP, signed likewise" }),
    originalName: z.string().nullable(),
  })
  .meta({ id: "MessageAttachment" });

export const messageSchema = z
  .object({
    id: z.uuid(),
    conversationId: z.uuid(),
    senderId: z.uuid(),
    text: z.string(),
    attachments: z.array(attachmentSchema),
    clientMessageId: z.string().nullable(),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: "Message" });

export type MessageView = z.output<typeof messageSchema>;

const personSchema = z
  .object({ id: z.uuid(), name: z.string(), avatarUrl: z.string().nullable() })
  .meta({ id: "ConversationPerson" });

const linkedBookingSchema = z
  .object({ id: z.uuid(), status: z.string(), scheduledStart: z.iso.datetime() })
  .meta({ id: "LinkedBooking" });

export const conversationSchema = z
  .object({
    id: z.uuid(),
    customer: personSchema,
    contractor: personSchema,
    bookings: z.array(linkedBookingSchema).meta({ description: "The pair's bookings, newest first" }),
    lastMessage: orNull(messageSchema),
    unreadCount: z.number().int().min(0).meta({
      description: "Messages from the other side after your read position (always 0 for admins)",
    }),
    otherReadUpToMessageId: z.uuid().nullable().meta({
      description:
        "The newest message the other side has read (for a participant: the other one; for admins: null)",
    }),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: "Conversation" });

export type ConversationView = z.output<typeof conversationSchema>;

export const conversationPageSchema = pageSchema(conversationSchema).meta({ id: "ConversationPage" });
export const messagePageSchema = pageSchema(messageSchema).meta({ id: "MessagePage" });

export const readReceiptSchema = z
  .object({
    conversationId: z.uuid(),
    userId: z.uuid(),
    upToMessageId: z.uuid().meta({ description: "Your read position now (it never moves back)" }),
    readAt: z.iso.datetime(),
    unreadCount: z.number().int().min(0),
  })
  .meta({ id: "ReadReceipt" });

export type ReadReceiptView = z.output<typeof readReceiptSchema>;
