import { createHash, randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeS3, startS3rver } from "../../../test/s3.js";
import { copyObjects } from "./copy-objects.js";
import { createS3Storage } from "./s3-storage.js";
import { type StorageDriver, StorageNotFoundError } from "./storage.js";

function storage(endpoint: string, bucket: string) {
  return createS3Storage({
    bucket,
    region: "us-east-1",
    endpoint,
    forcePathStyle: true,
    accessKeyId: "S3RVER",
    secretAccessKey: "S3RVER",
  });
}

/** Streams `data` in 64 KiB slices, like a request body would arrive. */
function streamOf(data: Buffer): Readable {
  return Readable.from(
    (function* () {
      for (let offset = 0; offset < data.length; offset += 64 * 1024) {
        yield data.subarray(offset, offset + 64 * 1024);
      }
    })(),
  );
}

async function readAll(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function sha256(data: Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

async function putBuffer(
  driver: StorageDriver,
  key: string,
  data: Buffer,
  contentType = "application/octet-stream",
) {
  await driver.put(key, streamOf(data), { contentType, size: data.length });
}

describe("S3 storage against s3rver", () => {
  let s3: FakeS3;
  let files: ReturnType<typeof createS3Storage>;
  // Above the 5 MiB part size, so the upload goes multipart.
  const large = randomBytes(6 * 1024 * 1024 + 123);
  const largeKey = "private/resumes/2026/Lebenslauf final ü.pdf";

  beforeAll(async () => {
    s3 = await startS3rver();
    files = storage(s3.endpoint, "files");
    await files.ensureBucket();
  });

  afterAll(async () => {
    await s3?.stop();
  });

  it("creates the bucket once", async () => {
    await expect(files.ensureBucket()).resolves.toBeUndefined();
  });

  it("streams an object in and out unchanged", async () => {
    await files.put(largeKey, streamOf(large), { contentType: "application/pdf", size: large.length });
    const { body, size } = await files.get(largeKey);
    expect(size).toBe(large.length);
    const read = await readAll(body);
    expect(read.length).toBe(large.length);
    expect(sha256(read)).toBe(sha256(large));
  });

  it("stats objects and reports missing ones", async () => {
    expect(await files.stat(largeKey)).toEqual({ size: large.length });
    expect(await files.stat("private/missing")).toBeUndefined();
  });

  it("throws StorageNotFoundError for a missing object", async () => {
    const attempt = files.get("private/missing");
    await expect(attempt).rejects.toBeInstanceOf(StorageNotFoundError);
    await expect(attempt).rejects.toMatchObject({ key: "private/missing" });
  });

  it("deletes objects, missing ones included", async () => {
    await putBuffer(files, "private/to-delete", Buffer.from("bye"));
    expect(await files.stat("private/to-delete")).toEqual({ size: 3 });
    await files.delete("private/to-delete");
    expect(await files.stat("private/to-delete")).toBeUndefined();
    await expect(files.delete("private/to-delete")).resolves.toBeUndefined();
  });

  it("lists every object across pages", async () => {
    const many = createS3Storage({
      bucket: "many",
      region: "us-east-1",
      endpoint: s3.endpoint,
      forcePathStyle: true,
      accessKeyId: "S3RVER",
      secretAccessKey: "S3RVER",
      listPageSize: 10,
    });
    await many.ensureBucket();
    const keys = Array.from({ length: 35 }, (_, index) => `private/n/${String(index).padStart(4, "0")}`);
    await Promise.all(keys.map((key) => putBuffer(many, key, Buffer.from(key))));
    const listed = new Map<string, number>();
    for await (const object of many.list()) listed.set(object.key, object.size);
    expect(listed.size).toBe(keys.length);
    for (const key of keys) expect(listed.get(key)).toBe(Buffer.byteLength(key));
  });

  it("builds public URLs the server answers", async () => {
    const key = "public/avatars/a b/ö#1.png";
    const image = randomBytes(2048);
    await putBuffer(files, key, image, "image/png");
    const url = files.publicUrl(key);
    expect(url).toBe(`${s3.endpoint}/files/public/avatars/a%20b/%C3%B6%231.png`);
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("image/png");
    expect(Buffer.from(await response.arrayBuffer()).equals(image)).toBe(true);
  });

  it("builds public URLs for a CDN and for AWS virtual hosts", () => {
    const cdn = createS3Storage({
      bucket: "files",
      region: "eu-central-1",
      forcePathStyle: false,
      publicBaseUrl: "https://cdn.example.com/media/",
    });
    expect(cdn.publicUrl("public/a b/c.png")).toBe("https://cdn.example.com/media/public/a%20b/c.png");
    const aws = createS3Storage({ bucket: "files", region: "eu-central-1", forcePathStyle: false });
    expect(aws.publicUrl("public/x/y.png")).toBe(
      "https://files.s3.eu-central-1.amazonaws.com/public/x/y.png",
    );
  });

  it("signs URLs that serve the object with the given type and download name", async () => {
    const url = await files.signedUrl(largeKey, {
      expiresAt: new Date(Date.now() + 60_000),
      contentType: "application/pdf",
      downloadName: 'Lebenslauf "Müller".pdf',
    });
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/pdf");
    expect(response.headers.get("content-disposition")).toBe(
      `attachment; filename="Lebenslauf \\"M?ller\\".pdf"; filename*=UTF-8''Lebenslauf%20%22M%C3%BCller%22.pdf`,
    );
    expect(sha256(Buffer.from(await response.arrayBuffer()))).toBe(sha256(large));
  });

  it("refuses an expired signed URL", async () => {
    const url = await files.signedUrl(largeKey, {
      expiresAt: new Date(Date.now() + 1_000),
      contentType: "application/pdf",
    });
    expect(new URL(url).searchParams.get("X-Amz-Expires")).toBe("1");
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const response = await fetch(url);
    expect(response.status).toBe(403);
    await response.arrayBuffer();
  });

  describe("copyObjects", () => {
    let source: ReturnType<typeof createS3Storage>;
    let target: ReturnType<typeof createS3Storage>;
    const objects = [
      { key: "private/copy/big.bin", data: randomBytes(5 * 1024 * 1024 + 1) },
      { key: "private/copy/small.txt", data: Buffer.from("hello") },
      { key: "public/copy/empty", data: Buffer.alloc(0) },
    ];

    beforeAll(async () => {
      source = storage(s3.endpoint, "copy-source");
      target = storage(s3.endpoint, "copy-target");
      await source.ensureBucket();
      await target.ensureBucket();
      for (const object of objects) await putBuffer(source, object.key, object.data);
    });

    it("copies and verifies every object, then skips them on a second run", async () => {
      // One item without a sha256 exercises verification against the hash of the source stream.
      const items = objects.map((object, index) => ({
        key: object.key,
        sha256: index === 1 ? undefined : sha256(object.data),
      }));
      const progress: [number, number, string, string][] = [];
      const first = await copyObjects(source, target, items, (...event) => progress.push(event));
      expect(first).toEqual({ copied: 3, skipped: 0 });
      expect(progress).toEqual(objects.map((object, index) => [index + 1, 3, object.key, "copied"]));
      for (const object of objects) {
        const { body, size } = await target.get(object.key);
        expect(size).toBe(object.data.length);
        expect(sha256(await readAll(body))).toBe(sha256(object.data));
      }

      const outcomes: string[] = [];
      const second = await copyObjects(source, target, items, (_done, _total, _key, outcome) =>
        outcomes.push(outcome),
      );
      expect(second).toEqual({ copied: 0, skipped: 3 });
      expect(outcomes).toEqual(["skipped", "skipped", "skipped"]);
    });

    it("recopies an object whose copy has the right size but the wrong content", async () => {
      const [, small] = objects;
      if (!small) throw new Error("fixture missing");
      await putBuffer(target, small.key, Buffer.from("jello"));
      const result = await copyObjects(source, target, [{ key: small.key, sha256: sha256(small.data) }]);
      expect(result).toEqual({ copied: 1, skipped: 0 });
      expect((await readAll((await target.get(small.key)).body)).toString()).toBe("hello");
    });

    it("throws, naming the key, when the sha256 does not match", async () => {
      const key = "private/copy/small.txt";
      await expect(copyObjects(source, target, [{ key, sha256: "0".repeat(64) }])).rejects.toThrow(key);
      // A copy that failed verification must not be taken for a finished one by the next run.
      expect(await target.stat(key)).toBeUndefined();
    });

    it("throws, naming the key, when the source object is missing", async () => {
      await expect(copyObjects(source, target, [{ key: "private/copy/nowhere" }])).rejects.toThrow(
        "private/copy/nowhere",
      );
    });
  });
});
