import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { type Config, type Environment, loadConfig } from "../src/config.js";
import type { Logger } from "../src/logger.js";
import { type RunningServer, type StartOptions, startServer } from "../src/server.js";
import { createTestDatabase, type TestDatabase } from "./database.js";

export interface TestServer {
  server: RunningServer;
  database: TestDatabase;
  config: Config;
  url: string;
  /** Calls the API over real HTTP; `path` is below the server root (e.g. `/api/v1/me`). */
  request: (method: string, path: string, options?: RequestOptions) => Promise<TestResponse>;
  close(): Promise<void>;
}

export interface RequestOptions {
  body?: unknown;
  /** Sent verbatim instead of JSON-encoding `body`. */
  rawBody?: string;
  token?: string;
  headers?: Record<string, string>;
}

export interface TestResponse {
  status: number;
  headers: Headers;
  /** Parsed JSON when the answer is JSON, otherwise the text. */
  // biome-ignore lint/suspicious/noExplicitAny: test assertions read arbitrary response fields
  body: any;
}

/** The code of the socket error under a failed fetch (`fetch failed` alone says nothing). */
function socketErrorCode(error: unknown): string | undefined {
  const cause = error instanceof Error ? (error.cause as { code?: unknown } | undefined) : undefined;
  return typeof cause?.code === "string" ? cause.code : undefined;
}

/**
 * fetch, retried once when a pooled keep-alive connection turns out to have been closed by the server before
 * any answer (the race at the end of its keep-alive timeout, widened on a loaded machine): mobile HTTP clients
 * retry idempotent requests on a stale connection the same way (RFC 9110 §9.2.2). Any other failure is thrown
 * with its cause in the message.
 */
async function fetchRetryingStale(url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (error) {
    const code = socketErrorCode(error);
    const idempotent = ["GET", "HEAD", "PUT", "DELETE", "OPTIONS"].includes(
      (init.method ?? "GET").toUpperCase(),
    );
    if (idempotent && (code === "UND_ERR_SOCKET" || code === "ECONNRESET")) return fetch(url, init);
    throw new Error(`${init.method ?? "GET"} ${url} failed: ${code ?? String(error)}`, { cause: error });
  }
}

export async function httpRequest(base: string, method: string, path: string, options: RequestOptions = {}) {
  const headers: Record<string, string> = { ...options.headers };
  let body: string | undefined = options.rawBody;
  if (body === undefined && options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers["content-type"] ??= "application/json";
  }
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  const response = await fetchRetryingStale(`${base}${path}`, { method, headers, body });
  const text = await response.text();
  const type = response.headers.get("content-type") ?? "";
  return {
    status: response.status,
    headers: response.headers,
    body: type.includes("json") && text.length > 0 ? JSON.parse(text) : text,
  } satisfies TestResponse;
}

/** The whole application, as `npm start` runs it, on its own database and an ephemeral port. */
export async function startTestServer(
  env: Environment = {},
  options: StartOptions & {
    /** Share another server's database (left in place on close). */ database?: TestDatabase;
    /** Where the server logs (default: nowhere), for tests that read what it writes. */ logger?: Logger;
  } = {},
): Promise<TestServer> {
  const database = options.database ?? (await createTestDatabase());
  const dataDir = await mkdtemp(join(tmpdir(), "jobsphere-data-"));
  const config = loadConfig({
    NODE_ENV: "test",
    HOST: "127.0.0.1",
    PORT: "0",
    LOG_LEVEL: "silent",
    DATA_DIR: dataDir,
    UPLOAD_DIR: join(dataDir, "upload"),
    DATABASE_URL: database.url,
    // Every test registers from 127.0.0.1; tests of the registration limit set their own.
    LIMIT_REGISTER_ADDRESS: "100000/1h",
    ...env,
  });
  const server = await startServer(config, options.logger ?? pino({ level: "silent" }), options);
  return {
    server,
    database,
    config,
    url: server.url,
    request: (method, path, requestOptions) => httpRequest(server.url, method, path, requestOptions),
    close: async () => {
      await server.close();
      if (!options.database) await database.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
