import { createHash, randomUUID } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { Transform, type Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import busboy from "busboy";
import type { Request } from "express";
import { AppError, coreErrors } from "../../http/errors.js";
import { fileErrors } from "./files.errors.js";
import type { UploadLimits } from "./files.policy.js";
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

/** Room for the multipart framing, part headers and the purpose field around the file's own bytes. */
const multipartOverhead = 64 * 1024;

function parsePurpose(value: unknown): FilePurpose {
  if (typeof value === "string" && (filePurposes as readonly string[]).includes(value))
    return value as FilePurpose;
  throw new AppError(fileErrors.missingPart, `purpose must be one of ${filePurposes.join(", ")}`, {
    errors: [
      {
        path: "purpose",
        code: "invalid_value",
        message: `must be one of ${filePurposes.join(", ")}`,
        in: "body",
      },
    ],
  });
}

/** Printable, path-free, at most 200 characters: the name is only ever shown, never used to store. */
export function sanitiseName(name: string | undefined): string | undefined {
  if (!name) return undefined;
  const base = name.split(/[\\/]/).pop() ?? "";
  const clean = base
    .normalize("NFC")
    .replace(/[\p{Cc}\p{Cf}\p{Cs}"<>|*?:]/gu, "")
    .trim()
    .slice(-200);
  return clean.length > 0 ? clean : undefined;
}

/**
 * Streams a multipart upload (`purpose` and `file`, in either order, or `?purpose=`) to a temporary file,
 * enforcing the size limit while the bytes arrive: nothing is held whole in memory. A refusal is answered as
 * soon as it is known (at once when `Content-Length` already says too much), and a refused, malformed or
 * aborted upload leaves no temporary file behind; the error handler stops reading the rest of a refused body.
 */
export async function receiveUpload(
  req: Request,
  tmpDir: string,
  limits: UploadLimits,
): Promise<ReceivedFile> {
  if (!req.is("multipart/form-data")) {
    throw new AppError(
      fileErrors.notMultipart,
      "Send the file as multipart/form-data with the fields purpose and file",
    );
  }
  const fromQuery = req.query.purpose === undefined ? undefined : parsePurpose(req.query.purpose);
  const declared = Number(req.headers["content-length"]);
  const ceiling = limits.of(fromQuery);
  if (Number.isFinite(declared) && declared > ceiling + multipartOverhead) throw tooLarge(fromQuery, ceiling);

  let parser: busboy.Busboy;
  try {
    parser = busboy({
      headers: req.headers,
      // Browsers and phones send UTF-8 names in plain `filename=`; busboy would read them as Latin-1.
      defParamCharset: "utf8",
      limits: { files: 1, fields: 10, fieldSize: 1024, parts: 12 },
    });
  } catch (error) {
    throw new AppError(
      fileErrors.malformed,
      `The multipart body cannot be read: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  await mkdir(tmpDir, { recursive: true });
  const path = join(tmpDir, `${randomUUID()}.upload`);
  try {
    return await readForm(req, parser, path, fromQuery, limits);
  } catch (error) {
    await rm(path, { force: true });
    throw error;
  }
}

function readForm(
  req: Request,
  parser: busboy.Busboy,
  path: string,
  fromQuery: FilePurpose | undefined,
  limits: UploadLimits,
): Promise<ReceivedFile> {
  return new Promise((resolve, reject) => {
    let purpose = fromQuery;
    let file: { size: number; originalName: string | undefined } | undefined;
    let writing: Writable | undefined;
    let formRead = false;
    let settled = false;

    const onClose = () => {
      if (!req.complete) stop(new AppError(coreErrors.validation, "The upload ended before it was complete"));
    };
    const finish = () => {
      settled = true;
      req.off("close", onClose);
      req.unpipe(parser);
      parser.removeAllListeners("file");
      parser.removeAllListeners("field");
    };
    const stop = (error: unknown) => {
      if (settled) return;
      finish();
      const out = writing;
      if (!out || out.closed) {
        reject(error);
        return;
      }
      // The temporary file may still be opening (a client that left after a few bytes, on a busy machine):
      // the caller removes it once this rejects, so wait until the stream has closed, or the file is created
      // after its removal and stays behind.
      out.once("close", () => reject(error));
      out.destroy();
    };
    const complete = () => {
      if (settled || !formRead || writing) return;
      if (!file) {
        stop(
          new AppError(fileErrors.missingPart, "The upload has no part named file", {
            errors: [{ path: "file", code: "required", message: "is required", in: "body" }],
          }),
        );
      } else if (!purpose) {
        stop(
          new AppError(fileErrors.missingPart, "The upload has no purpose field (or ?purpose=)", {
            errors: [{ path: "purpose", code: "required", message: "is required", in: "body" }],
          }),
        );
      } else if (file.size > limits.of(purpose)) {
        stop(tooLarge(purpose, limits.of(purpose)));
      } else {
        finish();
        resolve({ purpose, path, ...file });
      }
    };

    parser.on("field", (name, value) => {
      if (name !== "purpose") return;
      try {
        purpose = parsePurpose(value);
      } catch (error) {
        stop(error);
      }
    });

    parser.on("file", (name, stream, info) => {
      if (name !== "file" || file || writing) {
        stream.resume();
        return;
      }
      // When the purpose comes first its own limit applies as the bytes arrive; when the file comes first,
      // the largest limit applies now and the purpose's own once the form is read.
      const limit = limits.of(purpose);
      const limitedPurpose = purpose;
      let size = 0;
      const counter = new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          size += chunk.length;
          if (size > limit) callback(tooLarge(limitedPurpose, limit));
          else callback(null, chunk);
        },
      });
      const out = createWriteStream(path);
      writing = out;
      pipeline(stream, counter, out).then(
        () => {
          writing = undefined;
          file = { size, originalName: sanitiseName(info.filename) };
          complete();
        },
        (error: unknown) => stop(error),
      );
    });

    parser.on("close", () => {
      formRead = true;
      complete();
    });
    parser.on("error", (error: unknown) =>
      stop(
        new AppError(
          fileErrors.malformed,
          `The multipart body is malformed: ${String((error as Error).message ?? error)}`,
        ),
      ),
    );
    // The client may have gone while the request waited (quota check, folder creation): its close is past.
    if (req.destroyed) {
      onClose();
      return;
    }
    req.on("close", onClose);
    req.pipe(parser);
  });
}

/** sha256 of a file, streamed. */
export async function sha256Of(stream: NodeJS.ReadableStream): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return hash.digest("hex");
}
