import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Account, register } from "../../../test/accounts.js";
import { pngImage, uploadFile } from "../../../test/fixtures.js";
import { startTestServer, type TestServer } from "../../../test/server.js";

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** GET with the request target sent byte for byte: fetch and URL would resolve dot segments first. */
function rawGet(base: string, target: string): Promise<RawResponse> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, path: target, method: "GET" }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

/** A PDF whose bytes say they are the secret, so a leak is recognisable in any answer. */
const secretPdf = Buffer.from(
  "%PDF-1.4\n% PRIVATE-VERIFICATION-DOCUMENT-7f3a\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n",
);
const marker = Buffer.from("PRIVATE-VERIFICATION-DOCUMENT-7f3a");

describe("local storage paths", () => {
  let app: TestServer;
  let owner: Account;
  let privateUrl: URL;
  let publicUrl: URL;
  let privateName: string;
  let publicName: string;

  beforeAll(async () => {
    app = await startTestServer();
    owner = await register(app, "contractor");
    const document = await uploadFile(
      app,
      owner.accessToken,
      "verification_document",
      secretPdf,
      "licence.pdf",
      "application/pdf",
    );
    expect(document.status).toBe(201);
    privateUrl = new URL(document.body.url);
    privateName = privateUrl.pathname.split("/").pop() ?? "";
    const avatar = await uploadFile(app, owner.accessToken, "avatar", await pngImage(32, 32), "me.png");
    expect(avatar.status).toBe(201);
    publicUrl = new URL(avatar.body.url);
    publicName = publicUrl.pathname.split("/").pop() ?? "";
  });
  afterAll(async () => {
    await app.close();
  });

  it("still serves public files to anyone and private ones through their signed URL", async () => {
    const pub = await rawGet(app.url, publicUrl.pathname);
    expect(pub.status).toBe(200);
    expect(pub.headers["cache-control"]).toContain("public");
    const signed = await rawGet(app.url, `${privateUrl.pathname}${privateUrl.search}`);
    expect(signed.status).toBe(200);
    expect(signed.body.includes(marker)).toBe(true);
    expect(signed.headers["cache-control"]).toBe("private, no-store");
    const unsigned = await rawGet(app.url, privateUrl.pathname);
    expect(unsigned.status).toBe(403);
    expect(unsigned.body.includes(marker)).toBe(false);
  });

  const spellings = (name: string, uploadDir: string): string[] => [
    `/storage/public/../private/${name}`,
    `/storage/public/%2E%2E/private/${name}`,
    `/storage/public/%2e%2e/private/${name}`,
    `/storage/public/%2e./private/${name}`,
    `/storage/public/.%2E/private/${name}`,
    `/storage/public/%2E%2e/private/${name}`,
    `/storage/public/%252E%252E/private/${name}`,
    `/storage/public/%25252E%25252E/private/${name}`,
    `/storage/public/..%2Fprivate%2F${name}`,
    `/storage/public/..%2fprivate/${name}`,
    `/storage/public%2F..%2Fprivate%2F${name}`,
    `/storage/public/%2E%2E%2Fprivate%2F${name}`,
    `/storage/public/..%5Cprivate%5C${name}`,
    `/storage/public/..%5cprivate/${name}`,
    `/storage/public/..\\private\\${name}`,
    `/storage/public\\..\\private\\${name}`,
    `/storage/public/%00/../private/${name}`,
    `/storage/public/..%00/private/${name}`,
    `/storage/private/${name}%00.png`,
    `/storage/public/%C0%AE%C0%AE/private/${name}`,
    `/storage/public/%c0%ae%c0%ae/private/${name}`,
    `/storage/public/%C0%AE%C0%AE%C0%AF/private/${name}`,
    `/storage/public/%E0%80%AE%E0%80%AE/private/${name}`,
    `/storage/public/./../private/${name}`,
    `/storage/public/.../private/${name}`,
    `/storage/public/x/../../private/${name}`,
    `/storage/public//../private/${name}`,
    `/storage/PUBLIC/../private/${name}`,
    `/storage/Public/%2E%2E/Private/${name}`,
    `/storage/public/%2E%2E/PRIVATE/${name}`,
    `/storage/private/${name}.`,
    `/storage/private/${name}...`,
    `/storage/private/${name}%2E`,
    `/storage/public/${name}/../../private/${name}`,
    `/storage/public/..;/private/${name}`,
    `/storage/%2Fprivate%2F${name}`,
    `/storage//private/${name}`,
    `/storage/${uploadDir}/private/${name}`,
    `/storage/${encodeURIComponent(`${uploadDir}/private/${name}`)}`,
    `/storage/public/%2E%2E${uploadDir}/private/${name}`,
    `/storage/private%2F${name}`,
    `/storage/./private/${name}`,
    `/storage/%2E/private/${name}`,
  ];

  it("never serves a private file through another spelling of its path, signed query or not", async () => {
    const cases = spellings(privateName, app.config.storage.uploadDir);
    for (const target of cases) {
      for (const query of ["", privateUrl.search]) {
        const response = await rawGet(app.url, `${target}${query}`);
        const label = `${target}${query ? " (with the signed query)" : ""} → ${response.status}`;
        expect(response.body.includes(marker), label).toBe(false);
        expect([400, 403, 404], label).toContain(response.status);
        expect(String(response.headers["cache-control"] ?? ""), label).not.toContain("public");
        if (response.headers["content-type"]?.includes("json")) {
          const problem = JSON.parse(response.body.toString("utf8")) as { code: string };
          expect(["file.not_found", "file.link_invalid"], label).toContain(problem.code);
        }
      }
    }
  });

  it("refuses odd spellings of a public path too, rather than guessing what was meant", async () => {
    for (const target of [
      `/storage/public/%2E/${publicName}`,
      `/storage/public/./${publicName}`,
      `/storage/private/../public/${publicName}`,
      `/storage/public/${publicName}%00`,
      `/storage/public%2F${publicName}`,
    ]) {
      const response = await rawGet(app.url, target);
      expect(response.status, target).toBe(404);
      expect(response.headers["content-type"], target).toContain("application/problem+json");
    }
  });

  it("answers a missing object 404 without caching headers", async () => {
    const missing = await rawGet(app.url, "/storage/public/0197a3c0-0000-7000-8000-000000000000.png");
    expect(missing.status).toBe(404);
    expect(missing.headers["cache-control"] ?? "").not.toContain("immutable");
  });
});
