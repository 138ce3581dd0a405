import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createConfig, lint } from "@redocly/openapi-core";
import { Document, type RulesetDefinition, Spectral } from "@stoplight/spectral-core";
import { Json } from "@stoplight/spectral-parsers";
import { oas } from "@stoplight/spectral-rulesets";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "./server.js";

interface Operation {
  operationId?: string;
  security?: Record<string, string[]>[];
  requestBody?: { content: Record<string, { schema: { $ref?: string } }> };
}

/**
 * The document as client generators read it: fetched from a running server, written to a file, and checked
 * with the linters their authors use (Redocly's recommended rules, Spectral's `spectral:oas`).
 */
describe("the OpenAPI document, as client generators read it", () => {
  let app: TestServer;
  let folder: string;
  let file: string;
  // biome-ignore lint/suspicious/noExplicitAny: the assertions walk the JSON document freely
  let document: any;
  const operations: [string, Operation][] = [];

  beforeAll(async () => {
    app = await startTestServer();
    const response = await app.request("GET", "/api/v1/openapi.json");
    expect(response.status).toBe(200);
    document = response.body;
    folder = await mkdtemp(join(tmpdir(), "jobsphere-openapi-"));
    file = join(folder, "openapi.json");
    await writeFile(file, JSON.stringify(document, null, 2));
    for (const [path, item] of Object.entries<Record<string, Operation>>(document.paths)) {
      for (const method of ["get", "put", "post", "delete", "patch"]) {
        const operation = item[method];
        if (operation) operations.push([`${method.toUpperCase()} ${path}`, operation]);
      }
    }
  });
  afterAll(async () => {
    await app.close();
    await rm(folder, { recursive: true, force: true });
  });

  it("passes Redocly's recommended rules without an error or a warning", async () => {
    const problems = await lint({ ref: file, config: await createConfig({ extends: ["recommended"] }) });
    const found = problems.map(
      (problem) =>
        `${problem.severity} ${problem.ruleId} at ${problem.location[0]?.pointer ?? "?"}: ${problem.message}`,
    );
    expect(found).toEqual([]);
  });

  it("passes Spectral's oas ruleset without an error or a warning", async () => {
    const spectral = new Spectral();
    // The package types the ruleset as its literal shape, which TypeScript does not match to the union
    // `RulesetDefinition`; it is the same object a `.spectral.yaml` saying `extends: spectral:oas` loads.
    spectral.setRuleset(oas as RulesetDefinition);
    const results = await spectral.run(new Document(await readFile(file, "utf8"), Json, file));
    // Spectral's severities: 0 error, 1 warning, 2 information, 3 hint.
    const found = results
      .filter((result) => result.severity <= 1)
      .map((result) => `${result.code} at ${result.path.join(".")}: ${result.message}`);
    expect(found).toEqual([]);
  });

  it("names every operation, uniquely, in camelCase", () => {
    const ids = operations.map(([, operation]) => operation.operationId);
    expect(ids.every((id) => typeof id === "string" && /^[a-z][A-Za-z0-9]*$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    const byRoute = Object.fromEntries(
      operations.map(([route, operation]) => [route, operation.operationId]),
    );
    expect(byRoute).toMatchObject({
      "GET /api/v1/me": "getMe",
      "PATCH /api/v1/me": "updateMe",
      "GET /api/v1/contractors": "listContractors",
      "GET /api/v1/contractors/{id}": "getContractor",
      "POST /api/v1/files": "createFile",
      "GET /api/v1/admin/users": "adminListUsers",
      "POST /api/v1/auth/login": "login",
      "GET /health/ready": "getReadiness",
    });
  });

  it("says which operations need no credentials and which need a bearer token", () => {
    const security = Object.fromEntries(operations.map(([route, operation]) => [route, operation.security]));
    expect(security["GET /api/v1/categories"]).toEqual([]);
    expect(security["POST /api/v1/auth/login"]).toEqual([]);
    expect(security["GET /api/v1/me"]).toEqual([{ bearerAuth: [] }]);
    expect(operations.every(([, operation]) => Array.isArray(operation.security))).toBe(true);
  });

  it("declares the upload as a multipart body with a binary file part", () => {
    const upload = operations.find(([route]) => route === "POST /api/v1/files")?.[1];
    const form = upload?.requestBody?.content["multipart/form-data"]?.schema;
    expect(form).toBeDefined();
    const schema = form?.$ref ? document.components.schemas[form.$ref.split("/").at(-1) ?? ""] : form;
    expect(schema.required).toEqual(expect.arrayContaining(["file", "purpose"]));
    expect(schema.properties.file).toMatchObject({ type: "string", format: "binary" });
    expect(schema.properties.purpose.enum).toContain("avatar");
  });

  it("defines every tag it uses, with a description", () => {
    const used = new Set(operations.flatMap(([, operation]) => (operation as { tags: string[] }).tags));
    const defined = new Map<string, string | undefined>(
      document.tags.map((tag: { name: string; description?: string }) => [tag.name, tag.description]),
    );
    for (const tag of used) expect(defined.get(tag), tag).toMatch(/\w/);
  });
});
