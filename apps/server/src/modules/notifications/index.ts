export { createMailer, type Email, enqueueEmail, type Mailer } from "./mail.js";
export { seedDemoInbox } from "./notifications.demo.js";
export { createNotificationsModule } from "./notifications.module.js";
export type {
  MessageEvent,
  MoneyEvent,
  NotificationsService,
} from "./notifications.service.js";
export { createPushProvider } from "./push.js";
export type { PushProvider } from "./push-provider.js";
export { passwordResetEmail, verificationCodeEmail } from "./templates.js";
