import { createHash, randomUUID } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import busboy from "busboy";
import type { Request } from "express";
import { AppError } from "../../http/errors.js";
import { fileErrors } from "./files.errors.js";
import { largestUpload, purposePolicies } from "./files.policy.js";
import { type FilePurpose, filePurposes } from "./files.tables.js";

export interface ReceivedFile {
  purpose: FilePurpose;
  /** Temporary file holding the upload exactly as sent. */
  path: string;
  size: number;
  originalName: string | undefined;
}

function tooLarge(purpose: FilePurpose | undefined, limit: number): AppError {
  const megabytes = Math.floor(limit / 1024 / 1024);
  return new AppError(
    fileErrors.tooLarge,
    purpose ? `A ${purpose} file may be at most ${megabytes} MB` : `A file may be at most ${megabytes} MB`,
  );
}

/** Bytes still accepted from a client after its upload was refused, before the connection is cut. */
const drainAllowance = 64 * 1024 * 1024;

function parsePurpose(value: unknown): FilePurpose {
  if (typeof value === "string" && (filePurposes as readonly string[]).includes(value))
    return value as FilePurpose;
  throw new AppError(fileErrors.missingPart, `purpose must be one of ${filePurposes.join(", ")}`, {
    errors: [{ path: "purpose", message: `must be one of ${filePurposes.join(", ")}`, in: "body" }],
  });
}

/** Printable, path-free, at most 200 characters: the name is only ever shown, never used to store. */
export function sanitiseName(name: string | undefined): string | undefined {
  if (!name) return undefined;
  const base = name.split(/[\\/]/).pop() ?? "";
  const clean = base
    .normalize("NFC")
    .replace(/[\p{Cc}\p{Cf}"<>|*?:]/gu, "")
    .trim()
    .slice(-200);
  return clean.length > 0 ? clean : undefined;
}

/**
 * Streams a multipart upload (`purpose` and `file`, in either order, or `?purpose=`) to a temporary file,
 * enforcing the size limit while the bytes arrive: nothing is held whole in memory, and an oversized upload
 * leaves nothing behind.
 */
export async function receiveUpload(req: Request, tmpDir: string): Promise<ReceivedFile> {
  if (!req.is("multipart/form-data")) {
    throw new AppError(
      fileErrors.notMultipart,
      "Send the file as multipart/form-data with the fields purpose and file",
    );
  }
  await mkdir(tmpDir, { recursive: true });
  const path = join(tmpDir, `${randomUUID()}.upload`);
  let purpose: FilePurpose | undefined =
    req.query.purpose === undefined ? undefined : parsePurpose(req.query.purpose);
  let received: { size: number; originalName: string | undefined } | undefined;
  let failure: unknown;
  let writing: Promise<void> | undefined;

  const parser = busboy({
    headers: req.headers,
    limits: { files: 1, fields: 10, fieldSize: 1024, parts: 12 },
  });

  parser.on("field", (name, value) => {
    if (name === "purpose" && !failure) {
      try {
        purpose = parsePurpose(value);
      } catch (error) {
        failure = error;
      }
    }
  });

  parser.on("file", (name, stream, info) => {
    if (name !== "file" || failure || received || writing) {
      stream.resume();
      return;
    }
    // Usually the purpose came first and its own limit applies as the bytes arrive; when the file comes
    // first, the largest limit applies now and the purpose's own is checked once the form is read.
    const limitFor = (chosen: FilePurpose | undefined) =>
      chosen ? purposePolicies[chosen].maxBytes : largestUpload;
    const limit = limitFor(purpose);
    let size = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        size += chunk.length;
        if (size > limit) callback(tooLarge(purpose, limit));
        else callback(null, chunk);
      },
    });
    writing = pipeline(stream, counter, createWriteStream(path)).then(
      () => {
        received = { size, originalName: sanitiseName(info.filename) };
      },
      (error: unknown) => {
        failure ??= error;
        // Keep reading (and discarding) so the client gets our answer rather than a broken pipe.
        stream.resume();
      },
    );
  });

  const finished = new Promise<void>((resolveFinished, reject) => {
    parser.on("close", () => resolveFinished());
    parser.on("error", (error: unknown) =>
      reject(
        new AppError(
          fileErrors.missingPart,
          `The multipart body is malformed: ${String((error as Error).message ?? error)}`,
        ),
      ),
    );
  });

  let drained = 0;
  const guard = (chunk: Buffer) => {
    if (!failure) return;
    drained += chunk.length;
    if (drained > drainAllowance) req.destroy();
  };
  req.on("data", guard);
  req.pipe(parser);
  try {
    await finished;
    await writing;
  } catch (error) {
    failure ??= error;
  } finally {
    req.off("data", guard);
  }
  if (!failure && received && !purpose) {
    failure = new AppError(fileErrors.missingPart, "The upload has no purpose field (or ?purpose=)", {
      errors: [{ path: "purpose", message: "is required", in: "body" }],
    });
  }
  if (!failure && received && purpose && received.size > purposePolicies[purpose].maxBytes) {
    failure = tooLarge(purpose, purposePolicies[purpose].maxBytes);
  }
  if (failure || !received || !purpose) {
    await rm(path, { force: true });
    throw (
      failure ??
      new AppError(fileErrors.missingPart, "The upload has no part named file", {
        errors: [{ path: "file", message: "is required", in: "body" }],
      })
    );
  }
  return { purpose, path, ...received };
}

/** sha256 of a file, streamed. */
export async function sha256Of(stream: NodeJS.ReadableStream): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return hash.digest("hex");
}
