import { execFile } from "node:child_process";
import { readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { login, register } from "../../test/accounts.js";
import { pngImage, samplePdf, uploadFile } from "../../test/fixtures.js";
import { type FakeS3, startS3rver } from "../../test/s3.js";
import { startTestServer, type TestServer } from "../../test/server.js";

const cli = fileURLToPath(new URL("./storage-migrate.ts", import.meta.url));

/**
 * An S3 double and a server on local storage, started for the describe block that calls this and stopped after
 * it; read them through the returned functions once the block runs.
 */
function localServerAndS3(): { s3: () => FakeS3; local: () => TestServer } {
  let s3: FakeS3 | undefined;
  let local: TestServer | undefined;
  beforeAll(async () => {
    s3 = await startS3rver();
    local = await startTestServer();
  });
  afterAll(async () => {
    await local?.close();
    await s3?.stop();
  });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error("used outside its describe block");
    return value;
  };
  return { s3: () => started(s3), local: () => started(local) };
}

describe("npm run storage:migrate", () => {
  const { s3, local } = localServerAndS3();

  // Two CLI processes and a second server start in this test: seconds each on a loaded machine.
  it("copies every file to S3, verified and resumable, so switching STORAGE_DRIVER loses nothing", {
    timeout: 120_000,
  }, async () => {
    const account = await register(local(), "contractor");
    const avatarBytes = await pngImage(90, 60, "#3366cc");
    const avatar = (await uploadFile(local(), account.accessToken, "avatar", avatarBytes, "me.png")).body;
    await local().request("PATCH", "/api/v1/me", {
      token: account.accessToken,
      body: { avatarFileId: avatar.id },
    });
    const pdf = samplePdf;
    const document = await uploadFile(
      local(),
      account.accessToken,
      "verification_document",
      pdf,
      "licence.pdf",
    );
    const storedAvatar = Buffer.from(await (await fetch(avatar.url)).arrayBuffer());

    const s3Env = {
      S3_BUCKET: "migrated",
      S3_ENDPOINT: s3().endpoint,
      S3_FORCE_PATH_STYLE: "true",
      S3_ACCESS_KEY_ID: "S3RVER",
      S3_SECRET_ACCESS_KEY: "S3RVER",
    };
    const run = () =>
      new Promise<{ code: number; stdout: string; stderr: string }>((resolveRun) => {
        execFile(
          process.execPath,
          ["--import", "tsx", cli, "--create-bucket"],
          {
            env: {
              ...process.env,
              ...s3Env,
              DATABASE_URL: local().database.url,
              UPLOAD_DIR: local().config.storage.uploadDir,
            },
            timeout: 60_000,
          },
          (error, stdout, stderr) =>
            resolveRun({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
        );
      });

    const first = await run();
    expect(first.stderr).toContain("Copying 3 objects");
    expect(first.code).toBe(0);
    expect(first.stdout).toContain("3 copied, 0 already there");
    const second = await run();
    expect(second.code).toBe(0);
    expect(second.stdout).toContain("0 copied, 3 already there");

    const remote = await startTestServer({ STORAGE_DRIVER: "s3", ...s3Env }, { database: local().database });
    try {
      const again = await login(remote, account.email, account.password);
      const me = await remote.request("GET", "/api/v1/me", { token: again.accessToken });
      expect(me.body.avatarUrl).toMatch(new RegExp(`^${s3().endpoint}/migrated/public/`));
      const image = await fetch(me.body.avatarUrl);
      expect(image.status).toBe(200);
      expect(image.headers.get("content-type")).toBe("image/png");
      expect(Buffer.from(await image.arrayBuffer()).equals(storedAvatar)).toBe(true);

      const file = await remote.request("GET", `/api/v1/files/${document.body.id}`, {
        token: again.accessToken,
      });
      expect(file.body.url).toContain("X-Amz-Signature=");
      const content = await fetch(file.body.url);
      expect(content.status).toBe(200);
      expect(Buffer.from(await content.arrayBuffer()).equals(pdf)).toBe(true);
    } finally {
      await remote.close();
    }
  });
});

describe("npm run storage:migrate when something is wrong", () => {
  const { s3, local } = localServerAndS3();

  /** Runs the CLI with its output going to pipes, as when redirected to a file or read by a script. */
  const run = (bucket: string, args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolveRun) => {
      execFile(
        process.execPath,
        ["--import", "tsx", cli, ...args],
        {
          env: {
            ...process.env,
            S3_BUCKET: bucket,
            S3_ENDPOINT: s3().endpoint,
            S3_FORCE_PATH_STYLE: "true",
            S3_ACCESS_KEY_ID: "S3RVER",
            S3_SECRET_ACCESS_KEY: "S3RVER",
            DATABASE_URL: local().database.url,
            UPLOAD_DIR: local().config.storage.uploadDir,
          },
          timeout: 60_000,
        },
        (error, stdout, stderr) => resolveRun({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
      );
    });
  const ansiEscape = "\u001b[";

  it("names --create-bucket when the bucket does not exist, in output free of colour codes", async () => {
    const account = await register(local(), "contractor");
    await uploadFile(local(), account.accessToken, "verification_document", samplePdf, "a.pdf");
    const answer = await run("absent", []);
    expect(answer.code).not.toBe(0);
    expect(answer.stderr).toContain("does not exist; run again with --create-bucket");
    expect(answer.stdout + answer.stderr).not.toContain(ansiEscape);
  });

  it("reports a file missing from UPLOAD_DIR, copies the rest and exits 1", async () => {
    const account = await register(local(), "contractor");
    for (const name of ["b.pdf", "c.pdf"]) {
      await uploadFile(local(), account.accessToken, "verification_document", samplePdf, name);
    }
    const uploadDir = local().config.storage.uploadDir;
    const stored = (await readdir(uploadDir, { recursive: true, withFileTypes: true }))
      .filter((entry) => entry.isFile())
      .map((entry) => join(entry.parentPath, entry.name));
    expect(stored.length).toBe(3);
    const lost = stored[1] as string;
    await rm(lost);

    const answer = await run("partial", ["--create-bucket"]);
    expect(answer.code).toBe(1);
    expect(answer.stderr).toContain(`missing in ${uploadDir}`);
    expect(answer.stderr).toContain(lost.slice(uploadDir.length + 1));
    expect(answer.stdout).toContain("2 copied, 0 already there (verified), 1 missing");
    expect(answer.stdout + answer.stderr).not.toContain(ansiEscape);
  });
});
