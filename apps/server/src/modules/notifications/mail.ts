import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { eq, lt } from "drizzle-orm";
import nodemailer from "nodemailer";
import type { Database } from "../../db/client.js";
import { newId } from "../../db/columns.js";
import type { Tx } from "../../db/transaction.js";
import type { JobQueue } from "../../jobs/queue.js";
import type { Logger } from "../../logger.js";
import { pendingEmails } from "./mail.tables.js";

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
 * SMTP when `smtpUrl` is set. Otherwise, outside production, every message is written to `<dataDir>/mail/`, and
 * in development also logged, so a developer reads verification and reset codes without a mail server. Logs
 * never carry a subject or body elsewhere: both hold one-time codes.
 */
export function createMailer(options: {
  smtpUrl: string | undefined;
  from: string;
  dataDir: string;
  logger: Logger;
  env: "development" | "production" | "test";
}): Mailer {
  const log = options.logger.child({ component: "mail" });
  if (options.smtpUrl) {
    const transport = nodemailer.createTransport(options.smtpUrl);
    return {
      async send(email) {
        await transport.sendMail({ from: options.from, ...email });
        log.info({ to: email.to }, "email sent");
      },
    };
  }
  if (options.env === "production") {
    return {
      async send(email) {
        log.warn({ to: email.to }, "email not sent: set SMTP_URL to deliver mail");
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
      if (options.env === "development") {
        log.info({ to: email.to, file }, `email (not sent, no SMTP_URL):\n${email.text}`);
      } else {
        log.info({ to: email.to, file }, "email written to a file (not sent, no SMTP_URL)");
      }
    },
  };
}

/**
 * Enqueues an email inside the caller's transaction: it is sent only if the transaction commits. The message
 * waits in `pending_emails`, deleted once sent; the job carries only its id, so codes never reach pg-boss's
 * tables and archive.
 */
export async function enqueueEmail(jobs: JobQueue, tx: Tx, email: Email): Promise<void> {
  const emailId = newId();
  await tx.db.insert(pendingEmails).values({ id: emailId, ...email });
  await jobs.send(emailQueue, { emailId } satisfies EmailJob, {
    db: tx,
    retryLimit: 8,
    retryDelay: 5,
    retryBackoff: true,
    // A send hanging longer than this counts as failed and is retried.
    expireInSeconds: 60,
  });
}

interface EmailJob {
  emailId: string;
}

/** Declares the queue and starts delivering. */
export async function startEmailWorker(jobs: JobQueue, mailer: Mailer, db: Database): Promise<void> {
  await jobs.createQueue(emailQueue);
  await jobs.work<EmailJob>(emailQueue, { pollingIntervalSeconds: 0.5 }, async ([job]) => {
    if (!job) return;
    const [email] = await db.select().from(pendingEmails).where(eq(pendingEmails.id, job.data.emailId));
    // Gone: sent by an earlier attempt that was cut off before pg-boss recorded it, or purged as stale.
    if (!email) return;
    await mailer.send({ to: email.to, subject: email.subject, text: email.text, html: email.html });
    await db.delete(pendingEmails).where(eq(pendingEmails.id, email.id));
  });
}

/** Deletes messages whose job gave up (retries spent) long ago; their codes have expired anyway. */
export async function purgeStaleEmails(db: Database, now: Date): Promise<void> {
  await db.delete(pendingEmails).where(lt(pendingEmails.createdAt, new Date(now.getTime() - 24 * 3600_000)));
}
