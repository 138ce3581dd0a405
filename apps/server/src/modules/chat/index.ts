export { seedDemoConversations } from "./chat.demo.js";
export { createChatModule } from "./chat.module.js";
export type { ChatMessageListener, ChatService } from "./chat.service.js";
