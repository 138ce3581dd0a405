import { defineErrors } from "../../http/errors.js";

export const chatErrors = defineErrors({
  notFound: {
    code: "chat.not_found",
    status: 404,
    title: "No such conversation among yours",
  },
  messageNotFound: {
    code: "chat.message_not_found",
    status: 404,
    title: "No such message in this conversation",
  },
  participantNotFound: {
    code: "chat.participant_not_found",
    status: 404,
    title: "No such user to talk to",
  },
  invalidParticipant: {
    code: "chat.invalid_participant",
    status: 422,
    title: "A conversation is between one customer and one contractor",
  },
  notParticipant: {
    code: "chat.not_participant",
    status: 403,
    title: "Admins read conversations but take no part in them",
  },
  clientMessageIdReused: {
    code: "chat.client_message_id_reused",
    status: 409,
    title: "This clientMessageId already names one of your messages in another conversation",
  },
  rateLimited: {
    code: "chat.rate_limited",
    status: 429,
    title: "Too many messages; wait before sending more",
  },
});
