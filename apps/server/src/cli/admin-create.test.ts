import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { login } from "../../test/accounts.js";
import { startTestServer, type TestServer } from "../../test/server.js";

const cli = fileURLToPath(new URL("./admin-create.ts", import.meta.url));

describe("npm run admin:create", { timeout: 60_000 }, () => {
  let app: TestServer;

  beforeAll(async () => {
    app = await startTestServer();
  });
  afterAll(async () => {
    await app.close();
  });

  /** Runs the CLI with its output piped (not a terminal), `stdin` written to its standard input. */
  function run(args: string[], stdin = "") {
    return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolveRun) => {
      const child = spawn(process.execPath, ["--import", "tsx", cli, ...args], {
        env: { ...process.env, DATABASE_URL: app.database.url },
      });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (chunk: Buffer) => {
        stdout += chunk.toString();
      });
      child.stderr.on("data", (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      child.on("exit", (code) => resolveRun({ code, stdout, stderr }));
      child.stdin.end(stdin);
    });
  }

  it("refuses an email that is not one", async () => {
    const result = await run(["--email", "not-an-email", "--password-stdin"], "long enough admin pass\n");
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('The email "not-an-email" is not a valid email address\n');
  });

  it("reads the password from stdin, keeping it off the command line", async () => {
    const password = "stdin admin pass 77";
    const result = await run(["--email", "stdin-admin@example.com", "--password-stdin"], `${password}\n`);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Admin account created: stdin-admin@example.com/);
    const account = await login(app, "stdin-admin@example.com", password);
    expect(account.accessToken).toBeTruthy();
  });
});
