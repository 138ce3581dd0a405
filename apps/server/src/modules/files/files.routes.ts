import { create as contentDisposition } from "content-disposition";
import express, { type Router } from "express";
import type { Clock } from "../../clock.js";
import type { ApiRouter } from "../../http/api.js";
import { AppError, coreErrors } from "../../http/errors.js";
import { fileIdParams, fileSchema, uploadForm } from "./files.contract.js";
import { fileErrors } from "./files.errors.js";
import type { FilesService } from "./files.service.js";
import { type createLocalStorage, keyFromPath } from "./local-storage.js";

/** An avatar as the upload answers it (public: its URL is stable). */
const avatarExample = {
  id: "0192f3b0-1d2e-7f3a-9b4c-5d6e7f8a9b0c",
  purpose: "avatar",
  contentType: "image/jpeg",
  size: 184_332,
  url: "https://api.jobsphere.example/storage/public/0192f3b0-1d2e-7f3a-9b4c-5d6e7f8a9b0c.jpg",
  urlExpiresAt: null,
  thumbnailUrl:
    "https://api.jobsphere.example/storage/public/0192f3b0-1d2e-7f3a-9b4c-5d6e7f8a9b0c.thumb.webp",
  width: 1024,
  height: 1024,
  originalName: "IMG_2041.jpg",
  createdAt: "2026-03-02T09:20:05.318Z",
} as const;

export function filesRoutes(service: FilesService) {
  return (api: ApiRouter) => {
    api.route({
      method: "post",
      path: "/files",
      tags: ["Files"],
      summary: "Upload a file",
      description: [
        "multipart/form-data with `purpose` and `file` (either order). The type is decided from the bytes. Limits on",
        `this server: avatar ${service.uploadLimits.avatar} MB and portfolio ${service.uploadLimits.portfolio} MB (JPEG,`,
        `PNG, WebP, AVIF); job_attachment ${service.uploadLimits.job_attachment} MB and verification_document`,
        `${service.uploadLimits.verification_document} MB (those images or PDF); chat_attachment`,
        `${service.uploadLimits.chat_attachment} MB (images, PDF, office documents, audio). Images are re-encoded without their`,
        "metadata (GPS included), their longest side capped, and get a thumbnail. A file not attached to anything",
        "within 24 hours is deleted. Images over the configured pixel count (40 megapixels by default) are refused",
        "with 422 `file.too_many_pixels`; each user may start a limited number of uploads per hour (100 by",
        "default), beyond which 429 with `Retry-After`. A refused upload is answered at once and the connection",
        "closed.",
      ].join(" "),
      access: "user",
      multipart: uploadForm,
      response: { status: 201, description: "The stored file", schema: fileSchema },
      errors: [
        fileErrors.missingPart,
        fileErrors.malformed,
        fileErrors.notMultipart,
        fileErrors.tooLarge,
        fileErrors.unsupportedType,
        fileErrors.heicUnsupported,
        fileErrors.tooManyPixels,
        coreErrors.rateLimited,
      ],
      examples: { response: avatarExample },
      handler: ({ req, user }) => service.upload(req, user),
    });

    api.route({
      method: "get",
      path: "/files/:id",
      tags: ["Files"],
      summary: "A file's metadata with a fresh URL",
      description:
        "Answered to the owner, admins, anyone for public files, and the people the file's context allows.",
      access: "user",
      params: fileIdParams,
      response: { status: 200, description: "The file", schema: fileSchema },
      errors: [fileErrors.notFound],
      examples: {
        response: {
          id: "0192e8ef-6b7c-7d8e-af01-23456789abcd",
          purpose: "verification_document",
          contentType: "application/pdf",
          size: 402_118,
          url: "https://api.jobsphere.example/storage/private/0192e8ef-6b7c-7d8e-af01-23456789abcd.pdf?expires=1772443500&type=application%2Fpdf&name=electrical-licence.pdf&sig=Hq4b9VwZc2Lr7NtXe1KsJ0yPm5DfG8aQ3uTo6iBn_Rw",
          urlExpiresAt: "2026-03-02T09:25:00.000Z",
          thumbnailUrl: null,
          width: null,
          height: null,
          originalName: "electrical-licence.pdf",
          createdAt: "2026-02-27T16:41:12.904Z",
        },
      },
      handler: ({ params, user }) => service.get(user, params.id),
    });
  };
}

/**
 * Serves objects of the local driver: public ones to anyone, private ones only through a valid signed URL.
 * The key comes from the raw path, checked segment by segment, and its visibility from where it resolves on
 * disk: no spelling of a path reaches a private object without its signature.
 */
export function localStorageRouter(storage: ReturnType<typeof createLocalStorage>, clock: Clock): Router {
  const router = express.Router();
  // Middleware rather than a `/{*key}` route: the router would decode the path itself, and answer 500 for
  // invalid percent-encodings, before this code could judge them.
  router.use((req, res, next) => {
    if (req.method !== "GET" && req.method !== "HEAD") {
      next();
      return;
    }
    const key = keyFromPath(req.path);
    const found = key === undefined ? undefined : storage.locate(key);
    if (key === undefined || !found) {
      next(new AppError(fileErrors.notFound, "No such file"));
      return;
    }
    const query = req.query as Record<string, unknown>;
    const text = (name: string) => (typeof query[name] === "string" ? (query[name] as string) : undefined);
    // Given to sendFile rather than set at once, so a missing object's 404 carries none of them (a CDN
    // must not cache a 404 for a year).
    const headers: Record<string, string> = { "X-Content-Type-Options": "nosniff" };
    if (found.visibility === "private") {
      const params = {
        expires: text("expires") ?? "",
        type: text("type") ?? "",
        name: text("name"),
        sig: text("sig") ?? "",
      };
      if (!storage.verify(key, params, clock.now())) {
        next(
          new AppError(
            fileErrors.linkInvalid,
            "This link is invalid or has expired; ask the API for a fresh one",
          ),
        );
        return;
      }
      headers["Cache-Control"] = "private, no-store";
      headers["Content-Type"] = params.type;
      if (params.name) headers["Content-Disposition"] = contentDisposition(params.name);
    } else {
      headers["Cache-Control"] = "public, max-age=31536000, immutable";
    }
    res.sendFile(found.path, { dotfiles: "deny", headers }, (error) => {
      if (error && !res.headersSent) next(new AppError(fileErrors.notFound, "No such file"));
    });
  });
  return router;
}
