import { execFile } from "node:child_process";
import { createServer, type Server, type Socket } from "node:net";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../src/config.js";
import { mainScript } from "./process.js";

const migrateCli = fileURLToPath(new URL("../src/db/migrate-cli.ts", import.meta.url));

function run(script: string, env: Record<string, string>) {
  const started = Date.now();
  return new Promise<{ code: number | null; output: string; ms: number }>((resolveRun) => {
    execFile(
      process.execPath,
      ["--import", "tsx", script],
      { env: { ...process.env, LOG_FORMAT: "json", HOST: "127.0.0.1", PORT: "0", ...env }, timeout: 60_000 },
      (error, stdout, stderr) =>
        resolveRun({
          code: error ? (typeof error.code === "number" ? error.code : null) : 0,
          output: `${stdout}${stderr}`,
          ms: Date.now() - started,
        }),
    );
  });
}

describe("start-up checks", () => {
  // Accepts TCP connections and never answers: a firewall, a wrong port, a stuck proxy.
  let silent: Server;
  const held: Socket[] = [];
  let silentUrl: string;

  beforeAll(async () => {
    silent = createServer((socket) => held.push(socket));
    await new Promise<void>((resolveListen) => silent.listen(0, "127.0.0.1", resolveListen));
    const { port } = silent.address() as { port: number };
    silentUrl = `postgres://app:S3cr3tPw@127.0.0.1:${port}/jobsphere`;
  });
  afterAll(async () => {
    for (const socket of held) socket.destroy();
    await new Promise((resolveClose) => silent.close(resolveClose));
  });

  it.each([
    ["DATABASE_URL", "mysql://app:S3cr3tPw@db.example.com/app", "S3cr3tPw"],
    ["ADMIN_PASSWORD", "hunter2", "hunter2"],
    ["SMTP_URL", "mail://user:MailPw99@mail.example.com", "MailPw99"],
    ["JWT_PRIVATE_KEY", "-----BEGIN PRIVATE KEY-----\nc2VjcmV0\n-----END PRIVATE KEY-----", "c2VjcmV0"],
  ])("names %s without showing its secret value", (name, value, secret) => {
    const env =
      name === "ADMIN_PASSWORD" ? { ADMIN_EMAIL: "root@example.com", [name]: value } : { [name]: value };
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(new RegExp(`^Invalid configuration: ${name} `));
    try {
      loadConfig(env);
    } catch (error) {
      expect(String(error)).not.toContain(secret);
    }
  });

  it("fails fast, in one line naming the variable, on a bad key or an unwritable UPLOAD_DIR, before any database work", {
    timeout: 60_000,
  }, async () => {
    const [key, upload] = await Promise.all([
      run(mainScript, {
        DATABASE_URL: silentUrl,
        DATABASE_CONNECT_TIMEOUT_MS: "60000",
        JWT_PRIVATE_KEY: "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEI\n-----END PRIVATE KEY-----",
      }),
      run(mainScript, {
        DATABASE_URL: silentUrl,
        DATABASE_CONNECT_TIMEOUT_MS: "60000",
        UPLOAD_DIR: "/proc/jobsphere-upload",
      }),
    ]);
    expect(key.code).toBe(1);
    expect(key.output.trim()).toBe(
      "Invalid configuration: JWT_PRIVATE_KEY must be a PEM-encoded Ed25519 private key (PKCS#8)",
    );
    expect(upload.code).toBe(1);
    expect(upload.output.trim()).toMatch(
      /^Invalid configuration: UPLOAD_DIR \(\/proc\/jobsphere-upload\) is not a writable folder/,
    );
    // The silent database would have held either process for the full minute.
    expect(Math.max(key.ms, upload.ms)).toBeLessThan(45_000);
  });

  it("gives up on a database that accepts connections but never answers, naming DATABASE_URL", {
    timeout: 60_000,
  }, async () => {
    const env = { DATABASE_URL: silentUrl, DATABASE_CONNECT_TIMEOUT_MS: "1500" };
    const [server, migrate] = await Promise.all([run(mainScript, env), run(migrateCli, env)]);
    for (const result of [server, migrate]) {
      expect(result.code).toBe(1);
      expect(result.output).toContain("DATABASE_URL");
      expect(result.output).toContain("timeout");
      expect(result.output).not.toContain("S3cr3tPw");
    }
  });
});
