import { type ChildProcess, spawn } from "node:child_process";
import { request as httpRequestRaw } from "node:http";
import { fileURLToPath } from "node:url";
import { Validator } from "@seriousme/openapi-schema-validator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "./database.js";
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
    expect(ready.body).toEqual({ status: "ready", checks: { database: "up", migrations: "applied" } });
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
      expect(report.checks).toEqual({ database: "up", migrations: "pending" });
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
