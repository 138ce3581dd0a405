import { readdir } from "node:fs/promises";
import { join } from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Account, login, register } from "../../../test/accounts.js";
import { TestClock } from "../../../test/clock.js";
import { pngImage, samplePdf, uploadFile as upload } from "../../../test/fixtures.js";
import { startTestServer, type TestServer } from "../../../test/server.js";

/** A JPEG as a phone camera writes it: rotated by an EXIF orientation tag, with GPS coordinates. */
async function cameraJpeg(): Promise<Buffer> {
  return sharp({ create: { width: 400, height: 200, channels: 3, background: { r: 10, g: 120, b: 200 } } })
    .jpeg()
    .withMetadata({ orientation: 6 })
    .withExifMerge({
      IFD0: { Make: "PhoneCo", Model: "Pixel Test" },
      IFD3: {
        GPSLatitudeRef: "N",
        GPSLatitude: "51/1 30/1 0/1",
        GPSLongitudeRef: "W",
        GPSLongitude: "0/1 7/1 0/1",
      },
    })
    .toBuffer();
}

const pdf = samplePdf;
const mpegFrame = Buffer.concat([Buffer.from([0xff, 0xfb, 0x90, 0x64]), Buffer.alloc(413, 0)]);
const mp3 = Buffer.concat([
  Buffer.from("ID3"),
  Buffer.from([3, 0, 0, 0, 0, 0, 0]),
  mpegFrame,
  mpegFrame,
  mpegFrame,
]);

async function filesUnder(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
}

describe("file uploads", () => {
  let app: TestServer;
  let owner: Account;
  let stranger: Account;
  const clock = new TestClock();
  const adminEmail = "files-admin@jobsphere.test";
  const adminPassword = "files admin passphrase";

  beforeAll(async () => {
    app = await startTestServer({ ADMIN_EMAIL: adminEmail, ADMIN_PASSWORD: adminPassword }, { clock });
    owner = await register(app, "contractor");
    stranger = await register(app, "customer");
  });
  afterAll(async () => {
    await app.close();
  });

  it("accepts each purpose with its kinds of file", async () => {
    const cases = [
      ["avatar", await pngImage(64, 64), "me.png", "image/png", "image/png"],
      ["portfolio", await cameraJpeg(), "kitchen.jpg", "image/jpeg", "image/jpeg"],
      ["job_attachment", pdf, "quote.pdf", "application/pdf", "application/pdf"],
      ["verification_document", await pngImage(300, 200), "licence.png", "image/png", "image/png"],
      ["chat_attachment", mp3, "voice.mp3", "audio/mpeg", "audio/mpeg"],
    ] as const;
    for (const [purpose, bytes, name, sentType, storedType] of cases) {
      const response = await upload(app, owner.accessToken, purpose, bytes, name, sentType);
      expect(response.status, purpose).toBe(201);
      expect(response.body).toMatchObject({ purpose, contentType: storedType, originalName: name });
      const content = await fetch(response.body.url);
      expect(content.status, `${purpose} content`).toBe(200);
      expect(content.headers.get("content-type")).toContain(storedType);
      await content.arrayBuffer();
    }
  });

  it("decides the type from the bytes: text sent as a PNG is refused with 415", async () => {
    const response = await upload(
      app,
      owner.accessToken,
      "avatar",
      Buffer.from("just some text, not an image"),
      "fake.png",
      "image/png",
    );
    expect(response.status).toBe(415);
    expect(response.body.code).toBe("file.unsupported_type");
    const pdfAsAvatar = await upload(app, owner.accessToken, "avatar", pdf, "doc.pdf", "application/pdf");
    expect(pdfAsAvatar.status).toBe(415);
    expect(pdfAsAvatar.body.detail).toMatch(/application\/pdf/);
  });

  it("answers an iPhone HEIC photo with a plain 415 telling the app to send JPEG, on every image purpose", async () => {
    // The start of a HEIC file as an iPhone camera writes it: an ISO-BMFF `ftyp` box of brand `heic`
    // (compatible `mif1`, `heic`), then its `meta` box; `file-type` knows it from these bytes.
    const ftyp = Buffer.alloc(24);
    ftyp.writeUInt32BE(24, 0);
    ftyp.write("ftypheic", 4, "latin1");
    ftyp.write("mif1heic", 16, "latin1");
    const meta = Buffer.alloc(256);
    meta.writeUInt32BE(256, 0);
    meta.write("meta", 4, "latin1");
    const heic = Buffer.concat([ftyp, meta]);
    for (const purpose of ["avatar", "portfolio", "job_attachment", "chat_attachment"] as const) {
      const response = await upload(app, owner.accessToken, purpose, heic, "IMG_0001.HEIC", "image/heic");
      expect(response.status, purpose).toBe(415);
      expect(response.headers.get("content-type")).toContain("application/problem+json");
      expect(response.body.code).toBe("file.heic_unsupported");
      expect(response.body.detail).toMatch(/send JPEG/);
    }
  });

  it("refuses an oversized file with 413 and leaves nothing on disk", async () => {
    const before = [
      ...(await filesUnder(app.config.storage.uploadDir)),
      ...(await filesUnder(join(app.config.dataDir, "tmp"))),
    ];
    const big = Buffer.concat([await pngImage(8, 8), Buffer.alloc(5 * 1024 * 1024 + 10, 7)]);
    const response = await upload(app, owner.accessToken, "avatar", big, "huge.png", "image/png");
    expect(response.status).toBe(413);
    expect(response.body.code).toBe("file.too_large");
    // The purpose after the file: its limit is applied once the form has been read.
    const form = new FormData();
    form.append("file", new Blob([new Uint8Array(big)], { type: "image/png" }), "huge.png");
    form.append("purpose", "avatar");
    const late = await fetch(`${app.url}/api/v1/files`, {
      method: "POST",
      headers: { authorization: `Bearer ${owner.accessToken}` },
      body: form,
    });
    expect(late.status).toBe(413);
    expect(((await late.json()) as { detail: string }).detail).toMatch(/avatar file may be at most 5 MB/);
    const after = [
      ...(await filesUnder(app.config.storage.uploadDir)),
      ...(await filesUnder(join(app.config.dataDir, "tmp"))),
    ];
    expect(after.sort()).toEqual(before.sort());
  });

  it("re-encodes photos: orientation applied, EXIF and GPS gone, thumbnail made", async () => {
    const original = await sharp(await cameraJpeg()).metadata();
    expect(original.exif).toBeDefined();
    expect(original.orientation).toBe(6);
    const response = await upload(
      app,
      owner.accessToken,
      "portfolio",
      await cameraJpeg(),
      "site.jpg",
      "image/jpeg",
    );
    expect(response.status).toBe(201);
    expect([response.body.width, response.body.height]).toEqual([200, 400]);
    const stored = Buffer.from(await (await fetch(response.body.url)).arrayBuffer());
    const meta = await sharp(stored).metadata();
    expect(meta.exif).toBeUndefined();
    expect(meta.orientation).toBeUndefined();
    expect([meta.width, meta.height]).toEqual([200, 400]);
    expect(stored.includes(Buffer.from("Pixel Test"))).toBe(false);
    const thumbnail = await fetch(response.body.thumbnailUrl);
    expect(thumbnail.headers.get("content-type")).toBe("image/webp");
    const thumbMeta = await sharp(Buffer.from(await thumbnail.arrayBuffer())).metadata();
    expect(Math.max(thumbMeta.width ?? 0, thumbMeta.height ?? 0)).toBe(320);
  });

  it("takes the purpose before or after the file, and refuses uploads without one or not multipart", async () => {
    const missing = await upload(app, owner.accessToken, undefined, pdf, "a.pdf", "application/pdf");
    expect(missing.status).toBe(400);
    expect(missing.body.code).toBe("file.missing_part");
    const wrongPurpose = await upload(app, owner.accessToken, "selfie", pdf, "a.pdf", "application/pdf");
    expect(wrongPurpose.status).toBe(400);
    expect(wrongPurpose.body.errors[0].path).toBe("purpose");

    const form = new FormData();
    form.append("file", new Blob([new Uint8Array(pdf)]), "a.pdf");
    form.append("purpose", "job_attachment");
    const fileFirst = await fetch(`${app.url}/api/v1/files`, {
      method: "POST",
      headers: { authorization: `Bearer ${owner.accessToken}` },
      body: form,
    });
    expect(fileFirst.status).toBe(201);
    expect(((await fileFirst.json()) as { purpose: string }).purpose).toBe("job_attachment");
    const viaQuery = await fetch(`${app.url}/api/v1/files?purpose=job_attachment`, {
      method: "POST",
      headers: { authorization: `Bearer ${owner.accessToken}` },
      body: form,
    });
    expect(viaQuery.status).toBe(201);

    const json = await app.request("POST", "/api/v1/files", {
      token: owner.accessToken,
      body: { purpose: "avatar" },
    });
    expect(json.status).toBe(415);
    expect(json.body.code).toBe("file.not_multipart");
    const anonymous = await fetch(`${app.url}/api/v1/files`, { method: "POST", body: form });
    expect(anonymous.status).toBe(401);
  });

  it("serves private files only through signed URLs to those allowed, until they expire", async () => {
    const uploaded = await upload(
      app,
      owner.accessToken,
      "verification_document",
      pdf,
      "id card.pdf",
      "application/pdf",
    );
    expect(uploaded.status).toBe(201);
    expect(uploaded.body.urlExpiresAt).not.toBeNull();

    const mine = await app.request("GET", `/api/v1/files/${uploaded.body.id}`, { token: owner.accessToken });
    expect(mine.status, JSON.stringify(mine.body)).toBe(200);
    const content = await fetch(mine.body.url);
    expect(content.status).toBe(200);
    expect(content.headers.get("content-disposition")).toContain("id card.pdf");
    expect(Buffer.from(await content.arrayBuffer()).equals(pdf)).toBe(true);

    const theirs = await app.request("GET", `/api/v1/files/${uploaded.body.id}`, {
      token: stranger.accessToken,
    });
    expect(theirs.status).toBe(404);
    expect(theirs.body.code).toBe("file.not_found");

    const unsigned = await fetch(mine.body.url.split("?")[0]);
    expect(unsigned.status).toBe(403);
    const tampered = await fetch(mine.body.url.replace(/sig=[^&]+/, "sig=AAAA"));
    expect(tampered.status).toBe(403);

    clock.advance(16 * 60 * 1000);
    const expired = await fetch(mine.body.url);
    expect(expired.status).toBe(403);
    owner = await login(app, owner.email, owner.password);
    const fresh = await app.request("GET", `/api/v1/files/${uploaded.body.id}`, { token: owner.accessToken });
    expect((await fetch(fresh.body.url)).status).toBe(200);
  });

  it("sets an avatar only from the user's own avatar uploads, and shows it on the profile", async () => {
    const avatar = await upload(
      app,
      owner.accessToken,
      "avatar",
      await pngImage(100, 100),
      "face.png",
      "image/png",
    );
    const set = await app.request("PATCH", "/api/v1/me", {
      token: owner.accessToken,
      body: { avatarFileId: avatar.body.id },
    });
    expect(set.status).toBe(200);
    expect(set.body.avatarUrl).toBe(avatar.body.url);
    const image = await fetch(set.body.avatarUrl);
    expect(image.status).toBe(200);
    expect(image.headers.get("cache-control")).toContain("immutable");

    const portfolio = await upload(
      app,
      owner.accessToken,
      "portfolio",
      await pngImage(50, 50),
      "p.png",
      "image/png",
    );
    const wrongPurpose = await app.request("PATCH", "/api/v1/me", {
      token: owner.accessToken,
      body: { avatarFileId: portfolio.body.id },
    });
    expect(wrongPurpose.status).toBe(422);
    expect(wrongPurpose.body.code).toBe("file.wrong_purpose");

    stranger = await login(app, stranger.email, stranger.password);
    const theirs = await app.request("PATCH", "/api/v1/me", {
      token: stranger.accessToken,
      body: { avatarFileId: avatar.body.id },
    });
    expect(theirs.status).toBe(404);
    expect(theirs.body.errors[0].path).toBe("avatarFileId.0");

    const cleared = await app.request("PATCH", "/api/v1/me", {
      token: owner.accessToken,
      body: { avatarFileId: null },
    });
    expect(cleared.body.avatarUrl).toBeNull();
  });

  it("deletes files left unattached for a day, and keeps attached ones", async () => {
    const kept = await upload(
      app,
      stranger.accessToken,
      "avatar",
      await pngImage(40, 40),
      "keep.png",
      "image/png",
    );
    await app.request("PATCH", "/api/v1/me", {
      token: stranger.accessToken,
      body: { avatarFileId: kept.body.id },
    });
    const abandoned = await upload(
      app,
      stranger.accessToken,
      "chat_attachment",
      pdf,
      "lost.pdf",
      "application/pdf",
    );
    clock.advance(25 * 60 * 60 * 1000);
    stranger = await login(app, stranger.email, stranger.password);
    await app.server.jobs.send("files.purge", {});
    const deadline = Date.now() + 15_000;
    let gone = false;
    while (!gone && Date.now() < deadline) {
      gone =
        (await app.request("GET", `/api/v1/files/${abandoned.body.id}`, { token: stranger.accessToken }))
          .status === 404;
      if (!gone) await new Promise((resolveWait) => setTimeout(resolveWait, 200));
    }
    expect(gone).toBe(true);
    expect(
      (await app.request("GET", `/api/v1/files/${kept.body.id}`, { token: stranger.accessToken })).status,
    ).toBe(200);
    const remaining = await filesUnder(app.config.storage.uploadDir);
    expect(remaining.some((path) => path.includes(abandoned.body.id))).toBe(false);
    expect(remaining.some((path) => path.includes(kept.body.id))).toBe(true);
  });
});

describe("upload size limits as settings", () => {
  let app: TestServer;
  let owner: Account;

  beforeAll(async () => {
    app = await startTestServer({ UPLOAD_MAX_MB_JOB_ATTACHMENT: "1", UPLOAD_MAX_MB_AVATAR: "2" });
    owner = await register(app, "contractor");
  });
  afterAll(async () => {
    await app.close();
  });

  it("refuses a file over its purpose's configured limit, takes it for a purpose with room, and documents both", async () => {
    // A PDF of 1.5 MB: over the job attachment's 1 MB here, well within the verification document's 20.
    const document = Buffer.concat([pdf, Buffer.alloc(1.5 * 1024 * 1024, 0x20)]);
    const refused = await upload(app, owner.accessToken, "job_attachment", document, "quote.pdf");
    expect(refused.status).toBe(413);
    expect(refused.body.detail).toBe("A job_attachment file may be at most 1 MB");
    const taken = await upload(app, owner.accessToken, "verification_document", document, "licence.pdf");
    expect(taken.status).toBe(201);
    expect(taken.body.size).toBe(document.length);
    // Declared in the query with a Content-Length over the limit: refused before the body is read.
    const early = await fetch(`${app.url}/api/v1/files?purpose=job_attachment`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${owner.accessToken}`,
        "content-type": "multipart/form-data; boundary=x",
      },
      body: Buffer.alloc(2 * 1024 * 1024, 0x20),
    });
    expect(early.status).toBe(413);
    const described = (await app.request("GET", "/api/v1/openapi.json")).body.paths["/api/v1/files"].post
      .description as string;
    expect(described).toContain("job_attachment 1 MB");
    expect(described).toContain("avatar 2 MB");
    expect(described).toContain("chat_attachment 25 MB");
  });
});
