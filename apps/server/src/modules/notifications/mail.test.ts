import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
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
});
