import { createRequire } from "node:module";
import { dirname } from "node:path";
import { type OpenAPIRegistry, OpenApiGeneratorV31 } from "@asteasolutions/zod-to-openapi";
import express, { type Router } from "express";
import { errorCodeTable } from "./api.js";

const require = createRequire(import.meta.url);

export type OpenApiDocument = ReturnType<OpenApiGeneratorV31["generateDocument"]>;

export function buildOpenApiDocument(registry: OpenAPIRegistry, serverUrl: string): OpenApiDocument {
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
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
    },
    servers: [{ url: serverUrl }],
  });
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
