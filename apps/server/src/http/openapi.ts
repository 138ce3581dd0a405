import { createRequire } from "node:module";
import { dirname } from "node:path";
import { type OpenAPIRegistry, OpenApiGeneratorV31 } from "@asteasolutions/zod-to-openapi";
import express, { type Router } from "express";
import { errorCodeTable } from "./api.js";

const require = createRequire(import.meta.url);

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
  Chat: "Conversations and messages",
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
  });
  return { ...document, tags: documentTags(document) };
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
  return router;
}
