import { createHash } from "node:crypto";
import { pipeline, type Readable, Transform } from "node:stream";
import { type StorageDriver, StorageNotFoundError } from "./storage.js";

/**
 * Copies objects between drivers (e.g. local disk to S3), verifying every copy by reading it back.
 * Objects already present in `to` with the right size (and the right sha256, when known) are skipped, so a
 * run that was interrupted resumes where it stopped.
 */
export async function copyObjects(
  from: StorageDriver,
  to: StorageDriver,
  items: { key: string; sha256?: string | undefined; contentType?: string | undefined }[],
  onProgress?: (done: number, total: number, key: string, outcome: "copied" | "skipped") => void,
): Promise<{ copied: number; skipped: number }> {
  let copied = 0;
  let skipped = 0;
  for (const [index, item] of items.entries()) {
    const outcome = await copyOne(
      from,
      to,
      item.key,
      item.sha256,
      item.contentType ?? "application/octet-stream",
    );
    if (outcome === "copied") copied++;
    else skipped++;
    onProgress?.(index + 1, items.length, item.key, outcome);
  }
  return { copied, skipped };
}

async function copyOne(
  from: StorageDriver,
  to: StorageDriver,
  key: string,
  expectedSha256: string | undefined,
  contentType: string,
): Promise<"copied" | "skipped"> {
  const sourceStat = await from.stat(key);
  if (!sourceStat) throw new Error(`cannot copy ${key}: it is missing in the source storage`);

  const targetStat = await to.stat(key);
  if (targetStat?.size === sourceStat.size) {
    if (expectedSha256 === undefined) return "skipped";
    const existing = await digest(to, key);
    if (existing.sha256 === expectedSha256) return "skipped";
  }

  let source: { body: Readable; size: number };
  try {
    source = await from.get(key);
  } catch (error) {
    if (error instanceof StorageNotFoundError) {
      throw new Error(`cannot copy ${key}: it is missing in the source storage`);
    }
    throw error;
  }
  let sourceBytes = 0;
  const sourceHash = createHash("sha256");
  const hashing = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      sourceBytes += chunk.length;
      sourceHash.update(chunk);
      callback(null, chunk);
    },
  });
  // The put consumes `hashing`; pipeline only forwards a failing source read to it, which fails the put.
  pipeline(source.body, hashing, () => {});
  try {
    // Public objects are served straight from the bucket, so they must keep their real type.
    await to.put(key, hashing, { contentType, size: source.size });
  } finally {
    source.body.destroy();
  }
  if (sourceBytes !== source.size) {
    await to.delete(key);
    throw new Error(`copy of ${key} failed: read ${sourceBytes} of ${source.size} bytes from the source`);
  }

  const wanted = expectedSha256 ?? sourceHash.digest("hex");
  const written = await digest(to, key);
  if (written.sha256 !== wanted || written.size !== source.size) {
    // Without a known sha256 a later run only compares sizes, so a bad copy left behind would be skipped.
    await to.delete(key);
    throw new Error(
      `copy of ${key} does not match: expected sha256 ${wanted} (${source.size} bytes), ` +
        `read back ${written.sha256} (${written.size} bytes)`,
    );
  }
  return "copied";
}

async function digest(storage: StorageDriver, key: string): Promise<{ sha256: string; size: number }> {
  const { body } = await storage.get(key);
  const hash = createHash("sha256");
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    size += chunk.length;
    hash.update(chunk);
  }
  return { sha256: hash.digest("hex"), size };
}
