import type { FilePurpose } from "./files.tables.js";

const MB = 1024 * 1024;

const images = ["image/jpeg", "image/png", "image/webp", "image/avif"] as const;
const pdf = ["application/pdf"] as const;
const office = [
  "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
  "application/vnd.openxmlformats-officedocument.presentationml.presentation",
  "application/vnd.oasis.opendocument.text",
  "application/vnd.oasis.opendocument.spreadsheet",
  "application/rtf",
] as const;
const audio = [
  "audio/mpeg",
  "audio/mp4",
  "audio/x-m4a",
  "audio/aac",
  "audio/ogg",
  "audio/opus",
  "audio/wav",
  "audio/webm",
] as const;

export interface PurposePolicy {
  maxBytes: number;
  /** Content types accepted, as detected from the bytes. */
  types: readonly string[];
  /** Public files have stable URLs anyone may read; private ones are served through short-lived signed URLs. */
  visibility: "public" | "private";
  /** Longest side of a stored image, after re-encoding. */
  maxImageSide: number;
}

export const purposePolicies: Record<FilePurpose, PurposePolicy> = {
  avatar: { maxBytes: 5 * MB, types: images, visibility: "public", maxImageSide: 1024 },
  portfolio: { maxBytes: 10 * MB, types: images, visibility: "public", maxImageSide: 2560 },
  job_attachment: {
    maxBytes: 20 * MB,
    types: [...images, ...pdf],
    visibility: "private",
    maxImageSide: 2560,
  },
  verification_document: {
    maxBytes: 20 * MB,
    types: [...images, ...pdf],
    visibility: "private",
    maxImageSide: 3200,
  },
  chat_attachment: {
    maxBytes: 25 * MB,
    types: [...images, ...pdf, ...office, ...audio],
    visibility: "private",
    maxImageSide: 2560,
  },
};

export const largestUpload = Math.max(...Object.values(purposePolicies).map((policy) => policy.maxBytes));

export const thumbnailSide = 320;

export function isImage(contentType: string): boolean {
  return contentType.startsWith("image/");
}
