// `npm run storage:migrate [-- --create-bucket]`: copies every stored file from the local UPLOAD_DIR to the
// configured S3 bucket, verifying each copy's sha256. Safe to interrupt and run again: objects already copied
// are skipped. Afterwards set STORAGE_DRIVER=s3 and restart; nothing is lost.
import { guardInterrupts } from "./interrupt.js";

const guard = guardInterrupts();

const { parseArgs } = await import("node:util");
const { ConfigError, loadConfig, readEnvironment } = await import("../config.js");
const { withDatabase } = await import("../db/open.js");
const { createLogger } = await import("../logger.js");
const { copyObjects, createLocalStorage, createS3Storage, storedObjects } = await import(
  "../modules/files/index.js"
);

/** The target bucket does not exist: say how to create it rather than show the SDK's error alone. */
function missingBucket(error: unknown): boolean {
  return error instanceof Error && error.name === "NoSuchBucket";
}

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

  return withDatabase(
    config,
    logger,
    async (database) => {
      const items = await storedObjects(database.db);
      process.stderr.write(
        `Copying ${items.length} objects from ${config.storage.uploadDir} to s3://${s3.bucket}\n`,
      );
      const interactive = process.stderr.isTTY;
      const result = { copied: 0, skipped: 0 };
      const missing: string[] = [];
      for (const [index, item] of items.entries()) {
        const done = index + 1;
        let outcome: string;
        // One file missing from UPLOAD_DIR (deleted by hand, a lost disk) must not stop the others.
        if (!(await source.stat(item.key))) {
          missing.push(item.key);
          outcome = "missing";
          if (!interactive) process.stderr.write(`missing in ${config.storage.uploadDir}: ${item.key}\n`);
        } else {
          const one = await copyObjects(source, target, [item]).catch((error: unknown) => {
            if (missingBucket(error)) {
              throw new Error(
                `The bucket ${s3.bucket} does not exist; run again with --create-bucket to create it (npm run storage:migrate -- --create-bucket)`,
                { cause: error },
              );
            }
            throw error;
          });
          result.copied += one.copied;
          result.skipped += one.skipped;
          outcome = one.copied ? "copied" : "skipped";
        }
        if (interactive)
          process.stderr.write(
            `\r${bar(done, items.length)} ${outcome} ${item.key}`.padEnd(100).slice(0, 100),
          );
        else if (done === items.length || done % 100 === 0)
          process.stderr.write(`${bar(done, items.length)}\n`);
      }
      if (interactive) process.stderr.write("\n");
      if (missing.length > 0) {
        process.stderr.write(
          `${missing.length} file(s) missing in ${config.storage.uploadDir}, not copied:\n${missing.map((key) => `  ${key}\n`).join("")}`,
        );
      }
      process.stdout.write(
        `Done: ${result.copied} copied, ${result.skipped} already there (verified)${missing.length ? `, ${missing.length} missing` : ""}. ${missing.length ? "Restore or remove the missing files, then set" : "Set"} STORAGE_DRIVER=s3 and restart.\n`,
      );
      return missing.length > 0 ? 1 : 0;
    },
    guard,
  );
}

try {
  process.exitCode = await main();
} catch (error) {
  process.stderr.write(`\n${error instanceof ConfigError ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
