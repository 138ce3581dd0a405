import { spawnSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../src/config.js";

const main = fileURLToPath(new URL("../src/main.ts", import.meta.url));

describe("configuration", () => {
  it("has working defaults for a fresh checkout", () => {
    const config = loadConfig({});
    expect(config.port).toBe(3000);
    expect(config.env).toBe("development");
    expect(config.databaseUrl).toBeUndefined();
    expect(config.dataDir).toMatch(/\.data$/);
    expect(config.corsOrigins).toEqual([]);
  });

  it("reads and types every setting", () => {
    const key = generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    const config = loadConfig({
      JWT_PRIVATE_KEY: key,
      SMTP_URL: "smtp://mail.example.com:587",
      ADMIN_EMAIL: "root@example.com",
      ADMIN_PASSWORD: "correct horse battery",
      PORT: "8081",
      HOST: "127.0.0.1",
      PUBLIC_URL: "https://api.example.com/",
      DATA_DIR: "/tmp/js",
      DATABASE_URL: "postgres://u:p@db:5432/jobsphere",
      NODE_ENV: "production",
      LOG_LEVEL: "warn",
      CORS_ORIGINS: "https://admin.example.com, http://localhost:5173",
    });
    expect(config).toMatchObject({
      port: 8081,
      host: "127.0.0.1",
      publicUrl: "https://api.example.com",
      dataDir: "/tmp/js",
      databaseUrl: "postgres://u:p@db:5432/jobsphere",
      env: "production",
      logLevel: "warn",
      logFormat: "json",
      corsOrigins: ["https://admin.example.com", "http://localhost:5173"],
      auth: { jwtPrivateKey: key, accessTokenTtlSeconds: 900 },
      mail: { smtpUrl: "smtp://mail.example.com:587" },
      bootstrapAdmin: { email: "root@example.com", password: "correct horse battery" },
    });
  });

  it("requires a signing key in production, where instances must share it", () => {
    expect(() => loadConfig({ NODE_ENV: "production" })).toThrow(/JWT_PRIVATE_KEY is required in production/);
  });

  it("refuses half of the admin bootstrap pair", () => {
    expect(() => loadConfig({ ADMIN_EMAIL: "root@example.com" })).toThrow(
      /ADMIN_EMAIL and ADMIN_PASSWORD go together/,
    );
  });

  it.each([
    ["PORT", "abc", /^Invalid configuration: PORT .*"abc"/],
    ["PORT", "70000", /^Invalid configuration: PORT must be between 0 and 65535/],
    ["DATABASE_URL", "mysql://x", /^Invalid configuration: DATABASE_URL must be a postgres/],
    ["LOG_LEVEL", "loud", /^Invalid configuration: LOG_LEVEL/],
    ["PUBLIC_URL", "not a url", /^Invalid configuration: PUBLIC_URL must be a URL/],
    ["BODY_LIMIT", "lots", /^Invalid configuration: BODY_LIMIT/],
    ["SMTP_URL", "mail.example.com", /^Invalid configuration: SMTP_URL must be an smtp/],
    ["JWT_PRIVATE_KEY", "secret", /^Invalid configuration: JWT_PRIVATE_KEY must be a PEM/],
    ["UPLOAD_MAX_MB_AVATAR", "0", /^Invalid configuration: UPLOAD_MAX_MB_AVATAR/],
    ["UPLOAD_MAX_MB_CHAT_ATTACHMENT", "2048", /^Invalid configuration: UPLOAD_MAX_MB_CHAT_ATTACHMENT/],
  ])("rejects %s=%s naming the variable", (name, value, message) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(message);
  });

  it("seeds demo data on its own only into the embedded database of a development server", () => {
    expect(loadConfig({}).demoData).toBe("embedded");
    expect(loadConfig({ DATABASE_URL: "postgres://u:p@db/app" }).demoData).toBe("embedded");
    expect(loadConfig({ NODE_ENV: "test" }).demoData).toBe(false);
    expect(loadConfig({ DEMO_DATA: "true", NODE_ENV: "test" }).demoData).toBe(true);
    expect(loadConfig({ DEMO_DATA: "false" }).demoData).toBe(false);
  });

  it.each([
    ["false", false],
    ["0", false],
    ["1", 1],
    ["2", 2],
    ["10.0.0.1", ["10.0.0.1"]],
    ["loopback, 10.0.0.0/8, fd00::/8", ["loopback", "10.0.0.0/8", "fd00::/8"]],
  ])("reads TRUST_PROXY=%s as Express's trust proxy %j", (value, expected) => {
    expect(loadConfig({ TRUST_PROXY: value }).trustProxy).toEqual(expected);
  });

  it.each([
    ["true", /must not be true: that trusts every X-Forwarded-For hop/],
    ["yes", /not "yes"/],
    ["10.0.0.0/33", /not "10.0.0.0\/33"/],
    ["10.0.0.1, proxy.example.com", /not "proxy.example.com"/],
    ["-1", /not "-1"/],
  ])("refuses TRUST_PROXY=%s with a clear error", (value, message) => {
    expect(() => loadConfig({ TRUST_PROXY: value })).toThrow(ConfigError);
    expect(() => loadConfig({ TRUST_PROXY: value })).toThrow(message);
  });

  it("has deliberate HTTP and database timeouts, each configurable", () => {
    expect(loadConfig({})).toMatchObject({
      http: {
        headersTimeoutMs: 10_000,
        requestTimeoutMs: 30_000,
        uploadTimeoutMs: 300_000,
        keepAliveTimeoutMs: 5_000,
      },
      database: { statementTimeoutMs: 15_000, connectTimeoutMs: 10_000, readinessTimeoutMs: 2_000 },
    });
    expect(
      loadConfig({ HTTP_REQUEST_TIMEOUT_MS: "60000", DATABASE_STATEMENT_TIMEOUT_MS: "500" }),
    ).toMatchObject({ http: { requestTimeoutMs: 60_000 }, database: { statementTimeoutMs: 500 } });
    expect(() => loadConfig({ HTTP_HEADERS_TIMEOUT_MS: "0" })).toThrow(/HTTP_HEADERS_TIMEOUT_MS/);
    expect(() => loadConfig({ HTTP_HEADERS_TIMEOUT_MS: "40000" })).toThrow(
      /HTTP_HEADERS_TIMEOUT_MS must not exceed HTTP_REQUEST_TIMEOUT_MS/,
    );
  });

  it("reads the booking timers as durations with units and the late refund in basis points", () => {
    expect(loadConfig({}).bookings).toEqual({
      requestExpirySeconds: 48 * 3600,
      autoReleaseSeconds: 72 * 3600,
      cancellation: { fullRefundNoticeSeconds: 24 * 3600, lateRefundBps: 5000 },
    });
    expect(
      loadConfig({
        BOOKING_REQUEST_EXPIRY: "90m",
        BOOKING_AUTO_RELEASE: "3d",
        BOOKING_FREE_CANCEL_NOTICE: "12h",
        BOOKING_LATE_CANCEL_REFUND_BPS: "2500",
      }).bookings,
    ).toEqual({
      requestExpirySeconds: 5400,
      autoReleaseSeconds: 3 * 86_400,
      cancellation: { fullRefundNoticeSeconds: 12 * 3600, lateRefundBps: 2500 },
    });
    expect(() => loadConfig({ BOOKING_REQUEST_EXPIRY: "48" })).toThrow(
      /BOOKING_REQUEST_EXPIRY must look like "48h"/,
    );
    expect(() => loadConfig({ BOOKING_AUTO_RELEASE: "0h" })).toThrow(
      /BOOKING_AUTO_RELEASE must be longer than 0/,
    );
    expect(() => loadConfig({ BOOKING_LATE_CANCEL_REFUND_BPS: "10001" })).toThrow(
      /BOOKING_LATE_CANCEL_REFUND_BPS must be between 0 and 10000/,
    );
    expect(() => loadConfig({ BOOKING_LATE_CANCEL_REFUND_BPS: "50.5" })).toThrow(/whole number/);
  });

  it("stops the process at start with one clear line", () => {
    const result = spawnSync(process.execPath, ["--import", "tsx", main], {
      env: { ...process.env, PORT: "not-a-port", DATABASE_URL: "" },
      encoding: "utf8",
      timeout: 20_000,
    });
    expect(result.status).toBe(1);
    expect(result.stderr.trim().split("\n")).toEqual([
      'Invalid configuration: PORT must be a port number (got "not-a-port")',
    ]);
  });
});
