import type { OpenAPIRegistry } from "@asteasolutions/zod-to-openapi";
import express, { type Router } from "express";
import pg from "pg";
import { z } from "zod";
import { pendingMigrations } from "../db/migrate.js";
import { problemSchema } from "./api.js";

export interface ReadinessReport {
  status: "ready" | "unavailable";
  checks: { database: "up" | "down"; migrations: "applied" | "pending" | "unknown"; pool: "free" | "busy" };
  /** The application's connection pool: a busy pool is load, not an outage, so it leaves the server ready. */
  pool: PoolReport;
  pendingMigrations?: string[];
  /** Present while the server drains before stopping. */
  stopping?: true;
}

export interface PoolReport {
  max: number;
  open: number;
  idle: number;
  /** Requests waiting for a connection. */
  waiting: number;
}

function poolReport(pool: pg.Pool): PoolReport {
  return {
    max: pool.options.max ?? 10,
    open: pool.totalCount,
    idle: pool.idleCount,
    waiting: pool.waitingCount,
  };
}

/** What the process knows about itself that the probes report. */
export interface HealthState {
  /** Set on SIGTERM: readiness turns 503 at once so balancers stop sending traffic. */
  stopping: boolean;
  /** Set while the database this process runs (embedded) is gone: liveness turns 503. */
  databaseLost: boolean;
}

/**
 * Ready means: the database accepts a new connection, answers, and every migration this build ships is
 * applied. The probe opens a connection of its own: a PostgreSQL that is shutting down keeps serving the
 * connections it has (the pool's) while refusing new ones (57P03), and the pool opens new ones all the time.
 */
export async function readiness(pool: pg.Pool, timeoutMs = 2_000): Promise<ReadinessReport> {
  const client = new pg.Client({
    ...pool.options,
    application_name: "jobsphere-readiness",
    // Connecting waits as long as the pool would (DATABASE_CONNECT_TIMEOUT_MS); the probe's own short limit is
    // on its queries, on a connection of its own, so it never reaches the pool's connections.
    statement_timeout: Math.trunc(timeoutMs),
  });
  client.on("error", () => {});
  const poolNow = poolReport(pool);
  const poolCheck = poolNow.waiting > 0 ? "busy" : "free";
  try {
    await client.connect();
    const pending = await pendingMigrations(client);
    return pending.length === 0
      ? { status: "ready", checks: { database: "up", migrations: "applied", pool: poolCheck }, pool: poolNow }
      : {
          status: "unavailable",
          checks: { database: "up", migrations: "pending", pool: poolCheck },
          pool: poolNow,
          pendingMigrations: pending,
        };
  } catch {
    return {
      status: "unavailable",
      checks: { database: "down", migrations: "unknown", pool: poolCheck },
      pool: poolNow,
    };
  } finally {
    await client.end().catch(() => {});
  }
}

export function healthRouter(
  pool: pg.Pool,
  state: HealthState = { stopping: false, databaseLost: false },
  readinessTimeoutMs?: number,
): Router {
  const router = express.Router();
  router.get("/live", (_req, res) => {
    res.set("Cache-Control", "no-store");
    if (state.databaseLost) res.status(503).json({ status: "down" });
    else res.json({ status: "live" });
  });
  router.get("/ready", async (_req, res) => {
    const checked = await readiness(pool, readinessTimeoutMs);
    const report: ReadinessReport = state.stopping
      ? { ...checked, status: "unavailable", stopping: true }
      : checked;
    res
      .status(report.status === "ready" ? 200 : 503)
      .set("Cache-Control", "no-store")
      .json(report);
  });
  return router;
}

export const livenessSchema = z.object({ status: z.literal("live") }).meta({ id: "Liveness" });

export const readinessSchema = z
  .object({
    status: z.enum(["ready", "unavailable"]),
    checks: z.object({
      database: z.enum(["up", "down"]),
      migrations: z.enum(["applied", "pending", "unknown"]),
      pool: z.enum(["free", "busy"]).meta({
        description:
          "`busy` while requests wait for a pooled connection: load, which leaves the server ready",
      }),
    }),
    pool: z.object({
      max: z.number().int(),
      open: z.number().int(),
      idle: z.number().int(),
      waiting: z.number().int().meta({ description: "Requests waiting for a pooled connection" }),
    }),
    pendingMigrations: z.array(z.string()).optional(),
    stopping: z.literal(true).optional(),
  })
  .meta({ id: "Readiness" });

/** Every answer carries the request id, and none may be cached: a cached probe would report an old state. */
const probeHeaders = {
  "X-Request-Id": { $ref: "#/components/headers/X-Request-Id" },
  "Cache-Control": {
    description: "`no-store`: a probe's answer is never reused",
    schema: { type: "string" as const, enum: ["no-store"] },
  },
};

/**
 * Probes answer no client error of their own, but the request is read like any other before they run: a body
 * that is not valid JSON or too large, a request that did not arrive in time, or another method (404).
 */
const clientError = {
  description:
    "A request refused before the probe ran (malformed or too large body, another method): switch on `code`",
  headers: { "X-Request-Id": { $ref: "#/components/headers/X-Request-Id" } },
  content: { "application/problem+json": { schema: problemSchema } },
};

/** A failure outside the probe's own checks, in the API's problem format. */
const otherError = {
  description: "Any other error: switch on `code`",
  headers: { "X-Request-Id": { $ref: "#/components/headers/X-Request-Id" } },
  content: { "application/problem+json": { schema: problemSchema } },
};

const readyExample: ReadinessReport = {
  status: "ready",
  checks: { database: "up", migrations: "applied", pool: "free" },
  pool: { max: 10, open: 3, idle: 3, waiting: 0 },
};

const unavailableExample: ReadinessReport = {
  status: "unavailable",
  checks: { database: "down", migrations: "unknown", pool: "free" },
  pool: { max: 10, open: 0, idle: 0, waiting: 0 },
};

export function documentHealth(registry: OpenAPIRegistry): void {
  registry.registerPath({
    method: "get",
    path: "/health/live",
    operationId: "getLiveness",
    tags: ["Operations"],
    summary: "Liveness: the process is up",
    description:
      "For process supervisors: 200 whenever the process can serve; 503 only when the embedded database it runs is gone.",
    security: [],
    responses: {
      200: {
        description: "The process answers",
        headers: probeHeaders,
        content: { "application/json": { schema: livenessSchema, example: { status: "live" } } },
      },
      503: {
        description: "The embedded PostgreSQL this process runs is gone and could not be restarted",
        headers: probeHeaders,
        content: {
          "application/json": {
            schema: z.object({ status: z.literal("down") }).meta({ id: "LivenessDown" }),
            example: { status: "down" },
          },
        },
      },
      "4XX": clientError,
      default: otherError,
    },
  });
  registry.registerPath({
    method: "get",
    path: "/health/ready",
    operationId: "getReadiness",
    tags: ["Operations"],
    summary: "Readiness: the database answers and all migrations are applied",
    description: "For load balancers: send traffic only while this answers 200.",
    security: [],
    responses: {
      200: {
        description: "Ready to serve",
        headers: probeHeaders,
        content: { "application/json": { schema: readinessSchema, example: readyExample } },
      },
      503: {
        description: "Database unreachable, migrations pending, or the server is stopping",
        headers: probeHeaders,
        content: { "application/json": { schema: readinessSchema, example: unavailableExample } },
      },
      "4XX": clientError,
      default: otherError,
    },
  });
}
