import { z } from "zod";
import { filePurposes } from "./files.tables.js";

export const fileSchema = z
  .object({
    id: z.uuid(),
    purpose: z.enum(filePurposes),
    contentType: z.string().meta({ description: "Detected from the bytes, not taken from the client" }),
    size: z.number().int(),
    url: z
      .string()
      .meta({ description: "Stable for avatar and portfolio files; signed and short-lived otherwise" }),
    urlExpiresAt: z.iso.datetime().nullable(),
    thumbnailUrl: z.string().nullable().meta({ description: "320 px WebP preview of images" }),
    width: z.number().int().nullable(),
    height: z.number().int().nullable(),
    originalName: z.string().nullable(),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: "File" });

export const uploadForm = z
  .object({
    purpose: z.enum(filePurposes).meta({
      description: "Before or after the file part (or as ?purpose=); before lets the size limit apply sooner",
    }),
    file: z.string().meta({ format: "binary" }),
  })
  .meta({ id: "FileUpload" });

export const fileIdParams = z.object({ id: z.uuid("must be a file id") });
