import { createReadStream } from "node:fs";
import { rm, stat } from "node:fs/promises";
import { Readable } from "node:stream";
import { and, eq, inArray, isNull, lt } from "drizzle-orm";
import type { Request } from "express";
import { fileTypeFromFile } from "file-type";
import type pg from "pg";
import sharp from "sharp";
import type { Clock } from "../../clock.js";
import type { Config } from "../../config.js";
import type { Database, Executor } from "../../db/client.js";
import { newId } from "../../db/columns.js";
import type { AuthUser, Role } from "../../http/auth.js";
import { AppError, coreErrors } from "../../http/errors.js";
import { createLimiter } from "../../http/rate-limit.js";
import { article } from "../../http/validation.js";
import type { Logger } from "../../logger.js";
import { fileErrors } from "./files.errors.js";
import { isImage, purposePolicies, thumbnailSide, UploadLimits } from "./files.policy.js";
import { type FilePurpose, type FileRow, files } from "./files.tables.js";
import type { StorageDriver } from "./storage.js";
import { receiveUpload, sha256Of } from "./upload.js";
import { createWorkQueue } from "./work-queue.js";

const heifTypes = new Set(["image/heic", "image/heif", "image/heic-sequence", "image/heif-sequence"]);

export interface FileView {
  id: string;
  purpose: FilePurpose;
  contentType: string;
  size: number;
  url: string;
  /** Public files: stable. Private files: signed, valid until this instant. */
  urlExpiresAt: string | null;
  thumbnailUrl: string | null;
  width: number | null;
  height: number | null;
  originalName: string | null;
  createdAt: string;
}

/**
 * Decides whether someone other than the owner may read a private file, by what the file is attached to
 * (e.g. the chat module lets both participants of a conversation read its attachments).
 */
export type ReadRule = (reader: AuthUser, attachedId: string) => Promise<boolean>;

export interface FilesDeps {
  db: Database;
  storage: StorageDriver;
  clock: Clock;
  logger: Logger;
  /** Temporary folder for uploads being received and processed. */
  tmpDir: string;
  signedUrlTtlSeconds: number;
  /** Rate-limit counters live in PostgreSQL. */
  pool: pg.Pool;
  uploads: Config["uploads"];
}

const extensions: Record<string, string> = {
  "image/jpeg": "jpg",
  "image/png": "png",
  "image/webp": "webp",
  "application/pdf": "pdf",
};

function extensionOf(contentType: string, detectedExt: string): string {
  return extensions[contentType] ?? detectedExt;
}

export function createFilesService(deps: FilesDeps) {
  const { db, storage, clock } = deps;
  const readRules = new Map<string, ReadRule>();
  const uploadsPerUser = createLimiter(deps.pool, {
    name: "upload_user",
    points: deps.uploads.perUserPerHour,
    windowSeconds: 60 * 60,
  });
  const imageWork = createWorkQueue(deps.uploads.imageConcurrency);
  const { maxImagePixels } = deps.uploads;
  const limits = new UploadLimits(deps.uploads.maxMegabytes);

  async function urlOf(
    key: string,
    row: FileRow,
    now: Date,
  ): Promise<{ url: string; expiresAt: Date | null }> {
    if (purposePolicies[row.purpose].visibility === "public")
      return { url: storage.publicUrl(key), expiresAt: null };
    const expiresAt = new Date(now.getTime() + deps.signedUrlTtlSeconds * 1000);
    const contentType = key === row.thumbnailKey ? "image/webp" : row.contentType;
    const url = await storage.signedUrl(key, {
      expiresAt,
      contentType,
      downloadName: row.originalName ?? undefined,
    });
    return { url, expiresAt };
  }

  async function canRead(reader: AuthUser, row: FileRow): Promise<boolean> {
    if (row.ownerId === reader.id || reader.role === ("admin" satisfies Role)) return true;
    if (purposePolicies[row.purpose].visibility === "public") return true;
    if (!row.attachedKind || !row.attachedId) return false;
    const rule = readRules.get(row.attachedKind);
    return rule ? rule(reader, row.attachedId) : false;
  }

  async function present(row: FileRow): Promise<FileView> {
    const now = clock.now();
    const main = await urlOf(row.storageKey, row, now);
    const thumbnail = row.thumbnailKey ? await urlOf(row.thumbnailKey, row, now) : undefined;
    return {
      id: row.id,
      purpose: row.purpose,
      contentType: row.contentType,
      size: row.size,
      url: main.url,
      urlExpiresAt: main.expiresAt?.toISOString() ?? null,
      thumbnailUrl: thumbnail?.url ?? null,
      width: row.width,
      height: row.height,
      originalName: row.originalName,
      createdAt: row.createdAt.toISOString(),
    };
  }

  /** Re-encodes an image (orientation applied, metadata and GPS dropped, size capped) and makes a thumbnail. */
  /**
   * `clientGone` is asked when the image's turn comes: a client that left while its upload waited for a turn
   * gets nothing for it, so its image is not decoded and encoded for no one.
   */
  async function processImage(
    source: string,
    contentType: string,
    maxSide: number,
    clientGone: () => boolean,
  ) {
    // The header alone gives the dimensions: a small file claiming a huge image (a decompression bomb) is
    // refused before any pixel is decoded, and before it waits for a turn at the image work.
    // No pixel limit on this read, or sharp's own default would answer for huge images first.
    const { width = 0, height = 0 } = await sharp(source, { limitInputPixels: false }).metadata();
    if (width * height > maxImagePixels) {
      throw new AppError(
        fileErrors.tooManyPixels,
        `A ${width}×${height} image has ${width * height} pixels; at most ${maxImagePixels} are accepted`,
      );
    }
    return imageWork.run(async () => {
      if (clientGone())
        throw new AppError(coreErrors.validation, "The client left before its upload was processed");
      return encodeImage(source, contentType, maxSide);
    });
  }

  async function encodeImage(source: string, contentType: string, maxSide: number) {
    const output = `${source}.out`;
    const thumbnail = `${source}.thumb`;
    const base = sharp(source, { failOn: "error", limitInputPixels: maxImagePixels }).rotate();
    const resized = base
      .clone()
      .resize({ width: maxSide, height: maxSide, fit: "inside", withoutEnlargement: true });
    // AVIF is slow to encode and poorly supported by older phones: stored images are JPEG, PNG or WebP.
    const encoded =
      contentType === "image/jpeg"
        ? resized.jpeg({ quality: 85, mozjpeg: true })
        : contentType === "image/png"
          ? resized.png({ compressionLevel: 9 })
          : resized.webp({ quality: 85 });
    const info = await encoded.toFile(output);
    await base
      .clone()
      .resize({ width: thumbnailSide, height: thumbnailSide, fit: "inside", withoutEnlargement: true })
      .webp({ quality: 75 })
      .toFile(thumbnail);
    const storedType =
      contentType === "image/jpeg" || contentType === "image/png" ? contentType : "image/webp";
    return { output, thumbnail, width: info.width, height: info.height, contentType: storedType };
  }

  return {
    present,

    /**
     * The files linked to things, presented (fresh URLs) and grouped by thing, each group in the order of
     * `links`; the rows are read in one query, and a link whose file is gone is left out.
     */
    async presentLinked(
      executor: Executor,
      links: readonly { to: string; fileId: string }[],
    ): Promise<Map<string, FileView[]>> {
      if (links.length === 0) return new Map();
      const rows = await executor
        .select()
        .from(files)
        .where(inArray(files.id, [...new Set(links.map((link) => link.fileId))]));
      const views = new Map(
        await Promise.all(rows.map(async (row) => [row.id, await present(row)] as const)),
      );
      const grouped = new Map<string, FileView[]>();
      for (const link of links) {
        const view = views.get(link.fileId);
        if (!view) continue;
        const group = grouped.get(link.to);
        if (group) group.push(view);
        else grouped.set(link.to, [view]);
      }
      return grouped;
    },

    /** The largest file of each purpose, in MB, as configured. */
    uploadLimits: limits.megabytes,

    /** How busy the image work is (running, waiting, the most at once), for operations and tests. */
    imageWork: imageWork.stats,

    /** Lets a module grant read access to private files attached to its things. */
    addReadRule(kind: string, rule: ReadRule): void {
      readRules.set(kind, rule);
    },

    /** Public URL of a public file's stored object, for presenting avatars and portfolio images inline. */
    publicUrl(key: string): string {
      return storage.publicUrl(key);
    },

    async upload(req: Request, owner: AuthUser): Promise<FileView> {
      // Charged before a byte is read: every attempt costs bandwidth, disk and CPU, refused ones too. A refusal
      // stops the body being read in the error handler, as for any error answered before its body was read.
      await uploadsPerUser.consume(owner.id);
      const received = await receiveUpload(req, deps.tmpDir, limits);
      const cleanup: string[] = [received.path];
      try {
        const policy = purposePolicies[received.purpose];
        const detected = await fileTypeFromFile(received.path);
        // HEIC is HEVC-coded, and sharp's prebuilt libvips ships no HEVC decoder (`sharp.format.heif` reads
        // AVIF only): the iPhone's default photo format gets a reason the app can act on, not a generic 415.
        if (detected && heifTypes.has(detected.mime) && !policy.types.includes(detected.mime)) {
          throw new AppError(
            fileErrors.heicUnsupported,
            "HEIC/HEIF photos cannot be read here; send JPEG (Flutter's image_picker converts when given imageQuality, e.g. 90)",
          );
        }
        if (!detected || !policy.types.includes(detected.mime)) {
          throw new AppError(
            fileErrors.unsupportedType,
            `${detected ? `A ${detected.mime} file` : "A file of unknown type"} cannot be a ${received.purpose}; accepted: ${policy.types.join(", ")}`,
          );
        }
        const id = newId();
        let stored = { path: received.path, contentType: detected.mime, ext: detected.ext };
        let image: { thumbnail: string; width: number; height: number } | undefined;
        if (isImage(detected.mime)) {
          try {
            const processed = await processImage(
              received.path,
              detected.mime,
              policy.maxImageSide,
              () => req.socket.destroyed,
            );
            cleanup.push(processed.output, processed.thumbnail);
            stored = {
              path: processed.output,
              contentType: processed.contentType,
              ext: extensionOf(processed.contentType, detected.ext),
            };
            image = processed;
          } catch (error) {
            if (error instanceof AppError) throw error;
            throw new AppError(fileErrors.unsupportedType, "The image could not be read; it may be damaged", {
              cause: error,
            });
          }
        }
        const size = (await stat(stored.path)).size;
        const sha256 = await sha256Of(createReadStream(stored.path));
        const key = `${policy.visibility}/${id}.${stored.ext}`;
        const thumbnailKey = image ? `${policy.visibility}/${id}.thumb.webp` : null;
        await storage.put(key, createReadStream(stored.path), { contentType: stored.contentType, size });
        if (image && thumbnailKey) {
          const thumbSize = (await stat(image.thumbnail)).size;
          await storage.put(thumbnailKey, createReadStream(image.thumbnail), {
            contentType: "image/webp",
            size: thumbSize,
          });
        }
        try {
          const [row] = await db
            .insert(files)
            .values({
              id,
              ownerId: owner.id,
              purpose: received.purpose,
              storageKey: key,
              thumbnailKey,
              contentType: stored.contentType,
              size,
              sha256,
              width: image?.width ?? null,
              height: image?.height ?? null,
              originalName: received.originalName ?? null,
              createdAt: clock.now(),
            })
            .returning();
          if (!row) throw new Error("insert returned no file");
          return await present(row);
        } catch (error) {
          await storage.delete(key);
          if (thumbnailKey) await storage.delete(thumbnailKey);
          throw error;
        }
      } finally {
        await Promise.all(cleanup.map((path) => rm(path, { force: true })));
      }
    },

    /**
     * Stores bytes the server itself provides (demo data) as a file of `ownerId`, its row written inside the
     * caller's transaction. No content sniffing or image processing: the caller vouches for the type.
     */
    async storeProvided(
      tx: Executor,
      input: {
        ownerId: string;
        purpose: FilePurpose;
        bytes: Buffer;
        name: string;
        contentType: string;
        ext: string;
      },
    ): Promise<FileRow> {
      const id = newId();
      const key = `${purposePolicies[input.purpose].visibility}/${id}.${input.ext}`;
      await storage.put(key, Readable.from([input.bytes]), {
        contentType: input.contentType,
        size: input.bytes.length,
      });
      const [row] = await tx
        .insert(files)
        .values({
          id,
          ownerId: input.ownerId,
          purpose: input.purpose,
          storageKey: key,
          contentType: input.contentType,
          size: input.bytes.length,
          sha256: await sha256Of(Readable.from([input.bytes])),
          originalName: input.name,
          createdAt: clock.now(),
        })
        .returning();
      if (!row) throw new Error("insert returned no file");
      return row;
    },

    /** Metadata with a fresh URL, for the owner, admins, anyone for public files, and whom read rules allow. */
    async get(reader: AuthUser, id: string): Promise<FileView> {
      const [row] = await db.select().from(files).where(eq(files.id, id));
      if (!row || !(await canRead(reader, row)))
        throw new AppError(fileErrors.notFound, "No file with this id");
      return present(row);
    },

    canRead,

    /**
     * Attaches uploaded files to a thing, inside the caller's transaction. Each file must exist, belong to
     * `ownerId`, have one of `purposes`, and not be attached to anything else (already attached to this very
     * thing is fine). `field` names the request field for error messages.
     */
    async attach(
      tx: Executor,
      input: {
        ownerId: string;
        fileIds: string[];
        purposes: FilePurpose[];
        kind: string;
        targetId: string;
        field: string;
      },
    ): Promise<FileRow[]> {
      if (input.fileIds.length === 0) return [];
      const rows = await tx.select().from(files).where(inArray(files.id, input.fileIds)).for("update");
      const byId = new Map(rows.map((row) => [row.id, row]));
      for (const [index, fileId] of input.fileIds.entries()) {
        const row = byId.get(fileId);
        const path = `${input.field}.${index}`;
        if (!row || row.ownerId !== input.ownerId) {
          throw new AppError(fileErrors.notFound, `No file ${fileId} of yours`, {
            errors: [{ path, code: "not_found", message: "is not a file you uploaded", in: "body" }],
          });
        }
        if (!input.purposes.includes(row.purpose)) {
          throw new AppError(
            fileErrors.wrongPurpose,
            `File ${fileId} was uploaded as ${row.purpose}; upload it as ${input.purposes.join(" or ")}`,
            {
              errors: [
                {
                  path,
                  code: "invalid_value",
                  message: `must be ${article(input.purposes.join(" or "))} file`,
                  in: "body",
                },
              ],
            },
          );
        }
        if (row.attachedKind && !(row.attachedKind === input.kind && row.attachedId === input.targetId)) {
          throw new AppError(
            fileErrors.alreadyAttached,
            `File ${fileId} is already used elsewhere; upload it again`,
            {
              errors: [{ path, code: "in_use", message: "is already used elsewhere", in: "body" }],
            },
          );
        }
      }
      return tx
        .update(files)
        .set({ attachedKind: input.kind, attachedId: input.targetId, attachedAt: clock.now() })
        .where(inArray(files.id, input.fileIds))
        .returning();
    },

    /** Releases the files of a thing (replaced avatar, deleted portfolio item); unattached files are purged later. */
    async detach(tx: Executor, kind: string, targetId: string, keep: string[] = []): Promise<void> {
      const attached = await tx
        .select({ id: files.id })
        .from(files)
        .where(and(eq(files.attachedKind, kind), eq(files.attachedId, targetId)));
      const release = attached.map((row) => row.id).filter((id) => !keep.includes(id));
      if (release.length === 0) return;
      await tx
        .update(files)
        .set({ attachedKind: null, attachedId: null, attachedAt: null })
        .where(inArray(files.id, release));
    },

    /**
     * A deleted account's files: their rows go inside the caller's transaction (whatever still references one
     * must have let go first, or its foreign key fails the deletion); the returned function removes the stored
     * objects, to be called once that transaction has committed.
     */
    async eraseOwner(tx: Executor, ownerId: string): Promise<() => Promise<void>> {
      const removed = await tx
        .delete(files)
        .where(eq(files.ownerId, ownerId))
        .returning({ storageKey: files.storageKey, thumbnailKey: files.thumbnailKey });
      return async () => {
        for (const key of removed.flatMap((row) => [row.storageKey, row.thumbnailKey ?? []].flat())) {
          await storage.delete(key).catch((error: unknown) => {
            deps.logger.warn(
              { err: error, key },
              "a deleted account's file could not be removed from storage",
            );
          });
        }
      };
    },

    /** Deletes files nobody attached within `olderThanMs` (abandoned uploads, replaced avatars). */
    async purgeUnattached(olderThanMs: number): Promise<number> {
      const cutoff = new Date(clock.now().getTime() - olderThanMs);
      const stale = await db
        .select()
        .from(files)
        .where(and(isNull(files.attachedAt), lt(files.createdAt, cutoff)))
        .limit(500);
      let removed = 0;
      for (const row of stale) {
        try {
          // The row goes first: a file a user still references (an avatar) is protected by its foreign key.
          await db.delete(files).where(and(eq(files.id, row.id), isNull(files.attachedAt)));
        } catch (error) {
          deps.logger.warn({ err: error, fileId: row.id }, "unattached file is still referenced; kept");
          continue;
        }
        await storage.delete(row.storageKey);
        if (row.thumbnailKey) await storage.delete(row.thumbnailKey);
        removed += 1;
      }
      return removed;
    },
  };
}

export type FilesService = ReturnType<typeof createFilesService>;
