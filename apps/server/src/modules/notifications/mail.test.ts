import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { register } from "../../../test/accounts.js";
import { capturedLogger } from "../../../test/logs.js";
import { startTestServer, type TestServer } from "../../../test/server.js";
import { codeIn, startSmtp, type TestSmtp } from "../../../test/smtp.js";
import { until } from "../../../test/until.js";
import { createMailer } from "./mail.js";
import { verificationCodeEmail } from "./templates.js";

describe("mail without an SMTP server", () => {
  it("writes each message under DATA_DIR/mail so a developer can read the code", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "jobsphere-mail-"));
    try {
      const mailer = createMailer({
        smtpUrl: undefined,
        from: "JobSphere <no-reply@test>",
        dataDir,
        logger: pino({ level: "silent" }),
        env: "test",
      });
      await mailer.send(verificationCodeEmail("dev@example.com", "Dev <b>", "123456", 10));
      const files = await readdir(join(dataDir, "mail"));
      expect(files).toHaveLength(1);
      const text = await readFile(join(dataDir, "mail", files[0] ?? ""), "utf8");
      expect(text).toContain("To: dev@example.com");
      expect(text).toContain("123456");
      expect(text).toContain("Hello Dev <b>,");
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it("escapes names in the HTML part", () => {
    const email = verificationCodeEmail("x@example.com", '<script>alert("x")</script>', "654321", 10);
    expect(email.html).not.toContain("<script>");
    expect(email.html).toContain("654321");
  });

  it("logs codes in development only: production writes neither the log nor a file with them", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "jobsphere-mail-"));
    try {
      const logs = { development: capturedLogger(), production: capturedLogger(), test: capturedLogger() };
      for (const env of ["development", "production", "test"] as const) {
        const mailer = createMailer({
          smtpUrl: undefined,
          from: "JobSphere <no-reply@test>",
          dataDir: join(dataDir, env),
          logger: logs[env].logger,
          env,
        });
        await mailer.send(verificationCodeEmail("ops@example.com", "Ops", "482913", 10));
      }
      expect(logs.development.text()).toContain("482913");
      expect(logs.production.text()).toContain("ops@example.com");
      expect(logs.production.text()).not.toContain("482913");
      expect(logs.test.text()).not.toContain("482913");
      await expect(readdir(join(dataDir, "production", "mail"))).rejects.toThrow(/ENOENT/);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it("does not log the code (it is in the subject) when sending over SMTP in production", async () => {
    const smtp = await startSmtp();
    try {
      const log = capturedLogger();
      const mailer = createMailer({
        smtpUrl: smtp.url,
        from: "JobSphere <no-reply@test>",
        dataDir: tmpdir(),
        logger: log.logger,
        env: "production",
      });
      await mailer.send(verificationCodeEmail("ops@example.com", "Ops", "739164", 10));
      expect(smtp.received[0]?.subject).toContain("739164");
      expect(log.text()).toContain("email sent");
      expect(log.text()).not.toContain("739164");
    } finally {
      await smtp.close();
    }
  });
});

describe("code emails in the job queue", () => {
  let app: TestServer;
  let smtp: TestSmtp;
  let db: pg.Client;

  beforeAll(async () => {
    smtp = await startSmtp();
    app = await startTestServer({ SMTP_URL: smtp.url });
    db = new pg.Client({ connectionString: app.database.url });
    await db.connect();
  });
  afterAll(async () => {
    await db.end();
    await app.close();
    await smtp.close();
  });

  /** Every row of every table of pg-boss's schema (jobs, archive, queues…), as text. */
  async function pgbossRows(): Promise<string[]> {
    const tables = await db.query<{ name: string }>(
      "select quote_ident(table_name) as name from information_schema.tables where table_schema = 'pgboss' and table_type = 'BASE TABLE'",
    );
    const rows: string[] = [];
    for (const { name } of tables.rows) {
      const result = await db.query<{ row: string }>(`select t::text as row from pgboss.${name} t`);
      rows.push(...result.rows.map((item) => item.row));
    }
    return rows;
  }

  it("keeps the code out of every pg-boss table, and deletes the rendered mail once sent", async () => {
    const account = await register(app);
    await app.request("POST", "/api/v1/auth/password/forgot", { body: { email: account.email } });
    const verification = codeIn(await smtp.waitFor(account.email, /verification code/));
    const reset = codeIn(await smtp.waitFor(account.email, /password reset code/));

    await until(
      "the sent emails to leave pending_emails",
      async () => (await db.query("select 1 from pending_emails")).rowCount === 0,
    );
    await until(
      "the email jobs to complete",
      async () =>
        (await db.query("select 1 from pgboss.job where name = 'email.send' and state <> 'completed'"))
          .rowCount === 0,
    );
    const rows = await pgbossRows();
    expect(rows.some((row) => row.includes("email.send"))).toBe(true);
    expect(rows.filter((row) => row.includes(verification) || row.includes(reset))).toEqual([]);
    // Nor the mail's address: only the forgot-password job names it (it holds no code).
    expect(rows.filter((row) => row.includes(account.email) && !row.includes("auth.password-reset"))).toEqual(
      [],
    );
  });
});
