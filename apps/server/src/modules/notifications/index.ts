export { createMailer, type Email, enqueueEmail, type Mailer, startEmailWorker } from "./mail.js";
export { passwordResetEmail, verificationCodeEmail } from "./templates.js";
