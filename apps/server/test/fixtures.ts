import sharp from "sharp";
import { type Account, register } from "./accounts.js";
import type { TestResponse, TestServer } from "./server.js";

/** The smallest PDF that content sniffing recognises as one. */
export const samplePdf = Buffer.from(
  "%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n",
);

export function pngImage(width = 64, height = 64, background = "#888888"): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background } })
    .png()
    .toBuffer();
}

/** `POST /files` as a mobile app sends it: multipart, `purpose` before `file`. */
export async function uploadFile(
  app: TestServer,
  token: string,
  purpose: string | undefined,
  bytes: Buffer,
  name: string,
  type = "application/octet-stream",
): Promise<TestResponse> {
  const form = new FormData();
  if (purpose !== undefined) form.append("purpose", purpose);
  form.append("file", new Blob([new Uint8Array(bytes)], { type }), name);
  const response = await fetch(`${app.url}/api/v1/files`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}` },
    body: form,
  });
  return { status: response.status, headers: response.headers, body: await response.json() };
}

/** Uploads and returns the new file's id, failing loudly if the upload is refused. */
export async function uploadedFileId(
  app: TestServer,
  token: string,
  purpose: string,
  bytes: Buffer,
  name: string,
): Promise<string> {
  const response = await uploadFile(app, token, purpose, bytes, name);
  if (response.status !== 201)
    throw new Error(`upload failed: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body.id;
}

export const sampleProfile = {
  headline: "Licensed electrician",
  bio: "Rewiring, fuse boards and EV chargers.",
  categorySlugs: ["electrician"],
  hourlyRate: { amount: 4500, currency: "usd" },
  serviceArea: { lat: 51.5, lng: -0.12, radiusKm: 15 },
};

/** A contractor account with a saved profile. */
export async function createContractor(
  app: TestServer,
  name?: string,
  profile: Record<string, unknown> = sampleProfile,
): Promise<Account> {
  const contractor = await register(app, "contractor", name ? { name } : {});
  const saved = await app.request("PUT", "/api/v1/contractors/me/profile", {
    token: contractor.accessToken,
    body: profile,
  });
  if (saved.status !== 200) throw new Error(`profile failed: ${saved.status} ${JSON.stringify(saved.body)}`);
  return contractor;
}
