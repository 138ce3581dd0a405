export { createMailer, type Email, emailQueue, enqueueEmail, type Mailer, startEmailWorker } from "./mail.js";
export { passwordResetEmail, verificationCodeEmail } from "./templates.js";
