import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import cors from "cors";
import express, { type Express } from "express";
import helmet from "helmet";
import type pg from "pg";
import type { Config } from "./config.js";
import type { Database } from "./db/client.js";
import { ApiRouter } from "./http/api.js";
import type { Authenticator } from "./http/auth.js";
import { documentHealth, type HealthState, healthRouter } from "./http/health.js";
import type { IdempotencyStore } from "./http/idempotency.js";
import { errorHandler, notFound, requestLogging } from "./http/middleware.js";
import { buildOpenApiDocument, docsRouter, type OpenApiDocument } from "./http/openapi.js";
import { requestTimeout } from "./http/timeouts.js";
import type { Logger } from "./logger.js";

/** Built admin dashboard (Vite output of apps/admin). */
export const adminDist = fileURLToPath(new URL("../../admin/dist", import.meta.url));

export interface AppDeps {
  config: Config;
  logger: Logger;
  db: Database;
  pool: pg.Pool;
  authenticator: Authenticator;
  idempotency: IdempotencyStore;
  /** Each module adds its routes to the API router. */
  modules: ((api: ApiRouter) => void)[];
  /** Routers served outside the API (e.g. locally stored files), by path. */
  mounts?: [string, express.Router][];
  /** Shutdown and database state the probes report. */
  health?: HealthState;
}

export interface App {
  express: Express;
  openApi: OpenApiDocument;
}

export function createApp(deps: AppDeps): App {
  const { config } = deps;
  const app = express();
  app.disable("x-powered-by");
  app.set("trust proxy", config.trustProxy);
  app.set("query parser", "extended");

  app.use(requestLogging(app, deps.logger));
  app.use(requestTimeout(config.http.requestTimeoutMs));
  app.use(
    helmet({
      contentSecurityPolicy: {
        directives: {
          // Swagger UI and the dashboard load images from data: URLs and talk back to this origin only.
          "img-src": ["'self'", "data:", "blob:"],
          "connect-src": ["'self'", "ws:", "wss:"],
        },
      },
    }),
  );
  app.use(
    cors({
      origin: (origin, callback) =>
        callback(null, origin === undefined || config.corsOrigins.includes(origin)),
      exposedHeaders: [
        "X-Request-Id",
        "Retry-After",
        "RateLimit-Limit",
        "RateLimit-Remaining",
        "RateLimit-Reset",
      ],
      maxAge: 600,
    }),
  );
  const json = express.json({ limit: config.bodyLimit, type: ["application/json", "application/*+json"] });
  // A webhook's signature covers the exact bytes sent: its route reads the body itself, unparsed.
  app.use((req, res, next) => (req.path.startsWith("/api/v1/webhooks/") ? next() : json(req, res, next)));

  const api = new ApiRouter({ authenticator: deps.authenticator, idempotency: deps.idempotency });
  for (const register of deps.modules) register(api);
  documentHealth(api.registry);
  const openApi = buildOpenApiDocument(api.registry, config.publicUrl ?? "/");

  app.use("/health", healthRouter(deps.pool, deps.health, config.database.readinessTimeoutMs));
  app.get("/api/v1/openapi.json", (_req, res) => {
    res.json(openApi);
  });
  app.use("/api/v1", api.router);
  app.use("/docs", docsRouter());
  for (const [path, router] of deps.mounts ?? []) app.use(path, router);
  app.use("/admin", adminRouter());
  app.get("/", (_req, res) => {
    res.json({
      name: "JobSphere API",
      api: "/api/v1",
      openapi: "/api/v1/openapi.json",
      docs: "/docs",
      admin: "/admin",
      health: "/health/ready",
    });
  });

  app.use(notFound);
  app.use(errorHandler);
  return { express: app, openApi };
}

/** Serves the built dashboard, with every unknown path answered by its index page (client-side routing). */
function adminRouter(): express.Router {
  const router = express.Router();
  router.use(express.static(adminDist, { index: "index.html", maxAge: "1h" }));
  router.get("/{*path}", (_req, res) => {
    if (existsSync(`${adminDist}/index.html`)) {
      res.set("Cache-Control", "no-cache").sendFile(`${adminDist}/index.html`);
    } else {
      res
        .status(503)
        .type("text/plain")
        .send("The admin dashboard is not built yet: run `npm run build -w apps/admin` (npm start does it).");
    }
  });
  return router;
}
