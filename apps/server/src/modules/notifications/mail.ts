import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import nodemailer from "nodemailer";
import type { Tx } from "../../db/transaction.js";
import type { JobQueue } from "../../jobs/queue.js";
import type { Logger } from "../../logger.js";

export interface Email {
  to: string;
  subject: string;
  text: string;
  html: string;
}

export interface Mailer {
  send(email: Email): Promise<void>;
}

export const emailQueue = "email.send";

/**
 * SMTP when `smtpUrl` is set; otherwise every message is written to `<dataDir>/mail/` and logged, so a
 * developer reads verification and reset codes without a mail server.
 */
export function createMailer(options: {
  smtpUrl: string | undefined;
  from: string;
  dataDir: string;
  logger: Logger;
}): Mailer {
  const log = options.logger.child({ component: "mail" });
  if (options.smtpUrl) {
    const transport = nodemailer.createTransport(options.smtpUrl);
    return {
      async send(email) {
        await transport.sendMail({ from: options.from, ...email });
        log.info({ to: email.to, subject: email.subject }, "email sent");
      },
    };
  }
  const folder = join(options.dataDir, "mail");
  return {
    async send(email) {
      await mkdir(folder, { recursive: true });
      const file = join(
        folder,
        `${new Date().toISOString().replace(/[:.]/g, "-")}-${email.to.replace(/[^\w.@-]/g, "_")}.txt`,
      );
      await writeFile(
        file,
        `From: ${options.from}\nTo: ${email.to}\nSubject: ${email.subject}\n\n${email.text}\n`,
      );
      log.info(
        { to: email.to, subject: email.subject, file },
        `email (not sent, no SMTP_URL):\n${email.text}`,
      );
    },
  };
}

/** Enqueues an email inside the caller's transaction: it is sent only if the transaction commits. */
export async function enqueueEmail(jobs: JobQueue, tx: Tx, email: Email): Promise<void> {
  await jobs.send(emailQueue, email, {
    db: tx,
    retryLimit: 8,
    retryDelay: 5,
    retryBackoff: true,
    // A send hanging longer than this counts as failed and is retried.
    expireInSeconds: 60,
    // Messages carry one-time codes: do not keep them in the queue's archive longer than a day.
    retentionSeconds: 86_400,
  });
}

/** Declares the queue and starts delivering. */
export async function startEmailWorker(jobs: JobQueue, mailer: Mailer): Promise<void> {
  await jobs.createQueue(emailQueue);
  await jobs.work<Email>(emailQueue, { pollingIntervalSeconds: 0.5 }, async ([job]) => {
    if (job) await mailer.send(job.data);
  });
}
