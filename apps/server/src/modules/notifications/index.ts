export {
  createMailer,
  type Email,
  emailQueue,
  enqueueEmail,
  type Mailer,
  purgeStaleEmails,
  startEmailWorker,
} from "./mail.js";
export { createNotificationsModule } from "./notifications.module.js";
export { passwordResetEmail, verificationCodeEmail } from "./templates.js";
