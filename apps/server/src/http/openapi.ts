import { createRequire } from "node:module";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { type OpenAPIRegistry, OpenApiGeneratorV31 } from "@asteasolutions/zod-to-openapi";
import express, { type Router } from "express";
import { errorCodeTable } from "./api.js";
import { AppError, coreErrors, errorCatalogue } from "./errors.js";

const require = createRequire(import.meta.url);

/** The guide for app developers (`docs/api-guide.md`), served beside Swagger UI so `/docs` can link it. */
const guideFile = fileURLToPath(new URL("../../../../docs/api-guide.md", import.meta.url));
export const guidePath = "/docs/guide.md";

export type OpenApiDocument = ReturnType<OpenApiGeneratorV31["generateDocument"]>;

/**
 * What each tag groups, for the document's tag list (generators make one client class per tag). Tags of
 * modules still to come are here already, so a new module's routes need no change in this file.
 */
const tagDescriptions: Record<string, string> = {
  Auth: "Registration, sign-in, token refresh, sign-out, password and email-code flows",
  Account: "The signed-in user's own account and profile",
  Files: "Uploads and file metadata; files are referenced by id everywhere else",
  Catalog: "Service categories",
  Contractors: "Contractor profiles, availability, portfolio, verification and search",
  Jobs: "Job requests posted by customers, and contractors' quotes",
  Bookings: "The booking lifecycle, from request to release of the money",
  Payments: "Payments, payouts, earnings and withdrawals",
  Reviews: "Reviews of completed bookings, and contractors' replies",
  Chat: "Conversations and messages. Live over Socket.IO (path `/socket.io`, handshake `auth: { token }`): the client sends `message:send` `{ conversationId, text?, attachmentFileIds?, clientMessageId }` (ack `{ message }`), `message:read` `{ conversationId, upToMessageId }` `typing:start` / `typing:stop` `{ conversationId }` and `conversation:open` / `conversation:close` `{ conversationId }` (no push for that conversation's messages while it is open); the server sends `message:new` `{ message }`, `message:read` `{ conversationId, userId, upToMessageId, readAt }` and `typing:update` `{ conversationId, userId, typing }`. A failed event is acknowledged with `{ error: { code, status, detail } }`. See the API guide's Chat section.",
  Notifications: "In-app notifications, preferences and push devices",
  Admin: "Oversight for admin accounts: users, verifications, disputes, settings",
  Operations: "Health probes for supervisors and load balancers",
};

/** The tags the operations use, in order of first use, each with its description (when one is known). */
function documentTags(document: OpenApiDocument): { name: string; description?: string }[] {
  const names = new Set<string>();
  for (const item of Object.values(document.paths ?? {})) {
    for (const method of ["get", "put", "post", "delete", "patch"] as const) {
      for (const tag of item[method]?.tags ?? []) names.add(tag);
    }
  }
  return [...names].map((name) => ({
    name,
    ...(tagDescriptions[name] ? { description: tagDescriptions[name] } : {}),
  }));
}

export function buildOpenApiDocument(registry: OpenAPIRegistry, serverUrl: string): OpenApiDocument {
  const document = new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: "3.1.0",
    info: {
      title: "JobSphere API",
      version: "1.0.0",
      description: [
        "Backend of the JobSphere local-services marketplace.",
        `Start with the [API guide](${guidePath}): sign-in and tokens, errors, lists, retries, files and search.`,
        "",
        "Errors are `application/problem+json` (RFC 9457) with a stable `code`:",
        "",
        "| code | status | meaning |",
        "|---|---|---|",
        errorCodeTable(),
      ].join("\n"),
      license: { name: "MIT", identifier: "MIT" },
      // No address: every deployment serves this document and each has its own operators.
      contact: { name: "JobSphere maintainers" },
    },
    servers: [{ url: serverUrl, description: "This server" }],
    // `externalDocs.url` must be absolute: known only when PUBLIC_URL is set (the description links it anyway).
    ...(URL.canParse(serverUrl)
      ? {
          externalDocs: {
            description: "API guide for app developers",
            url: new URL(guidePath, serverUrl).href,
          },
        }
      : {}),
  });
  withCodeEnum(document);
  return { ...document, tags: documentTags(document) };
}

/**
 * `Problem.code` lists every code of the catalogue, so generated clients get a union to switch on. Set here
 * rather than in the schema: the catalogue is complete only once every module has declared its errors.
 */
function withCodeEnum(document: OpenApiDocument): void {
  const problem = document.components?.schemas?.Problem;
  const code = problem && "properties" in problem ? problem.properties?.code : undefined;
  if (!code || "$ref" in code) throw new Error("the Problem schema has no code property");
  code.enum = errorCatalogue()
    .map((error) => error.code)
    .sort();
}

const docsPage = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>JobSphere API</title>
  <link rel="stylesheet" href="/docs/assets/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/assets/swagger-ui-bundle.js"></script>
  <script src="/docs/init.js"></script>
</body>
</html>`;

// A separate script file rather than inline code, so the page works under helmet's Content-Security-Policy.
const docsInit = `window.ui = SwaggerUIBundle({
  url: "/api/v1/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  persistAuthorization: true,
});`;

/** Interactive API documentation (Swagger UI, served from the installed package: no CDN needed). */
export function docsRouter(): Router {
  const router = express.Router();
  const assets = dirname(require.resolve("swagger-ui-dist/package.json"));
  router.use("/assets", express.static(assets, { index: false, maxAge: "1d" }));
  router.get("/init.js", (_req, res) => {
    res.type("text/javascript").send(docsInit);
  });
  router.get("/", (_req, res) => {
    res.type("html").send(docsPage);
  });
  router.get("/guide.md", (_req, res, next) => {
    res.type("text/markdown; charset=utf-8").sendFile(guideFile, (error) => {
      if (error && !res.headersSent)
        next(new AppError(coreErrors.routeNotFound, "The API guide is not installed"));
    });
  });
  return router;
}
