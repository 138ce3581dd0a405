import { readFile, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import openapiTS, { astToString } from "openapi-typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "./server.js";

/** The dashboard's API types, generated from this server's document and type-checked with the dashboard. */
const schemaFile = fileURLToPath(new URL("../../admin/src/api/schema.d.ts", import.meta.url));

const banner =
  "// Generated from the server's OpenAPI document by apps/server/test/admin-client.test.ts: do not edit.\n";

describe("the admin dashboard's API client", () => {
  let app: TestServer;
  beforeAll(async () => {
    app = await startTestServer();
  });
  afterAll(async () => {
    await app.close();
  });

  it("is generated from the document this code serves, so a change that breaks the dashboard fails its type check", async () => {
    const document = (await app.request("GET", "/api/v1/openapi.json")).body;
    const generated = banner + astToString(await openapiTS(JSON.stringify(document)));
    const committed = await readFile(schemaFile, "utf8").catch(() => "");
    if (committed !== generated) {
      // Written in place, so the next `npm run typecheck` shows what the change breaks in the dashboard.
      await writeFile(schemaFile, generated);
    }
    expect(
      committed === generated,
      "apps/admin/src/api/schema.d.ts was out of date and has been regenerated: run `npm run typecheck -w apps/admin` and commit it",
    ).toBe(true);
  }, 60_000);
});
