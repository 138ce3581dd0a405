import { createPrivateKey } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { isIP } from "node:net";
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

const units = { s: 1, m: 60, h: 3600, d: 86_400 } as const;

/** A rate limit written as `points/window`, e.g. `10/15m` (units s, m, h, d). */
const limit = (fallback: string) =>
  z
    .string()
    .regex(/^\s*\d+\s*\/\s*\d+\s*[smhd]\s*$/, 'must look like "10/15m" (points per window; units s, m, h, d)')
    .default(fallback)
    .transform((value): LimitSetting => {
      const [, points, amount, unit] = /^\s*(\d+)\s*\/\s*(\d+)\s*([smhd])/.exec(value) ?? [];
      return { points: Number(points), windowSeconds: Number(amount) * units[unit as keyof typeof units] };
    })
    .refine((setting) => setting.points > 0 && setting.windowSeconds > 0, "must allow at least 1 per window");

export interface LimitSetting {
  points: number;
  windowSeconds: number;
}

const milliseconds = positiveInt;

/** A length of time written with its unit, e.g. `48h`, `30m`, `2d`, `5s`; read as seconds. */
const duration = (fallback: string) =>
  z
    .string()
    .regex(/^\s*\d+\s*[smhd]\s*$/, 'must look like "48h" (a whole number and a unit: s, m, h, d)')
    .default(fallback)
    .transform((value) => {
      const [, amount, unit] = /^\s*(\d+)\s*([smhd])/.exec(value) ?? [];
      return Number(amount) * units[unit as keyof typeof units];
    })
    .refine((seconds) => seconds > 0, "must be longer than 0");

/** Names Express's `trust proxy` knows for whole address ranges. */
const proxyRangeNames = new Set(["loopback", "linklocal", "uniquelocal"]);

/** An address, a subnet in CIDR notation, or one of Express's range names. */
function isProxyAddress(entry: string): boolean {
  if (proxyRangeNames.has(entry)) return true;
  const [address = "", prefix, ...rest] = entry.split("/");
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

/**
 * Which proxies may set X-Forwarded-For: `false` (none), a hop count, or proxy addresses and subnets.
 * `true` is refused: Express would then trust every hop, so any client could name its own address and walk
 * past every per-address limit.
 */
const trustProxy = z
  .string()
  .trim()
  .default("false")
  .superRefine((value, ctx) => {
    if (value === "true") {
      ctx.addIssue({
        code: "custom",
        message:
          "must not be true: that trusts every X-Forwarded-For hop, so clients could choose their own address; set the number of proxies in front of the server (e.g. 1) or their addresses",
      });
      return;
    }
    if (value === "false" || /^\d+$/.test(value)) return;
    const bad = value
      .split(",")
      .map((entry) => entry.trim())
      .find((entry) => !isProxyAddress(entry));
    if (bad !== undefined) {
      ctx.addIssue({
        code: "custom",
        message: `must be false, a hop count, or a comma-separated list of proxy addresses or subnets (not ${JSON.stringify(bad)})`,
      });
    }
  })
  .transform((value): false | number | string[] => {
    if (value === "false") return false;
    if (/^\d+$/.test(value)) return Number(value) === 0 ? false : Number(value);
    return value.split(",").map((entry) => entry.trim());
  });

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
  REFRESH_REUSE_GRACE_SECONDS: z.coerce
    .number({ error: "must be a number" })
    .int("must be a whole number")
    .min(0)
    .max(300)
    .default(30),
  SESSION_CACHE_TTL_SECONDS: z.coerce
    .number({ error: "must be a number" })
    .int("must be a whole number")
    .min(0)
    .max(3_600)
    .default(60),
  LIMIT_LOGIN_ACCOUNT_ADDRESS: limit("10/15m"),
  LIMIT_LOGIN_ADDRESS: limit("100/1h"),
  LIMIT_LOGIN_ACCOUNT: limit("100/1h"),
  LIMIT_PASSWORD_CHANGE: limit("10/15m"),
  LIMIT_REGISTER_ADDRESS: limit("20/1h"),
  LIMIT_CODE_MAIL_EMAIL: limit("5/1h"),
  LIMIT_CODE_MAIL_ADDRESS: limit("30/1h"),
  LIMIT_CODE_CHECK_ADDRESS: limit("30/15m"),
  CODE_TTL_MINUTES: positiveInt.max(24 * 60).default(10),
  CODE_MAX_ATTEMPTS: positiveInt.max(100).default(5),
  SOCKET_SESSION_CHECK_MS: z.coerce
    .number({ error: "must be a number" })
    .int()
    .min(0)
    .max(600_000)
    .default(5000),
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
  UPLOADS_PER_HOUR: positiveInt.default(100),
  UPLOAD_MAX_IMAGE_PIXELS: positiveInt.default(40_000_000),
  UPLOAD_IMAGE_CONCURRENCY: positiveInt.max(64).default(2),
  // Per purpose, in MB; 1 GB at most, as busboy and the temporary folder would suffer past it.
  UPLOAD_MAX_MB_AVATAR: positiveInt.max(1024).default(5),
  UPLOAD_MAX_MB_PORTFOLIO: positiveInt.max(1024).default(10),
  UPLOAD_MAX_MB_JOB_ATTACHMENT: positiveInt.max(1024).default(20),
  UPLOAD_MAX_MB_VERIFICATION_DOCUMENT: positiveInt.max(1024).default(20),
  UPLOAD_MAX_MB_CHAT_ATTACHMENT: positiveInt.max(1024).default(25),
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
  TRUST_PROXY: trustProxy,
  HTTP_HEADERS_TIMEOUT_MS: milliseconds.default(10_000),
  HTTP_REQUEST_TIMEOUT_MS: milliseconds.default(30_000),
  HTTP_UPLOAD_TIMEOUT_MS: milliseconds.default(300_000),
  HTTP_KEEP_ALIVE_TIMEOUT_MS: milliseconds.default(5_000),
  DATABASE_STATEMENT_TIMEOUT_MS: milliseconds.default(15_000),
  READINESS_TIMEOUT_MS: milliseconds.default(2_000),
  DATABASE_POOL_SIZE: positiveInt.default(10),
  PUBLIC_QUERY_CONCURRENCY: positiveInt.default(3),
  PUBLIC_QUERY_QUEUE_MS: milliseconds.default(1_000),
  BOOKING_REQUEST_EXPIRY: duration("48h"),
  BOOKING_AUTO_RELEASE: duration("72h"),
  BOOKING_FREE_CANCEL_NOTICE: duration("24h"),
  BOOKING_LATE_CANCEL_REFUND_BPS: z.coerce
    .number({ error: "must be a number" })
    .int("must be a whole number of basis points")
    .min(0, "must be between 0 and 10000")
    .max(10_000, "must be between 0 and 10000")
    .default(5000),
  JOB_EXPIRY: duration("14d"),
  LIMIT_CHAT_MESSAGES: limit("60/1m"),
  CHAT_TYPING_THROTTLE_MS: z.coerce
    .number({ error: "must be a number" })
    .int("must be a whole number")
    .min(0)
    .max(60_000)
    .default(2000),
  CHAT_PUSH_DELAY_MS: z.coerce
    .number({ error: "must be a number" })
    .int("must be a whole number")
    .min(0)
    .max(60_000)
    .default(1000),
  SOCKET_MAX_PAYLOAD_BYTES: z.coerce
    .number({ error: "must be a number" })
    .int("must be a whole number")
    .min(1024)
    .max(10_000_000)
    .default(65_536),
  ADMIN_METRICS_MAX_DAYS: positiveInt.max(3_660).default(366),
  PUSH_PROVIDER: z.enum(["fcm", "sns", "log"], { error: 'must be "fcm", "sns" or "log"' }).default("log"),
  FCM_SERVICE_ACCOUNT: z.preprocess((value) => (value === "" ? undefined : value), z.string().optional()),
  SNS_REGION: z.string().min(1).default("us-east-1"),
  SNS_ENDPOINT: optionalUrl,
  SNS_ACCESS_KEY_ID: z.preprocess((value) => (value === "" ? undefined : value), z.string().optional()),
  SNS_SECRET_ACCESS_KEY: z.preprocess((value) => (value === "" ? undefined : value), z.string().optional()),
  SNS_ANDROID_APPLICATION_ARN: z.preprocess(
    (value) => (value === "" ? undefined : value),
    z.string().startsWith("arn:", "must be an ARN (arn:aws:sns:…:app/GCM/…)").optional(),
  ),
  SNS_IOS_APPLICATION_ARN: z.preprocess(
    (value) => (value === "" ? undefined : value),
    z.string().startsWith("arn:", "must be an ARN (arn:aws:sns:…:app/APNS/…)").optional(),
  ),
  PUSH_RETRY_LIMIT: z.coerce
    .number({ error: "must be a number" })
    .int("must be a whole number")
    .min(0)
    .max(50)
    .default(8),
  PUSH_RETRY_DELAY: duration("5s"),
  REVIEW_EDIT_WINDOW: duration("7d"),
  STRIPE_SECRET_KEY: z.preprocess((value) => (value === "" ? undefined : value), z.string().optional()),
  STRIPE_WEBHOOK_SECRET: z.preprocess((value) => (value === "" ? undefined : value), z.string().optional()),
  STRIPE_API_BASE: optionalUrl,
  STRIPE_WEBHOOK_TOLERANCE: duration("300s"),
  STRIPE_TIMEOUT_MS: milliseconds.default(20_000),
  STRIPE_CONNECT_RETURN_URL: optionalUrl,
  STRIPE_CONNECT_REFRESH_URL: optionalUrl,
  COMMISSION_RATE_BPS: z.coerce
    .number({ error: "must be a number" })
    .int("must be a whole number of basis points")
    .min(0, "must be between 0 and 10000")
    .max(10_000, "must be between 0 and 10000")
    .default(1000),
  COMMISSION_FIXED_FEE: z
    .string()
    .regex(/^\s*\d+\s+[a-zA-Z]{3}\s*$/, 'must look like "0 usd" (minor units and a currency)')
    .default("0 usd")
    .transform((value) => {
      const [amount, currency] = value.trim().split(/\s+/);
      return { amount: Number(amount), currency: (currency ?? "usd").toLowerCase() };
    }),
});

/** The fields of a Firebase service account key that sending needs (the JSON file names them in snake_case). */
const serviceAccountSchema = z
  .object({ project_id: z.string().min(1), client_email: z.string().min(3), private_key: z.string().min(1) })
  .transform((key) => ({
    projectId: key.project_id,
    clientEmail: key.client_email,
    privateKey: key.private_key,
  }));

/** FCM_SERVICE_ACCOUNT holds the key file's JSON or its path; either way a broken key fails at start. */
function fcmServiceAccount(value: string | undefined): Config["push"]["fcm"]["serviceAccount"] {
  if (value === undefined) return undefined;
  let text = value;
  if (!value.trimStart().startsWith("{")) {
    if (!existsSync(value)) throw new ConfigError("Invalid configuration: FCM_SERVICE_ACCOUNT names no file");
    text = readFileSync(value, "utf8");
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ConfigError("Invalid configuration: FCM_SERVICE_ACCOUNT is not a service account key (JSON)");
  }
  const parsed = serviceAccountSchema.safeParse(json);
  if (!parsed.success) {
    throw new ConfigError(
      "Invalid configuration: FCM_SERVICE_ACCOUNT lacks project_id, client_email or private_key (use the key file Firebase gives)",
    );
  }
  return parsed.data;
}

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
  logLevel: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
  logFormat: "pretty" | "json";
  corsOrigins: string[];
  bodyLimit: string;
  shutdownTimeoutMs: number;
  /** After SIGTERM: how long readiness answers 503 while requests are still accepted, so balancers notice. */
  shutdownDrainMs: number;
  /** Express's `trust proxy`: false, the number of proxies in front, or their addresses and subnets. */
  trustProxy: false | number | string[];
  http: {
    /** Time a client has to send the request headers (slow-headers clients are cut off). */
    headersTimeoutMs: number;
    /** Time a client has to send a whole request, body included, uploads excepted. */
    requestTimeoutMs: number;
    /** Time a client has to send a whole upload (multipart/form-data), which streams and may be large. */
    uploadTimeoutMs: number;
    /** How long an idle keep-alive connection stays open. */
    keepAliveTimeoutMs: number;
  };
  database: {
    /** Longest a query of the application's pool may run before PostgreSQL cancels it. */
    statementTimeoutMs: number;
    /** Longest wait for a connection to the database: at start-up, in the CLIs, and for a pooled one. */
    connectTimeoutMs: number;
    /** Longest the readiness probe waits for the database. */
    readinessTimeoutMs: number;
    /** Connections of the application's pool. */
    poolSize: number;
    /** Expensive queries anyone may send (contractor search): how many run at once, how long others wait. */
    publicQueries: { concurrency: number; queueMs: number };
  };
  auth: {
    /** PEM of the Ed25519 signing key; generated under DATA_DIR/keys when unset outside production. */
    jwtPrivateKey: string | undefined;
    accessTokenTtlSeconds: number;
    refreshTokenIdleDays: number;
    sessionMaxDays: number;
    /** How long a spent refresh token may be retried (a lost answer) before reuse ends its session. */
    refreshReuseGraceSeconds: number;
    /**
     * How long a session read from the database is trusted from memory at most (0: read on every request).
     * Ending a session takes effect at once anyway; this bounds a lost signal.
     */
    sessionCacheTtlSeconds: number;
    /** Attempt limits; failures-only limits forgive an attempt that succeeds (docs/api-guide.md). */
    limits: {
      /** Failed logins for one account from one address. */
      loginAccountAddress: LimitSetting;
      /** Failed logins from one address, whatever the account (credential stuffing). */
      loginAddress: LimitSetting;
      /** Failed logins for one account from addresses it never signed in from (guessing spread wide). */
      loginAccount: LimitSetting;
      /** Wrong current passwords in `POST /auth/password/change`, per account. */
      passwordChange: LimitSetting;
      /** Registrations from one address. */
      registerAddress: LimitSetting;
      /** Emailed codes (verification resend, password forgot) for one email address. */
      codeMailEmail: LimitSetting;
      /** Emailed codes asked for from one address, whatever the email. */
      codeMailAddress: LimitSetting;
      /** Codes checked (email verify, password reset) from one address, right or wrong. */
      codeCheckAddress: LimitSetting;
    };
    /** Emailed one-time codes (email verification, password reset). */
    codes: {
      /** How long a code is valid after it is sent. */
      ttlMinutes: number;
      /** Wrong tries one code allows before it is dead. */
      maxAttempts: number;
    };
  };
  /** How long a socket's session check is trusted before an incoming event checks it again. */
  socketSessionCheckMs: number;
  mail: {
    /** SMTP server; unset: mail is written to DATA_DIR/mail outside production, and logged in development. */
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
  uploads: {
    /** Uploads one user may start per hour, refused ones included. */
    perUserPerHour: number;
    /** Largest image accepted, in pixels (width × height), checked from its header before decoding. */
    maxImagePixels: number;
    /** Images decoded and re-encoded at once by this process; further uploads wait their turn. */
    imageConcurrency: number;
    /** Largest file per purpose, in MB (1024 × 1024 bytes). */
    maxMegabytes: Record<
      "avatar" | "portfolio" | "job_attachment" | "verification_document" | "chat_attachment",
      number
    >;
  };
  /**
   * Seed demo accounts and contractors into an empty database. `embedded`: only when the database is the
   * embedded one (DEMO_DATA=auto in development), never into a server named by DATABASE_URL.
   */
  demoData: boolean | "embedded";
  bookings: {
    /** An unanswered booking request expires this long after it is made. */
    requestExpirySeconds: number;
    /** A completed booking is released to the contractor this long after completion unless confirmed or disputed. */
    autoReleaseSeconds: number;
    cancellation: {
      /** A customer cancelling a paid booking at least this long before its start is refunded in full. */
      fullRefundNoticeSeconds: number;
      /** Share of the price refunded to a customer cancelling a paid booking later than that (basis points). */
      lateRefundBps: number;
    };
  };
  /** An admin account created at start when no account has this email yet. */
  bootstrapAdmin: { email: string; password: string } | undefined;
  payments: {
    /** `stripe` when STRIPE_SECRET_KEY is set, else `simulated` (offline, Stripe test mode's behaviour). */
    gateway: "stripe" | "simulated";
    stripeSecretKey: string | undefined;
    /**
     * Verifies webhook signatures. Required with a secret key; the simulated gateway signs its own events with
     * it, or with a random secret of this process when unset.
     */
    webhookSecret: string | undefined;
    /** Another Stripe API base (a local double in tests). */
    apiBase: string | undefined;
    /** A signed webhook older than this is refused (replay protection). */
    webhookToleranceSeconds: number;
    timeoutMs: number;
    /** Where Stripe sends a contractor after onboarding, and when an onboarding link has expired. */
    connectReturnUrl: string | undefined;
    connectRefreshUrl: string | undefined;
    /** The commission until an admin saves one. */
    defaultCommission: { rateBps: number; fixedFee: { amount: number; currency: string } };
  };
  jobs: {
    /** How long a posted job stays open for quotes before it expires. */
    expirySeconds: number;
  };
  chat: {
    /** Messages one user may send per window (sockets and REST together). */
    messageLimit: LimitSetting;
    /** A socket's typing indicator reaches the other side at most once per this period. */
    typingThrottleMs: number;
  };
  /** The largest Socket.IO message a client may send; a larger one closes its connection. */
  socketMaxPayloadBytes: number;
  admin: {
    /** The longest period one `GET /admin/metrics` covers (its daily series has an entry a day). */
    metricsMaxDays: number;
  };
  push: {
    provider: "fcm" | "sns" | "log";
    fcm: { serviceAccount: { projectId: string; clientEmail: string; privateKey: string } | undefined };
    sns: {
      region: string;
      endpoint: string | undefined;
      accessKeyId: string | undefined;
      secretAccessKey: string | undefined;
      /** Platform applications (GCM for Android, APNs for iOS) under which device endpoints are made. */
      applicationArns: { android: string | undefined; ios: string | undefined };
    };
    /** A failed push is retried this many times, the delay doubling from `retryDelaySeconds`. */
    retryLimit: number;
    retryDelaySeconds: number;
    /**
     * A chat message's notification waits this long; the recipient's later messages of the same conversation
     * meanwhile make that one notification (the latest message).
     */
    chatDelayMs: number;
  };
  reviews: {
    /** A customer may change their review for this long after writing it. */
    editWindowSeconds: number;
  };
}

/** Settings whose values are secrets or may hold credentials: an error names them, never shows them. */
const secretVariables = new Set([
  "STRIPE_SECRET_KEY",
  "STRIPE_WEBHOOK_SECRET",
  "DATABASE_URL",
  "SMTP_URL",
  "JWT_PRIVATE_KEY",
  "ADMIN_PASSWORD",
  "S3_ACCESS_KEY_ID",
  "S3_SECRET_ACCESS_KEY",
  "FCM_SERVICE_ACCOUNT",
  "SNS_ACCESS_KEY_ID",
  "SNS_SECRET_ACCESS_KEY",
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
  if (value.STRIPE_SECRET_KEY && !value.STRIPE_WEBHOOK_SECRET) {
    throw new ConfigError(
      "Invalid configuration: STRIPE_WEBHOOK_SECRET is required with STRIPE_SECRET_KEY (webhooks cannot be verified without it)",
    );
  }
  if (value.STORAGE_DRIVER === "s3" && !value.S3_BUCKET) {
    throw new ConfigError("Invalid configuration: S3_BUCKET is required when STORAGE_DRIVER=s3");
  }
  if (value.HTTP_HEADERS_TIMEOUT_MS > Math.min(value.HTTP_REQUEST_TIMEOUT_MS, value.HTTP_UPLOAD_TIMEOUT_MS)) {
    throw new ConfigError(
      "Invalid configuration: HTTP_HEADERS_TIMEOUT_MS must not exceed HTTP_REQUEST_TIMEOUT_MS or HTTP_UPLOAD_TIMEOUT_MS (headers are part of the request)",
    );
  }
  if ((value.ADMIN_EMAIL === undefined) !== (value.ADMIN_PASSWORD === undefined)) {
    throw new ConfigError(
      "Invalid configuration: ADMIN_EMAIL and ADMIN_PASSWORD go together; set both or neither",
    );
  }
  const serviceAccount = fcmServiceAccount(value.FCM_SERVICE_ACCOUNT);
  if (value.PUSH_PROVIDER === "fcm" && !serviceAccount) {
    throw new ConfigError("Invalid configuration: FCM_SERVICE_ACCOUNT is required when PUSH_PROVIDER=fcm");
  }
  if (value.PUSH_PROVIDER === "sns" && !value.SNS_ANDROID_APPLICATION_ARN && !value.SNS_IOS_APPLICATION_ARN) {
    throw new ConfigError(
      "Invalid configuration: PUSH_PROVIDER=sns needs SNS_ANDROID_APPLICATION_ARN or SNS_IOS_APPLICATION_ARN",
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
    logLevel: value.LOG_LEVEL,
    logFormat: value.LOG_FORMAT ?? (value.NODE_ENV === "development" ? "pretty" : "json"),
    corsOrigins: value.CORS_ORIGINS,
    bodyLimit: value.BODY_LIMIT,
    shutdownTimeoutMs: value.SHUTDOWN_TIMEOUT_MS,
    // A balancer needs a few probe periods to take the instance out; nothing balances a development server.
    shutdownDrainMs: value.SHUTDOWN_DRAIN_MS ?? (value.NODE_ENV === "production" ? 5_000 : 0),
    trustProxy: value.TRUST_PROXY,
    http: {
      headersTimeoutMs: value.HTTP_HEADERS_TIMEOUT_MS,
      requestTimeoutMs: value.HTTP_REQUEST_TIMEOUT_MS,
      uploadTimeoutMs: value.HTTP_UPLOAD_TIMEOUT_MS,
      keepAliveTimeoutMs: value.HTTP_KEEP_ALIVE_TIMEOUT_MS,
    },
    database: {
      statementTimeoutMs: value.DATABASE_STATEMENT_TIMEOUT_MS,
      connectTimeoutMs: value.DATABASE_CONNECT_TIMEOUT_MS,
      readinessTimeoutMs: value.READINESS_TIMEOUT_MS,
      poolSize: value.DATABASE_POOL_SIZE,
      publicQueries: { concurrency: value.PUBLIC_QUERY_CONCURRENCY, queueMs: value.PUBLIC_QUERY_QUEUE_MS },
    },
    auth: {
      jwtPrivateKey: value.JWT_PRIVATE_KEY,
      accessTokenTtlSeconds: value.ACCESS_TOKEN_TTL_SECONDS,
      refreshTokenIdleDays: value.REFRESH_TOKEN_IDLE_DAYS,
      sessionMaxDays: value.SESSION_MAX_DAYS,
      refreshReuseGraceSeconds: value.REFRESH_REUSE_GRACE_SECONDS,
      sessionCacheTtlSeconds: value.SESSION_CACHE_TTL_SECONDS,
      limits: {
        loginAccountAddress: value.LIMIT_LOGIN_ACCOUNT_ADDRESS,
        loginAddress: value.LIMIT_LOGIN_ADDRESS,
        loginAccount: value.LIMIT_LOGIN_ACCOUNT,
        passwordChange: value.LIMIT_PASSWORD_CHANGE,
        registerAddress: value.LIMIT_REGISTER_ADDRESS,
        codeMailEmail: value.LIMIT_CODE_MAIL_EMAIL,
        codeMailAddress: value.LIMIT_CODE_MAIL_ADDRESS,
        codeCheckAddress: value.LIMIT_CODE_CHECK_ADDRESS,
      },
      codes: { ttlMinutes: value.CODE_TTL_MINUTES, maxAttempts: value.CODE_MAX_ATTEMPTS },
    },
    socketSessionCheckMs: value.SOCKET_SESSION_CHECK_MS,
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
    uploads: {
      perUserPerHour: value.UPLOADS_PER_HOUR,
      maxImagePixels: value.UPLOAD_MAX_IMAGE_PIXELS,
      imageConcurrency: value.UPLOAD_IMAGE_CONCURRENCY,
      maxMegabytes: {
        avatar: value.UPLOAD_MAX_MB_AVATAR,
        portfolio: value.UPLOAD_MAX_MB_PORTFOLIO,
        job_attachment: value.UPLOAD_MAX_MB_JOB_ATTACHMENT,
        verification_document: value.UPLOAD_MAX_MB_VERIFICATION_DOCUMENT,
        chat_attachment: value.UPLOAD_MAX_MB_CHAT_ATTACHMENT,
      },
    },
    demoData:
      value.DEMO_DATA === "true" ||
      (value.DEMO_DATA === "auto" && value.NODE_ENV === "development" ? "embedded" : false),
    bookings: {
      requestExpirySeconds: value.BOOKING_REQUEST_EXPIRY,
      autoReleaseSeconds: value.BOOKING_AUTO_RELEASE,
      cancellation: {
        fullRefundNoticeSeconds: value.BOOKING_FREE_CANCEL_NOTICE,
        lateRefundBps: value.BOOKING_LATE_CANCEL_REFUND_BPS,
      },
    },
    bootstrapAdmin:
      value.ADMIN_EMAIL && value.ADMIN_PASSWORD
        ? { email: value.ADMIN_EMAIL, password: value.ADMIN_PASSWORD }
        : undefined,
    jobs: { expirySeconds: value.JOB_EXPIRY },
    chat: { messageLimit: value.LIMIT_CHAT_MESSAGES, typingThrottleMs: value.CHAT_TYPING_THROTTLE_MS },
    socketMaxPayloadBytes: value.SOCKET_MAX_PAYLOAD_BYTES,
    admin: { metricsMaxDays: value.ADMIN_METRICS_MAX_DAYS },
    push: {
      provider: value.PUSH_PROVIDER,
      fcm: { serviceAccount },
      sns: {
        region: value.SNS_REGION,
        endpoint: value.SNS_ENDPOINT?.replace(/\/+$/, ""),
        accessKeyId: value.SNS_ACCESS_KEY_ID,
        secretAccessKey: value.SNS_SECRET_ACCESS_KEY,
        applicationArns: { android: value.SNS_ANDROID_APPLICATION_ARN, ios: value.SNS_IOS_APPLICATION_ARN },
      },
      retryLimit: value.PUSH_RETRY_LIMIT,
      retryDelaySeconds: value.PUSH_RETRY_DELAY,
      chatDelayMs: value.CHAT_PUSH_DELAY_MS,
    },
    reviews: { editWindowSeconds: value.REVIEW_EDIT_WINDOW },
    payments: {
      gateway: value.STRIPE_SECRET_KEY ? "stripe" : "simulated",
      stripeSecretKey: value.STRIPE_SECRET_KEY,
      webhookSecret: value.STRIPE_WEBHOOK_SECRET,
      apiBase: value.STRIPE_API_BASE?.replace(/\/+$/, ""),
      webhookToleranceSeconds: value.STRIPE_WEBHOOK_TOLERANCE,
      timeoutMs: value.STRIPE_TIMEOUT_MS,
      connectReturnUrl: value.STRIPE_CONNECT_RETURN_URL,
      connectRefreshUrl: value.STRIPE_CONNECT_REFRESH_URL,
      defaultCommission: { rateBps: value.COMMISSION_RATE_BPS, fixedFee: value.COMMISSION_FIXED_FEE },
    },
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
