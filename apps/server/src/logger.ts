import { type Logger, pino } from "pino";
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

export function createLogger(config: Pick<Config, "logLevel" | "logFormat">): Logger {
  return pino({
    level: config.logLevel,
    redact: { paths: redactedPaths, censor: "[redacted]" },
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
