export { createChatModule } from "./chat.module.js";
export type { ChatMessageListener, ChatService } from "./chat.service.js";
