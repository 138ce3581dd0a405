import { createPrivateKey } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseEnv } from "node:util";
import { z } from "zod";

/** Raw environment: strings by name, as the process sees them. */
export type Environment = Readonly<Record<string, string | undefined>>;

const port = z.coerce
  .number({ error: "must be a port number" })
  .int("must be a whole number")
  .min(0, "must be between 0 and 65535")
  .max(65535, "must be between 0 and 65535");

const positiveInt = z.coerce.number({ error: "must be a number" }).int("must be a whole number").positive();

const optionalUrl = z.preprocess(
  (value) => (value === "" ? undefined : value),
  z.url({ error: "must be a URL" }).optional(),
);

const list = z
  .string()
  .default("")
  .transform((value) =>
    value
      .split(",")
      .map((item) => item.trim())
      .filter((item) => item.length > 0),
  );

const schema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  HOST: z.string().min(1).default("0.0.0.0"),
  PORT: port.default(3000),
  PUBLIC_URL: optionalUrl,
  DATA_DIR: z.string().min(1).default(".data"),
  DATABASE_URL: z.preprocess(
    (value) => (value === "" ? undefined : value),
    z
      .string()
      .regex(/^postgres(ql)?:\/\//, "must be a postgres:// or postgresql:// URL")
      .optional(),
  ),
  EMBEDDED_POSTGRES_PORT: port.optional(),
  EMBEDDED_POSTGRES_RESTARTS: z.coerce.number({ error: "must be a number" }).int().min(0).default(3),
  DATABASE_CONNECT_TIMEOUT_MS: positiveInt.default(10_000),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  LOG_FORMAT: z.enum(["pretty", "json"]).optional(),
  CORS_ORIGINS: list,
  BODY_LIMIT: z
    .string()
    .regex(/^\d+(b|kb|mb)$/i, 'must look like "1mb", "512kb" or "1000b"')
    .default("1mb"),
  SHUTDOWN_TIMEOUT_MS: positiveInt.default(10_000),
  SHUTDOWN_DRAIN_MS: z.preprocess(
    (value) => (value === "" ? undefined : value),
    z.coerce.number({ error: "must be a number" }).int("must be a whole number").min(0).optional(),
  ),
  JWT_PRIVATE_KEY: z.preprocess(
    (value) => (value === "" ? undefined : value),
    z
      .string()
      .includes("PRIVATE KEY", { message: "must be a PEM-encoded Ed25519 private key (PKCS#8)" })
      // Checked here, before any database work: a key that does not parse would otherwise fail late.
      .refine(isEd25519PrivateKey, { message: "must be a PEM-encoded Ed25519 private key (PKCS#8)" })
      .optional(),
  ),
  ACCESS_TOKEN_TTL_SECONDS: positiveInt.max(86_400).default(900),
  REFRESH_TOKEN_IDLE_DAYS: positiveInt.max(365).default(14),
  SESSION_MAX_DAYS: positiveInt.max(365).default(30),
  SMTP_URL: z.preprocess(
    (value) => (value === "" ? undefined : value),
    z
      .string()
      .regex(/^smtps?:\/\//, "must be an smtp:// or smtps:// URL")
      .optional(),
  ),
  MAIL_FROM: z.string().min(3).default("JobSphere <no-reply@jobsphere.localhost>"),
  ADMIN_EMAIL: z.preprocess((value) => (value === "" ? undefined : value), z.email().optional()),
  ADMIN_PASSWORD: z.preprocess(
    (value) => (value === "" ? undefined : value),
    z.string().min(8).max(128).optional(),
  ),
  STORAGE_DRIVER: z.enum(["local", "s3"]).default("local"),
  UPLOAD_DIR: z.string().min(1).default("upload"),
  SIGNED_URL_TTL_SECONDS: positiveInt.max(7 * 24 * 3600).default(900),
  S3_BUCKET: z.preprocess((value) => (value === "" ? undefined : value), z.string().min(3).optional()),
  S3_REGION: z.string().min(1).default("us-east-1"),
  S3_ENDPOINT: optionalUrl,
  S3_FORCE_PATH_STYLE: z
    .enum(["true", "false"], { error: 'must be "true" or "false"' })
    .default("false")
    .transform((value) => value === "true"),
  S3_ACCESS_KEY_ID: z.preprocess((value) => (value === "" ? undefined : value), z.string().optional()),
  S3_SECRET_ACCESS_KEY: z.preprocess((value) => (value === "" ? undefined : value), z.string().optional()),
  S3_PUBLIC_URL: optionalUrl,
  DEMO_DATA: z
    .enum(["auto", "true", "false"], { error: 'must be "auto", "true" or "false"' })
    .default("auto"),
  TRUST_PROXY: z
    .enum(["true", "false"], { error: 'must be "true" or "false"' })
    .default("false")
    .transform((value) => value === "true"),
});

export interface Config {
  env: "development" | "production" | "test";
  host: string;
  port: number;
  /** Where clients reach this server; derived from HOST and PORT when unset. */
  publicUrl: string | undefined;
  dataDir: string;
  databaseUrl: string | undefined;
  embeddedPostgresPort: number | undefined;
  /** How many times a dead embedded PostgreSQL is restarted before the server gives up and exits. */
  embeddedPostgresRestarts: number;
  /** How long start-up (and the CLIs) wait for the database to accept a connection. */
  databaseConnectTimeoutMs: number;
  logLevel: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
  logFormat: "pretty" | "json";
  corsOrigins: string[];
  bodyLimit: string;
  shutdownTimeoutMs: number;
  /** After SIGTERM: how long readiness answers 503 while requests are still accepted, so balancers notice. */
  shutdownDrainMs: number;
  trustProxy: boolean;
  auth: {
    /** PEM of the Ed25519 signing key; generated under DATA_DIR/keys when unset outside production. */
    jwtPrivateKey: string | undefined;
    accessTokenTtlSeconds: number;
    refreshTokenIdleDays: number;
    sessionMaxDays: number;
  };
  mail: {
    /** SMTP server; unset: mail is written to the log and to DATA_DIR/mail. */
    smtpUrl: string | undefined;
    from: string;
  };
  storage: {
    driver: "local" | "s3";
    /** Folder of the local driver. */
    uploadDir: string;
    signedUrlTtlSeconds: number;
    s3: {
      bucket: string | undefined;
      region: string;
      endpoint: string | undefined;
      forcePathStyle: boolean;
      accessKeyId: string | undefined;
      secretAccessKey: string | undefined;
      /** Base URL of public objects (CDN or bucket website); default: the bucket's own URL. */
      publicBaseUrl: string | undefined;
    };
  };
  /** Seed demo accounts and contractors into an empty database: `auto` does it in development only. */
  demoData: boolean;
  /** An admin account created at start when no account has this email yet. */
  bootstrapAdmin: { email: string; password: string } | undefined;
}

/** Settings whose values are secrets or may hold credentials: an error names them, never shows them. */
const secretVariables = new Set([
  "DATABASE_URL",
  "SMTP_URL",
  "JWT_PRIVATE_KEY",
  "ADMIN_PASSWORD",
  "S3_ACCESS_KEY_ID",
  "S3_SECRET_ACCESS_KEY",
]);

function isEd25519PrivateKey(pem: string): boolean {
  try {
    return createPrivateKey(pem).asymmetricKeyType === "ed25519";
  } catch {
    return false;
  }
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Validates the environment; the first problem is reported as one line naming the variable. */
export function loadConfig(env: Environment): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const variable = String(issue?.path[0] ?? "environment");
    const given = env[variable];
    const secret = secretVariables.has(variable) || /\/\/[^/@\s]*@/.test(given ?? "");
    const shown = given === undefined || secret ? "" : ` (got ${JSON.stringify(given)})`;
    throw new ConfigError(`Invalid configuration: ${variable} ${issue?.message ?? "is invalid"}${shown}`);
  }
  const value = parsed.data;
  if (value.NODE_ENV === "production" && !value.JWT_PRIVATE_KEY) {
    throw new ConfigError(
      "Invalid configuration: JWT_PRIVATE_KEY is required in production (all instances must sign with the same key)",
    );
  }
  if (value.STORAGE_DRIVER === "s3" && !value.S3_BUCKET) {
    throw new ConfigError("Invalid configuration: S3_BUCKET is required when STORAGE_DRIVER=s3");
  }
  if ((value.ADMIN_EMAIL === undefined) !== (value.ADMIN_PASSWORD === undefined)) {
    throw new ConfigError(
      "Invalid configuration: ADMIN_EMAIL and ADMIN_PASSWORD go together; set both or neither",
    );
  }
  return {
    env: value.NODE_ENV,
    host: value.HOST,
    port: value.PORT,
    publicUrl: value.PUBLIC_URL?.replace(/\/+$/, ""),
    dataDir: resolve(value.DATA_DIR),
    databaseUrl: value.DATABASE_URL,
    embeddedPostgresPort: value.EMBEDDED_POSTGRES_PORT,
    embeddedPostgresRestarts: value.EMBEDDED_POSTGRES_RESTARTS,
    databaseConnectTimeoutMs: value.DATABASE_CONNECT_TIMEOUT_MS,
    logLevel: value.LOG_LEVEL,
    logFormat: value.LOG_FORMAT ?? (value.NODE_ENV === "development" ? "pretty" : "json"),
    corsOrigins: value.CORS_ORIGINS,
    bodyLimit: value.BODY_LIMIT,
    shutdownTimeoutMs: value.SHUTDOWN_TIMEOUT_MS,
    // A balancer needs a few probe periods to take the instance out; nothing balances a development server.
    shutdownDrainMs: value.SHUTDOWN_DRAIN_MS ?? (value.NODE_ENV === "production" ? 5_000 : 0),
    trustProxy: value.TRUST_PROXY,
    auth: {
      jwtPrivateKey: value.JWT_PRIVATE_KEY,
      accessTokenTtlSeconds: value.ACCESS_TOKEN_TTL_SECONDS,
      refreshTokenIdleDays: value.REFRESH_TOKEN_IDLE_DAYS,
      sessionMaxDays: value.SESSION_MAX_DAYS,
    },
    mail: { smtpUrl: value.SMTP_URL, from: value.MAIL_FROM },
    storage: {
      driver: value.STORAGE_DRIVER,
      uploadDir: resolve(value.UPLOAD_DIR),
      signedUrlTtlSeconds: value.SIGNED_URL_TTL_SECONDS,
      s3: {
        bucket: value.S3_BUCKET,
        region: value.S3_REGION,
        endpoint: value.S3_ENDPOINT?.replace(/\/+$/, ""),
        forcePathStyle: value.S3_FORCE_PATH_STYLE,
        accessKeyId: value.S3_ACCESS_KEY_ID,
        secretAccessKey: value.S3_SECRET_ACCESS_KEY,
        publicBaseUrl: value.S3_PUBLIC_URL?.replace(/\/+$/, ""),
      },
    },
    demoData: value.DEMO_DATA === "true" || (value.DEMO_DATA === "auto" && value.NODE_ENV === "development"),
    bootstrapAdmin:
      value.ADMIN_EMAIL && value.ADMIN_PASSWORD
        ? { email: value.ADMIN_EMAIL, password: value.ADMIN_PASSWORD }
        : undefined,
  };
}

/**
 * The process environment merged over the `.env` file of the working directory, if there is one.
 * The one place that reads `process.env`: everything else receives a Config.
 */
export function readEnvironment(cwd = process.cwd()): Environment {
  const file = resolve(cwd, ".env");
  const fromFile = existsSync(file) ? parseEnv(readFileSync(file, "utf8")) : {};
  return { ...fromFile, ...process.env };
}
