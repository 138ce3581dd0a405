import type { OpenAPIRegistry } from "@asteasolutions/zod-to-openapi";
import express, { type Router } from "express";
import type pg from "pg";
import { z } from "zod";
import { pendingMigrations } from "../db/migrate.js";
import { problemSchema } from "./api.js";

export interface ReadinessReport {
  status: "ready" | "unavailable";
  checks: { database: "up" | "down"; migrations: "applied" | "pending" | "unknown" };
  pendingMigrations?: string[];
}

/**
 * Ready means: the database answers and every migration this build ships is applied. The probe's own short
 * timeout is `set local`, inside a transaction, so it ends with the probe and never stays on the pooled
 * connection for the queries that borrow it next.
 */
export async function readiness(pool: pg.Pool, timeoutMs = 2_000): Promise<ReadinessReport> {
  let client: pg.PoolClient | undefined;
  let failed = false;
  try {
    client = await pool.connect();
    await client.query("begin read only");
    await client.query(`set local statement_timeout = ${Math.trunc(timeoutMs)}`);
    const pending = await pendingMigrations(client);
    await client.query("commit");
    return pending.length === 0
      ? { status: "ready", checks: { database: "up", migrations: "applied" } }
      : {
          status: "unavailable",
          checks: { database: "up", migrations: "pending" },
          pendingMigrations: pending,
        };
  } catch {
    failed = true;
    return { status: "unavailable", checks: { database: "down", migrations: "unknown" } };
  } finally {
    // A client whose query failed may hold a broken connection: drop it rather than return it to the pool.
    client?.release(failed);
  }
}

export function healthRouter(pool: pg.Pool, readinessTimeoutMs?: number): Router {
  const router = express.Router();
  router.get("/live", (_req, res) => {
    res.set("Cache-Control", "no-store").json({ status: "live" });
  });
  router.get("/ready", async (_req, res) => {
    const report = await readiness(pool, readinessTimeoutMs);
    res
      .status(report.status === "ready" ? 200 : 503)
      .set("Cache-Control", "no-store")
      .json(report);
  });
  return router;
}

const readinessSchema = z
  .object({
    status: z.enum(["ready", "unavailable"]),
    checks: z.object({
      database: z.enum(["up", "down"]),
      migrations: z.enum(["applied", "pending", "unknown"]),
    }),
    pendingMigrations: z.array(z.string()).optional(),
  })
  .meta({ id: "Readiness" });

/** Probes answer no client error of their own; a body they ignore can still be refused before they run. */
const clientError = {
  description: "A request body that is not valid JSON or too large: switch on `code`",
  content: { "application/problem+json": { schema: problemSchema } },
};

export function documentHealth(registry: OpenAPIRegistry): void {
  registry.registerPath({
    method: "get",
    path: "/health/live",
    operationId: "getLiveness",
    tags: ["Operations"],
    summary: "Liveness: the process is up",
    description: "For process supervisors: 200 whenever the process can answer, whatever the database does.",
    security: [],
    responses: {
      200: {
        description: "The process answers",
        content: { "application/json": { schema: z.object({ status: z.literal("live") }) } },
      },
      "4XX": clientError,
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
      200: { description: "Ready to serve", content: { "application/json": { schema: readinessSchema } } },
      503: {
        description: "Database unreachable or migrations pending",
        content: { "application/json": { schema: readinessSchema } },
      },
      "4XX": clientError,
    },
  });
}
