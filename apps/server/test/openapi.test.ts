import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { get, request } from "node:http";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isDeepStrictEqual, promisify } from "node:util";
import { createConfig, lint } from "@redocly/openapi-core";
import { Document, type RulesetDefinition, Spectral } from "@stoplight/spectral-core";
import { Json } from "@stoplight/spectral-parsers";
import { oas } from "@stoplight/spectral-rulesets";
import openapiTS, { astToString } from "openapi-typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ApiRouter } from "../src/http/api.js";
import { errorCatalogue } from "../src/http/errors.js";
import { livenessSchema, readinessSchema } from "../src/http/health.js";
import { register } from "./accounts.js";
import { startTestServer, type TestServer } from "./server.js";

const require = createRequire(import.meta.url);

interface Operation {
  operationId?: string;
  tags?: string[];
  responses: Record<string, { description: string; headers?: Record<string, { $ref: string }> }>;
  security?: Record<string, string[]>[];
  requestBody?: { content: Record<string, { schema: { $ref?: string }; example?: unknown }> };
}

type DeclaredRoute = ApiRouter["declared"][number];

/**
 * What is wrong with a route's examples: missing where the route takes or answers JSON, or not what its own
 * schemas accept. An answer's example must also come out of its schema unchanged, so a misspelt or stray
 * field (which a non-strict object would drop in silence) is caught too.
 */
function exampleProblems(route: DeclaredRoute): string[] {
  const name = `${route.method.toUpperCase()} ${route.path}`;
  const problems: string[] = [];
  const { request, response } = route.examples ?? {};
  if (route.body) {
    const parsed = request === undefined ? undefined : route.body.safeParse(request);
    if (!parsed) problems.push(`${name}: no request example`);
    else if (!parsed.success) problems.push(`${name}: request example refused: ${parsed.error.message}`);
  }
  if (route.response.schema) {
    const parsed = response === undefined ? undefined : route.response.schema.safeParse(response);
    if (!parsed) problems.push(`${name}: no response example`);
    else if (!parsed.success) problems.push(`${name}: response example refused: ${parsed.error.message}`);
    else if (!isDeepStrictEqual(parsed.data, response)) {
      problems.push(`${name}: response example has fields or values its schema does not keep`);
    }
  }
  return problems;
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
  /** The API's own operations (the health probes answer outside it, in their own format). */
  const apiOperations = () => operations.filter(([route]) => route.includes(" /api/v1/"));

  let api: ApiRouter | undefined;

  beforeAll(async () => {
    // The test module adds no route: it hands over the router every module declared its routes on. The
    // linters below hold the event loop for seconds: the client cannot see the server close an idle keep-alive
    // connection meanwhile, and would send the next request on it (ECONNRESET).
    app = await startTestServer(
      { HTTP_KEEP_ALIVE_TIMEOUT_MS: "120000" },
      {
        testRoutes: async () => (router) => {
          api = router;
        },
      },
    );
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

  it("shows an example of the JSON sent and answered on every operation", () => {
    const missing: string[] = [];
    for (const [route, operation] of operations) {
      const request = operation.requestBody?.content["application/json"];
      if (request && request.example === undefined) missing.push(`${route} request`);
      for (const [status, response] of Object.entries(operation.responses)) {
        const json = (response as { content?: Record<string, { example?: unknown }> }).content?.[
          "application/json"
        ];
        if (/^2\d\d$/.test(status) && json && json.example === undefined) missing.push(`${route} ${status}`);
      }
    }
    expect(missing).toEqual([]);
    expect(operations.length).toBeGreaterThan(30);
  });

  it("parses every route's examples with the route's own schemas, so an example cannot drift", () => {
    const declared = api?.declared ?? [];
    // Every operation of the API is a declared route (the test module declares none of its own).
    expect(declared.length).toBe(apiOperations().length);
    expect(declared.flatMap(exampleProblems)).toEqual([]);
    // The check itself fails for an example that drifted: a field renamed in the answer, a wrong type sent.
    const me = declared.find((route) => route.method === "get" && route.path === "/me");
    const login = declared.find((route) => route.method === "post" && route.path === "/auth/login");
    if (!me?.examples?.response || !login?.examples?.request)
      throw new Error("GET /me and login have examples");
    const { avatarUrl, ...renamed } = me.examples.response as Record<string, unknown>;
    expect(
      exampleProblems({ ...me, examples: { response: { ...renamed, avatar: avatarUrl } } }),
    ).toHaveLength(1);
    expect(
      exampleProblems({
        ...login,
        examples: { ...login.examples, request: { ...(login.examples.request as object), email: 42 } },
      }),
    ).toHaveLength(1);
    expect(exampleProblems({ ...login, examples: { response: login.examples.response } })).toEqual([
      "POST /auth/login: no request example",
    ]);
  });

  it("documents the health probes as they answer: bodies, X-Request-Id, problems for refused requests", async () => {
    for (const [path, schema] of [
      ["/health/live", livenessSchema],
      ["/health/ready", readinessSchema],
    ] as const) {
      const operation = operations.find(([route]) => route === `GET ${path}`)?.[1];
      if (!operation) throw new Error(`${path} is not documented`);
      const ok = operation.responses["200"] as unknown as {
        content: { "application/json": { example: unknown } };
      };
      expect(schema.safeParse(ok.content["application/json"].example).success, path).toBe(true);
      for (const status of ["200", "503", "4XX", "default"]) {
        expect(Object.keys(operation.responses[status]?.headers ?? {}), `${path} ${status}`).toContain(
          "X-Request-Id",
        );
      }
      const answer = await app.request("GET", path);
      expect(answer.status).toBe(200);
      expect(schema.safeParse(answer.body).success, path).toBe(true);
      expect(answer.headers.get("x-request-id")).toMatch(/\w/);
      expect(answer.headers.get("cache-control")).toBe("no-store");
      // A body the probe ignores is still refused when it is not JSON, as a problem.
      // (node:http: fetch sends no body with a GET.)
      const malformed = await new Promise<{ status?: number; type?: string; id?: string; body: string }>(
        (resolveAnswer, reject) => {
          const sent = request(
            `${app.url}${path}`,
            { method: "GET", headers: { "content-type": "application/json", "content-length": "9" } },
            (response) => {
              let body = "";
              response.setEncoding("utf8");
              response.on("data", (chunk: string) => {
                body += chunk;
              });
              response.on("end", () =>
                resolveAnswer({
                  status: response.statusCode,
                  type: response.headers["content-type"],
                  id: String(response.headers["x-request-id"]),
                  body,
                }),
              );
            },
          );
          sent.on("error", reject);
          sent.end("{not json");
        },
      );
      expect(malformed.status).toBe(400);
      expect(malformed.type).toMatch(/^application\/problem\+json/);
      expect(JSON.parse(malformed.body)).toMatchObject({
        code: "request.malformed_json",
        requestId: malformed.id,
      });
    }
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
    const used = new Set(operations.flatMap(([, operation]) => operation.tags ?? []));
    const defined = new Map<string, string | undefined>(
      document.tags.map((tag: { name: string; description?: string }) => [tag.name, tag.description]),
    );
    for (const tag of used) expect(defined.get(tag), tag).toMatch(/\w/);
  });

  it("lists the whole 401 family and the suspended account on every authenticated operation", () => {
    // Operations that require a token; optional auth (`{}` among the requirements) treats a bad token as none.
    const authenticated = apiOperations().filter(
      ([, operation]) =>
        (operation.security ?? []).length > 0 &&
        !(operation.security ?? []).some((requirement: object) => Object.keys(requirement).length === 0),
    );
    expect(authenticated.length).toBeGreaterThan(10);
    for (const [route, operation] of authenticated) {
      const unauthorized = operation.responses["401"]?.description ?? "";
      for (const code of [
        "auth.unauthenticated",
        "auth.token_expired",
        "auth.invalid_token",
        "auth.session_ended",
      ]) {
        expect(unauthorized, route).toContain(`\`${code}\``);
      }
      expect(operation.responses["403"]?.description ?? "", route).toContain("`auth.account_suspended`");
    }
    for (const [route, operation] of operations) {
      expect(operation.responses.default, route).toBeDefined();
      expect(operation.responses["4XX"], route).toBeDefined();
    }
  });

  it("types Problem.code as the whole error catalogue", () => {
    const codes = document.components.schemas.Problem.properties.code.enum;
    expect(codes).toEqual(
      errorCatalogue()
        .map((error) => error.code)
        .sort(),
    );
    expect(codes).toEqual(
      expect.arrayContaining(["auth.token_expired", "route.method_not_allowed", "file.too_large"]),
    );
  });

  it("declares the headers the answers carry: request id, rate limits, replays, ETag", async () => {
    const headersOf = (route: string, status: string) =>
      Object.keys(operations.find(([name]) => name === route)?.[1].responses[status]?.headers ?? {});
    for (const [route, operation] of operations) {
      for (const [status, response] of Object.entries(operation.responses)) {
        expect(Object.keys(response.headers ?? {}), `${route} ${status}`).toContain("X-Request-Id");
      }
    }
    // Routes behind a limiter: RateLimit-* on their answers, Retry-After on their 429, from one declaration.
    for (const route of ["POST /api/v1/files", "POST /api/v1/auth/login", "POST /api/v1/auth/register"]) {
      expect(headersOf(route, "429")).toEqual(
        expect.arrayContaining(["Retry-After", "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"]),
      );
    }
    expect(headersOf("POST /api/v1/files", "201")).toEqual(expect.arrayContaining(["RateLimit-Remaining"]));
    expect(headersOf("GET /api/v1/categories", "200")).not.toContain("RateLimit-Remaining");
    expect(Object.keys(document.components.headers)).toEqual(
      expect.arrayContaining(["X-Request-Id", "Retry-After", "Idempotent-Replayed", "ETag"]),
    );
    // ETag is declared because it is really sent (Express tags every body), and an unchanged answer is 304.
    expect(headersOf("GET /api/v1/categories", "200")).toContain("ETag");
    const first = await app.request("GET", "/api/v1/categories");
    const etag = first.headers.get("etag");
    expect(etag).toMatch(/^W\/"/);
    // node:http rather than fetch, which adds `Cache-Control: no-cache` to conditional requests (a mobile
    // HTTP client does not).
    const again = await new Promise<number | undefined>((resolveStatus, reject) => {
      get(`${app.url}/api/v1/categories`, { headers: { "if-none-match": etag ?? "" } }, (response) => {
        response.resume();
        resolveStatus(response.statusCode);
      }).on("error", reject);
    });
    expect(again).toBe(304);
    expect(first.headers.get("x-request-id")).toMatch(/\w/);
  });

  it("answers 405 with Allow for a known path asked with another method, 404 for an unknown path", async () => {
    const wrongMethod = await app.request("DELETE", "/api/v1/categories");
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get("allow")).toBe("GET, HEAD");
    expect(wrongMethod.body).toMatchObject({ code: "route.method_not_allowed", status: 405 });
    // A path with a parameter, and one matched by two declared paths (`/contractors/:id` and `/contractors/me/...`).
    const user = await register(app);
    const onParameter = await app.request("PUT", "/api/v1/files/0190a8f4-6a5e-7c2b-9d1e-3f4a5b6c7d8e", {
      token: user.accessToken,
      body: {},
    });
    expect(onParameter.status).toBe(405);
    expect(onParameter.headers.get("allow")).toBe("GET, HEAD");
    const me = await app.request("POST", "/api/v1/me", { token: user.accessToken, body: {} });
    expect(me.status).toBe(405);
    expect(me.headers.get("allow")?.split(", ").sort()).toEqual(["DELETE", "GET", "HEAD", "PATCH"]);
    const unknown = await app.request("DELETE", "/api/v1/no-such-thing");
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe("route.not_found");
  });

  it("links the API guide from /docs, and serves it", async () => {
    expect(document.info.description).toContain("](/docs/guide.md)");
    const guide = await app.request("GET", "/docs/guide.md");
    expect(guide.status).toBe(200);
    expect(guide.headers.get("content-type")).toMatch(/^text\/markdown/);
    expect(guide.body).toContain("# API guide for app developers");
  });

  it("generates a TypeScript client with openapi-typescript: an upload method and a union of error codes", async () => {
    const generated = astToString(await openapiTS(JSON.stringify(document)));
    const api = join(folder, "api.ts");
    await writeFile(api, generated);
    expect(generated).toContain('"multipart/form-data": components["schemas"]["FileUpload"]');
    expect(generated).toMatch(/code: "[a-z_.]+" \| "/);
    // The generated types compile, and the code union refuses a code the catalogue lacks.
    await writeFile(
      join(folder, "client.ts"),
      [
        'import type { components, operations } from "./api.js";',
        'type Upload = operations["createFile"]["requestBody"]["content"]["multipart/form-data"];',
        'export const upload: Upload = { purpose: "avatar", file: "(bytes)" };',
        'type Code = components["schemas"]["Problem"]["code"];',
        'export const expired: Code = "auth.token_expired";',
        "// @ts-expect-error: not a code of the catalogue",
        'export const unknown: Code = "auth.no_such_code";',
        'type Uploaded = operations["createFile"]["responses"][201]["content"]["application/json"];',
        "export const size = (file: Uploaded): number => file.size;",
        "",
      ].join("\n"),
    );
    const tsc = join(require.resolve("typescript/package.json"), "..", "bin", "tsc");
    const run = await promisify(execFile)(
      process.execPath,
      [
        tsc,
        "--noEmit",
        "--strict",
        "--module",
        "nodenext",
        "--moduleResolution",
        "nodenext",
        "--target",
        "es2022",
        join(folder, "client.ts"),
      ],
      { cwd: folder },
    ).then(
      () => "",
      (error: { stdout?: string }) => error.stdout ?? String(error),
    );
    expect(run).toBe("");
  }, 60_000);

  it("names the objects that recur, and types exception dates as dates", () => {
    const schemas = document.components.schemas;
    for (const name of ["WeeklyRange", "DateException", "GeoPoint", "Money", "ServiceArea", "Problem"]) {
      expect(schemas[name], name).toBeDefined();
    }
    expect(schemas.DateException.properties.date).toMatchObject({ type: "string", format: "date" });
    expect(schemas.Availability.properties.weekly.items).toEqual({
      $ref: "#/components/schemas/WeeklyRange",
    });
  });

  // A named object that may be null in one place must stay non-null everywhere else: a component that allows
  // null makes every list of it nullable in generated clients, and `allOf` with a nullable member forbids the
  // null the field is documented to carry.
  it("says null where a field may be null, and nowhere else: named objects stay non-null, nullable uses are anyOf", () => {
    const allowsNull = (schema: { type?: unknown }) =>
      schema.type === "null" || (Array.isArray(schema.type) && schema.type.includes("null"));
    const nullableComponents = Object.entries(
      document.components.schemas as Record<string, { type?: unknown }>,
    )
      .filter(([, schema]) => allowsNull(schema))
      .map(([name]) => name);
    expect(nullableComponents).toEqual([]);
    const nullInAllOf: string[] = [];
    const walk = (node: unknown, at: string) => {
      if (Array.isArray(node)) {
        for (const [index, item] of node.entries()) walk(item, `${at}/${index}`);
        return;
      }
      if (typeof node !== "object" || node === null) return;
      const schema = node as { allOf?: { type?: unknown }[] };
      if (schema.allOf?.some(allowsNull)) nullInAllOf.push(at);
      for (const [key, value] of Object.entries(node)) walk(value, `${at}/${key}`);
    };
    walk(document, "#");
    expect(nullInAllOf).toEqual([]);
    // What a nullable use looks like: the component or null.
    expect(document.components.schemas.Conversation.properties.lastMessage.anyOf).toEqual([
      { $ref: "#/components/schemas/Message" },
      { type: "null" },
    ]);
  });
});
