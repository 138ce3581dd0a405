// `npm run storage:migrate [-- --create-bucket]`: copies every stored file from the local UPLOAD_DIR to the
// configured S3 bucket, verifying each copy's sha256. Safe to interrupt and run again: objects already copied
// are skipped. Afterwards set STORAGE_DRIVER=s3 and restart; nothing is lost.
import { parseArgs } from "node:util";
import { ConfigError, loadConfig, readEnvironment } from "../config.js";
import { withDatabase } from "../db/open.js";
import { createLogger } from "../logger.js";
import { copyObjects } from "../modules/files/copy-objects.js";
import { createLocalStorage, files } from "../modules/files/index.js";
import { createS3Storage } from "../modules/files/s3-storage.js";

function bar(done: number, total: number): string {
  const width = 30;
  const filled = total === 0 ? width : Math.round((done / total) * width);
  return `[${"#".repeat(filled)}${".".repeat(width - filled)}] ${done}/${total}`;
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { "create-bucket": { type: "boolean", default: false } } });
  const config = loadConfig(readEnvironment());
  const { s3 } = config.storage;
  if (!s3.bucket) {
    process.stderr.write(
      "Set S3_BUCKET (and S3_REGION, S3_ENDPOINT, credentials as needed) to the target bucket\n",
    );
    return 2;
  }
  const logger = createLogger({ ...config, logLevel: "warn" });
  const source = createLocalStorage({
    dir: config.storage.uploadDir,
    baseUrl: () => "",
    signingKey: Buffer.alloc(32),
  });
  const target = createS3Storage({ ...s3, bucket: s3.bucket });
  if (values["create-bucket"]) await target.ensureBucket();

  return withDatabase(config, logger, async (database) => {
    const rows = await database.db
      .select({
        key: files.storageKey,
        sha256: files.sha256,
        contentType: files.contentType,
        thumbnailKey: files.thumbnailKey,
      })
      .from(files);
    const items = rows.flatMap((row) => [
      { key: row.key, sha256: row.sha256, contentType: row.contentType },
      ...(row.thumbnailKey ? [{ key: row.thumbnailKey, contentType: "image/webp" }] : []),
    ]);
    process.stderr.write(
      `Copying ${items.length} objects from ${config.storage.uploadDir} to s3://${s3.bucket}\n`,
    );
    const interactive = process.stderr.isTTY;
    const result = await copyObjects(source, target, items, (done, total, key, outcome) => {
      if (interactive)
        process.stderr.write(`\r${bar(done, total)} ${outcome} ${key}`.padEnd(100).slice(0, 100));
      else if (done === total || done % 100 === 0) process.stderr.write(`${bar(done, total)}\n`);
    });
    if (interactive) process.stderr.write("\n");
    process.stdout.write(
      `Done: ${result.copied} copied, ${result.skipped} already there (verified). Set STORAGE_DRIVER=s3 and restart.\n`,
    );
    return 0;
  });
}

try {
  process.exitCode = await main();
} catch (error) {
  process.stderr.write(`\n${error instanceof ConfigError ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
