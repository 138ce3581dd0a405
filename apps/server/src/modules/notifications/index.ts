export { createMailer, type Email, enqueueEmail, type Mailer } from "./mail.js";
export { createNotificationsModule } from "./notifications.module.js";
export { passwordResetEmail, verificationCodeEmail } from "./templates.js";
