import { type ChildProcess, spawn } from "node:child_process";
import { request as httpRequestRaw } from "node:http";
import { connect } from "node:net";
import { Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { Validator } from "@seriousme/openapi-schema-validator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../src/logger.js";
import { register, strongPassword } from "./accounts.js";
import { createTestDatabase } from "./database.js";
import { samplePdf, uploadFile } from "./fixtures.js";
import { startTestServer, type TestServer } from "./server.js";

describe("operations", () => {
  let app: TestServer;

  beforeAll(async () => {
    app = await startTestServer();
  });
  afterAll(async () => {
    await app.close();
  });

  it("reports liveness and readiness", async () => {
    expect((await app.request("GET", "/health/live")).body).toEqual({ status: "live" });
    const ready = await app.request("GET", "/health/ready");
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({
      status: "ready",
      checks: { database: "up", migrations: "applied", pool: "free" },
      pool: { max: 10, waiting: 0 },
    });
  });

  it("turns unready while the database is unreachable, and ready again after", async () => {
    const name = app.database.name;
    await app.database.admin(`alter database "${name}" allow_connections false`);
    await app.database.admin("select pg_terminate_backend(pid) from pg_stat_activity where datname = $1", [
      name,
    ]);
    try {
      const down = await app.request("GET", "/health/ready");
      expect(down.status).toBe(503);
      expect(down.body.checks.database).toBe("down");
    } finally {
      await app.database.admin(`alter database "${name}" allow_connections true`);
    }
    const up = await app.request("GET", "/health/ready");
    expect(up.status).toBe(200);
  });

  it("serves a valid OpenAPI 3.1 document", async () => {
    const response = await app.request("GET", "/api/v1/openapi.json");
    expect(response.status).toBe(200);
    expect(response.body.openapi).toBe("3.1.0");
    const result = await new Validator().validate(response.body);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(Object.keys(response.body.paths)).toContain("/health/ready");
  });

  it("serves the interactive docs with their assets", async () => {
    const page = await app.request("GET", "/docs/");
    expect(page.status).toBe(200);
    expect(page.body).toContain('<div id="swagger-ui">');
    for (const asset of [
      "/docs/assets/swagger-ui-bundle.js",
      "/docs/assets/swagger-ui.css",
      "/docs/init.js",
    ]) {
      const response = await fetch(`${app.url}${asset}`);
      expect(response.status, asset).toBe(200);
      await response.arrayBuffer();
    }
    expect(await (await fetch(`${app.url}/docs/init.js`)).text()).toContain("/api/v1/openapi.json");
  });
});

describe("readiness with pending migrations", () => {
  it("is 503 and names the pending migrations", async () => {
    const empty = await createTestDatabase({ empty: true });
    const { connectDatabase } = await import("../src/db/client.js");
    const { readiness } = await import("../src/http/health.js");
    const handle = connectDatabase(empty.url);
    try {
      const report = await readiness(handle.pool);
      expect(report.status).toBe("unavailable");
      expect(report.checks).toEqual({ database: "up", migrations: "pending", pool: "free" });
      expect(report.pendingMigrations?.length).toBeGreaterThan(0);
    } finally {
      await handle.close();
      await empty.drop();
    }
  });
});

describe("process", () => {
  const main = fileURLToPath(new URL("../src/main.ts", import.meta.url));

  /** Starts `src/main.ts` as `npm start` does and waits for its "up" line (JSON logs). */
  async function startProcess(
    databaseUrl: string,
  ): Promise<{ child: ChildProcess; base: string; logs: string[] }> {
    const child = spawn(process.execPath, ["--import", "tsx", main], {
      env: {
        ...process.env,
        DATABASE_URL: databaseUrl,
        PORT: "0",
        HOST: "127.0.0.1",
        LOG_FORMAT: "json",
        LOG_LEVEL: "info",
        SHUTDOWN_TIMEOUT_MS: "10000",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const logs: string[] = [];
    const base = await new Promise<string>((resolveBase, reject) => {
      const timer = setTimeout(() => reject(new Error(`server did not start:\n${logs.join("")}`)), 30_000);
      child.stderr?.on("data", (chunk: Buffer) => logs.push(chunk.toString()));
      child.stdout?.on("data", (chunk: Buffer) => {
        for (const line of chunk.toString().split("\n")) {
          logs.push(line);
          if (line.includes('"api"')) {
            clearTimeout(timer);
            resolveBase(new URL((JSON.parse(line) as { api: string }).api).origin);
          }
        }
      });
      child.on("exit", (code) => reject(new Error(`server exited with ${code}:\n${logs.join("\n")}`)));
    });
    return { child, base, logs };
  }

  it("finishes an in-flight request on SIGTERM, refuses new ones, and exits 0", async () => {
    const database = await createTestDatabase();
    const { child, base, logs } = await startProcess(database.url);
    const exited = new Promise<number | null>((resolveExit) => child.on("exit", (code) => resolveExit(code)));
    try {
      // A request whose body is still arriving when the signal comes: it must still get its answer.
      const url = new URL(base);
      const answer = new Promise<{ status: number; body: string }>((resolveAnswer, reject) => {
        const req = httpRequestRaw(
          {
            host: url.hostname,
            port: url.port,
            path: "/health/ready",
            method: "POST",
            headers: { "content-type": "application/json", "content-length": "2" },
          },
          (res) => {
            let body = "";
            res.on("data", (chunk: Buffer) => {
              body += chunk.toString();
            });
            res.on("end", () => resolveAnswer({ status: res.statusCode ?? 0, body }));
          },
        );
        req.on("error", reject);
        req.write("{");
        setTimeout(() => {
          child.kill("SIGTERM");
          setTimeout(() => req.end("}"), 1_000);
        }, 200);
      });
      const response = await answer;
      expect(response.status).toBe(404);
      expect(JSON.parse(response.body).code).toBe("route.not_found");
      await expect(fetch(`${base}/health/live`)).rejects.toThrow();
      expect(await exited).toBe(0);
      expect(logs.join("\n")).toContain('"msg":"stopped"');
    } finally {
      child.kill("SIGKILL");
      await database.drop();
    }
  });
});

describe("the readiness probe and the pool", () => {
  let app: TestServer;

  beforeAll(async () => {
    app = await startTestServer({ READINESS_TIMEOUT_MS: "200", DATABASE_STATEMENT_TIMEOUT_MS: "5000" });
  });
  afterAll(async () => {
    await app.close();
  });

  it("leaves no timeout of its own on the connections it borrowed", async () => {
    const { pool } = app.server.database;
    const pooled = pool.totalCount;
    // As many probes at once as the pool holds: none of them takes a pooled connection (each opens its own,
    // which also tells a database refusing new connections apart), so none can leave its timeout on one.
    const probes = await Promise.all(Array.from({ length: 10 }, () => app.request("GET", "/health/ready")));
    expect(probes.map((probe) => probe.status)).toEqual(Array(10).fill(200));
    // Idle pooled connections may close meanwhile; what matters is that no probe added one.
    expect(pool.totalCount).toBeLessThanOrEqual(pooled);
    // Each connection now runs a query longer than the probe's 200 ms limit, and it must complete.
    const slow = await Promise.all(
      Array.from({ length: 10 }, () =>
        pool.query<{ pid: number }>("select pg_backend_pid() as pid, pg_sleep(0.5)"),
      ),
    );
    expect(new Set(slow.map((result) => result.rows[0]?.pid)).size).toBe(10);
  });
});

describe("deliberate timeouts", () => {
  let app: TestServer;

  beforeAll(async () => {
    app = await startTestServer({
      HTTP_HEADERS_TIMEOUT_MS: "500",
      HTTP_REQUEST_TIMEOUT_MS: "800",
      HTTP_UPLOAD_TIMEOUT_MS: "20000",
      DATABASE_STATEMENT_TIMEOUT_MS: "300",
    });
  });
  afterAll(async () => {
    await app.close();
  });

  /** Opens a raw connection, sends `head` and then one more byte of `trickle` every 100 ms until closed. */
  function slowClient(head: string, trickle: string) {
    const { port } = new URL(app.url);
    const socket = connect(Number(port), "127.0.0.1");
    const started = Date.now();
    let received = "";
    socket.on("data", (chunk: Buffer) => {
      received += chunk.toString();
    });
    socket.on("error", () => {});
    socket.write(head);
    let index = 0;
    const timer = setInterval(() => {
      if (!socket.destroyed && !socket.writableEnded) socket.write(trickle[index % trickle.length] ?? "x");
      index += 1;
    }, 100);
    return new Promise<{ elapsedMs: number; received: string }>((resolveClosed) => {
      socket.on("close", () => {
        clearInterval(timer);
        resolveClosed({ elapsedMs: Date.now() - started, received });
      });
      setTimeout(() => socket.destroy(), 10_000);
    });
  }

  it("cuts off a client that sends its headers slowly", async () => {
    const { elapsedMs, received } = await slowClient(
      "GET /health/live HTTP/1.1\r\nHost: x\r\n",
      "X-a: b\r\n",
    );
    expect(elapsedMs).toBeLessThan(3_000);
    expect(received).toMatch(/^HTTP\/1\.1 408/);
    // Node's deadline, answered in the API's format like the app's own 408.
    expect(received).toMatch(/\r\nContent-Type: application\/problem\+json/);
    expect(received).toContain('"code":"request.timeout"');
  });

  it("answers 408 to a request whose JSON body trickles in, and closes the connection", async () => {
    const { elapsedMs, received } = await slowClient(
      "POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n",
      '{"email":',
    );
    expect(elapsedMs).toBeLessThan(3_000);
    expect(received).toMatch(/^HTTP\/1\.1 408/);
    expect(received).toContain('"code":"request.timeout"');
  });

  it("gives an upload longer than the request deadline", async () => {
    const account = await register(app, "customer");
    const { port } = new URL(app.url);
    const boundary = "----jobsphere-slow";
    const head = `--${boundary}\r\nContent-Disposition: form-data; name="purpose"\r\n\r\navatar\r\n--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\nContent-Type: application/pdf\r\n\r\n`;
    const tail = `\r\n--${boundary}--\r\n`;
    const body = Buffer.concat([Buffer.from(head), samplePdf, Buffer.from(tail)]);
    const answer = await new Promise<{ status: number; elapsedMs: number }>((resolveAnswer, reject) => {
      const started = Date.now();
      const req = httpRequestRaw(
        {
          host: "127.0.0.1",
          port,
          path: "/api/v1/files",
          method: "POST",
          headers: {
            authorization: `Bearer ${account.accessToken}`,
            "content-type": `multipart/form-data; boundary=${boundary}`,
            "content-length": String(body.length),
          },
        },
        (res) => {
          res.resume();
          res.on("end", () =>
            resolveAnswer({ status: res.statusCode ?? 0, elapsedMs: Date.now() - started }),
          );
        },
      );
      req.on("error", reject);
      // Half now, the rest after more than the 800 ms request deadline.
      req.write(body.subarray(0, head.length));
      setTimeout(() => req.end(body.subarray(head.length)), 1_500);
    });
    expect(answer.elapsedMs).toBeGreaterThanOrEqual(1_400);
    // The upload was judged on its content (a PDF is no avatar), not cut off by the request deadline.
    expect(answer.status).not.toBe(408);
    expect(answer.status).toBeLessThan(500);
  });

  it("cancels a query running past the statement timeout with a clean error", async () => {
    const started = Date.now();
    await expect(app.server.database.pool.query("select pg_sleep(5)")).rejects.toMatchObject({
      code: "57014",
      message: expect.stringMatching(/statement timeout/),
    });
    expect(Date.now() - started).toBeLessThan(2_000);
    // The connection is still good for the next query.
    expect((await app.server.database.pool.query("select 1 as one")).rows).toEqual([{ one: 1 }]);
  });
});

/** What these tests read of a problem document. */
interface Problem {
  status: number;
  code: string;
  requestId?: string;
}

/** Sends raw bytes on a new connection and reads until the server closes it. */
function rawExchange(url: string, bytes: string): Promise<string> {
  const socket = connect(Number(new URL(url).port), "127.0.0.1");
  let received = "";
  socket.on("data", (chunk: Buffer) => {
    received += chunk.toString();
  });
  // The server closes once it has answered, possibly before reading all that was sent (EPIPE, ECONNRESET).
  socket.on("error", () => {});
  socket.write(bytes);
  return new Promise((resolveClosed) => socket.on("close", () => resolveClosed(received)));
}

/** The status and problem document of a raw HTTP answer. */
function parseRawAnswer(received: string) {
  const [head = "", body = ""] = received.split("\r\n\r\n");
  const headers = new Map(
    head
      .split("\r\n")
      .slice(1)
      .map((line): [string, string] => {
        const colon = line.indexOf(":");
        return [line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()];
      }),
  );
  const problem: Problem | undefined = body ? JSON.parse(body) : undefined;
  return { status: Number(head.split(" ")[1]), headers, body: problem };
}

describe("requests the HTTP parser refuses", () => {
  let app: TestServer;

  beforeAll(async () => {
    app = await startTestServer();
  });
  afterAll(async () => {
    await app.close();
  });

  it("answers a URL too long for the header limit with a 431 problem, not a bare status line", async () => {
    const response = await fetch(`${app.url}/api/v1/contractors?q=${"x".repeat(70_000)}`);
    expect(response.status).toBe(431);
    expect(response.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect(response.headers.get("connection")).toBe("close");
    const problem = (await response.json()) as Problem;
    expect(problem).toMatchObject({
      type: "urn:jobsphere:problem:request.headers_too_large",
      status: 431,
      code: "request.headers_too_large",
      detail: "Send a shorter URL and fewer or shorter headers",
    });
    expect(problem.requestId).toBe(response.headers.get("x-request-id"));
  });

  it("answers headers too large in total the same way", async () => {
    const headers = Object.fromEntries(
      Array.from({ length: 40 }, (_, index) => [`x-filler-${index}`, "y".repeat(1_000)]),
    );
    const response = await fetch(`${app.url}/health/live`, { headers });
    expect(response.status).toBe(431);
    expect(((await response.json()) as Problem).code).toBe("request.headers_too_large");
  });

  it.each([
    ["a request line that is not HTTP", "GARBAGE\r\n\r\n"],
    ["a header without a colon", "GET /health/live HTTP/1.1\r\nHost: x\r\nNo colon here\r\n\r\n"],
    ["a NUL in a header value", "GET /health/live HTTP/1.1\r\nHost: x\r\nX-Name: a\u0000b\r\n\r\n"],
    [
      "two lengths that disagree",
      "POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}",
    ],
    [
      "a length and a chunked encoding together",
      "POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    ],
    [
      "a chunk size that is not hexadecimal",
      "POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
    ],
  ])("answers %s with a 400 request.malformed problem and closes the connection", async (_, bytes) => {
    const answer = parseRawAnswer(await rawExchange(app.url, bytes));
    expect(answer.status).toBe(400);
    expect(answer.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect(answer.headers.get("connection")).toBe("close");
    expect(answer.body).toMatchObject({ status: 400, code: "request.malformed" });
    expect(answer.body?.requestId).toBe(answer.headers.get("x-request-id"));
  });

  it("answers a burst of 40 oversized requests each with its problem, and serves on", async () => {
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, index) =>
        index % 2
          ? fetch(`${app.url}/api/v1/contractors?q=${"x".repeat(20_000 + index)}`).then(async (response) => ({
              status: response.status,
              code: ((await response.json()) as Problem).code,
            }))
          : rawExchange(app.url, `GET /${"%".repeat(index + 1)}zz HTTP/1.1\r\nHost x\r\n\r\n`).then((raw) => {
              const answer = parseRawAnswer(raw);
              return { status: answer.status, code: answer.body?.code };
            }),
      ),
    );
    expect(
      answers.filter((answer) => answer.status === 431 && answer.code === "request.headers_too_large"),
    ).toHaveLength(20);
    expect(
      answers.filter((answer) => answer.status === 400 && answer.code === "request.malformed"),
    ).toHaveLength(20);
    expect((await app.request("GET", "/health/ready")).status).toBe(200);
  });

  it("does not answer a connection whose response has started: a second answer would corrupt it", async () => {
    // A pipelined second request with a broken header, refused while the first is answered: the first
    // answer arrives whole and the connection then closes, with no stray bytes inside or after it.
    const received = await rawExchange(
      app.url,
      "GET /health/live HTTP/1.1\r\nHost: x\r\n\r\nGET /health/live HTTP/1.1\r\nBroken\r\n\r\n",
    );
    expect(received.match(/HTTP\/1\.1 \d{3}/g)).toEqual(["HTTP/1.1 200"]);
    expect(received.endsWith('\r\n\r\n{"status":"live"}')).toBe(true);
  });
});

describe("what the logs never hold", () => {
  let app: TestServer;
  const lines: string[] = [];

  beforeAll(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(...chunk.toString().split("\n").filter(Boolean));
        done();
      },
    });
    app = await startTestServer({}, { logger: createLogger({ logLevel: "debug", logFormat: "json" }, sink) });
  });
  afterAll(async () => {
    await app.close();
  });

  it("keeps SQL parameters, emails and password hashes out of a failed query's log", async () => {
    // A failure injected into the database: every new account is refused by a trigger.
    await app.server.database.pool.query(`
      create function refuse_user() returns trigger language plpgsql as $$
      begin raise exception 'injected failure'; end $$;
      create trigger refuse_user before insert on users for each row execute function refuse_user();
    `);
    const email = "secret.person@example.com";
    try {
      const response = await app.request("POST", "/api/v1/auth/register", {
        body: { email, password: strongPassword, name: "Secret Person", role: "customer" },
      });
      expect(response.status).toBe(500);
    } finally {
      await app.server.database.pool.query("drop trigger refuse_user on users; drop function refuse_user();");
    }
    const logged = lines.join("\n");
    // The failure itself is logged, with its SQL and PostgreSQL's code, so it can be diagnosed.
    expect(logged).toContain("Failed query: insert into");
    expect(logged).toContain("injected failure");
    expect(logged).toContain('"code":"P0001"');
    for (const secret of [email, "$argon2", strongPassword, "Secret Person"]) {
      expect(logged, secret).not.toContain(secret);
    }
  });

  it("logs a request the HTTP parser refused without its bytes: no credentials, no URL", async () => {
    const response = await fetch(`${app.url}/api/v1/me?secret-query=${"q".repeat(20_000)}`, {
      headers: { authorization: "Bearer parser-secret-token" },
    });
    expect(response.status).toBe(431);
    const id = response.headers.get("x-request-id");
    const line = lines.find((logged) => id && logged.includes(id));
    expect(line).toContain("request refused by the HTTP parser");
    expect(line).toContain('"parserError":"HPE_HEADER_OVERFLOW"');
    const logged = lines.join("\n");
    for (const secret of ["parser-secret-token", "secret-query"])
      expect(logged, secret).not.toContain(secret);
  });

  it("redacts signatures, tokens and codes from logged URLs", async () => {
    const account = await register(app, "contractor");
    const uploaded = await uploadFile(app, account.accessToken, "verification_document", samplePdf, "id.pdf");
    expect(uploaded.status).toBe(201);
    const signed = new URL(uploaded.body.url);
    const signature = signed.searchParams.get("sig");
    expect(signature).toBeTruthy();
    expect((await fetch(uploaded.body.url)).status).toBe(200);
    await app.request("GET", "/api/v1/nothing?token=tok-abcdef123456&code=493817&Sig=other-signature");
    const logged = lines.join("\n");
    expect(logged).toContain(`${signed.pathname}?`);
    expect(logged).toContain("sig=[redacted]");
    for (const secret of [String(signature), "tok-abcdef123456", "493817", "other-signature"]) {
      expect(logged, secret).not.toContain(secret);
    }
  });
});
