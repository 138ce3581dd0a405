export {
  createMailer,
  type Email,
  enqueueEmail,
  type Mailer,
  purgeStaleEmails,
  startEmailWorker,
} from "./mail.js";
export { passwordResetEmail, verificationCodeEmail } from "./templates.js";
