import { type DestinationStream, type Logger, pino } from "pino";
import type { Config } from "./config.js";

export type { Logger };

/** Paths whose values never reach a log line: credentials, tokens, one-time codes. */
export const redactedPaths = [
  "req.headers.authorization",
  "req.headers.cookie",
  'req.headers["stripe-signature"]',
  'res.headers["set-cookie"]',
  "password",
  "*.password",
  "*.currentPassword",
  "*.newPassword",
  "*.refreshToken",
  "*.accessToken",
  "*.token",
  "*.code",
  "*.secret",
];

/** Query-string parameters whose values are secrets: URL signatures, tokens, one-time codes. */
const secretParameters = new Set([
  "sig",
  "signature",
  "token",
  "code",
  "x-amz-signature",
  "x-amz-credential",
]);

/** The URL with the values of secret query parameters replaced, the rest left as the client sent it. */
export function redactUrl(url: string): string {
  const start = url.indexOf("?");
  if (start === -1) return url;
  const query = url
    .slice(start + 1)
    .split("&")
    .map((pair) => {
      const equals = pair.indexOf("=");
      if (equals === -1) return pair;
      let name = pair.slice(0, equals);
      try {
        name = decodeURIComponent(name.replace(/\+/g, " "));
      } catch {
        // A malformed escape stays as sent; it is compared as is.
      }
      return secretParameters.has(name.trim().toLowerCase()) ? `${pair.slice(0, equals)}=[redacted]` : pair;
    })
    .join("&");
  return `${url.slice(0, start)}?${query}`;
}

/** Fields of an error (PostgreSQL's among them) that describe it without carrying the data involved. */
const safeErrorFields = [
  "code",
  "severity",
  "routine",
  "schema",
  "table",
  "column",
  "constraint",
  "dataType",
  "status",
  "statusCode",
] as const;

/**
 * Errors as logged. Drizzle puts every query parameter in the message of a failed query (emails, password
 * hashes, codes), and PostgreSQL's `detail` repeats the offending values, so only the SQL text and the
 * descriptive fields above are kept, for the error and each of its causes.
 */
export function serializeError(value: unknown, depth = 0): unknown {
  // An error already through pino's standard serialiser keeps the original as `raw`.
  const error =
    typeof value === "object" && value !== null && "raw" in value && value.raw instanceof Error
      ? value.raw
      : value;
  if (!(error instanceof Error)) return value;
  const message = withoutParameters(error.message);
  const serialized: Record<string, unknown> = {
    type: error.constructor.name,
    message,
    stack: error.stack?.replace(error.message, message),
  };
  const fields = error as unknown as Record<string, unknown>;
  for (const field of safeErrorFields) {
    const fieldValue = fields[field];
    if (typeof fieldValue === "string" || typeof fieldValue === "number") serialized[field] = fieldValue;
  }
  if (error.cause !== undefined && depth < 5) serialized.cause = serializeError(error.cause, depth + 1);
  return serialized;
}

function withoutParameters(message: string): string {
  const at = message.indexOf("\nparams: ");
  return at === -1 ? message : `${message.slice(0, at)}\nparams: [redacted]`;
}

/** `destination`: where JSON lines go (default stdout); tests pass a stream to read what is logged. */
export function createLogger(
  config: Pick<Config, "logLevel" | "logFormat">,
  destination?: DestinationStream,
): Logger {
  const options = {
    level: config.logLevel,
    redact: { paths: redactedPaths, censor: "[redacted]" },
    serializers: { err: serializeError },
  };
  if (destination) return pino(options, destination);
  return pino({
    ...options,
    ...(config.logFormat === "pretty"
      ? {
          transport: {
            target: "pino-pretty",
            options: { colorize: process.stdout.isTTY === true, translateTime: "HH:MM:ss.l" },
          },
        }
      : {}),
  });
}
