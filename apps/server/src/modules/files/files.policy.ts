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
  /** Content types accepted, as detected from the bytes. */
  types: readonly string[];
  /** Public files have stable URLs anyone may read; private ones are served through short-lived signed URLs. */
  visibility: "public" | "private";
  /** Longest side of a stored image, after re-encoding. */
  maxImageSide: number;
}

/** What each purpose accepts and how it is served; its size limit is a setting (`UploadLimits`). */
export const purposePolicies: Record<FilePurpose, PurposePolicy> = {
  avatar: { types: images, visibility: "public", maxImageSide: 1024 },
  portfolio: { types: images, visibility: "public", maxImageSide: 2560 },
  job_attachment: { types: [...images, ...pdf], visibility: "private", maxImageSide: 2560 },
  verification_document: { types: [...images, ...pdf], visibility: "private", maxImageSide: 3200 },
  chat_attachment: {
    types: [...images, ...pdf, ...office, ...audio],
    visibility: "private",
    maxImageSide: 2560,
  },
};

/** The largest file of each purpose, in bytes, from the settings in MB. */
export class UploadLimits {
  readonly bytes: Record<FilePurpose, number>;
  /** The largest of them: the ceiling while a body's purpose is not yet known. */
  readonly largest: number;

  constructor(readonly megabytes: Record<FilePurpose, number>) {
    this.bytes = Object.fromEntries(
      Object.entries(megabytes).map(([purpose, mb]) => [purpose, mb * MB]),
    ) as Record<FilePurpose, number>;
    this.largest = Math.max(...Object.values(this.bytes));
  }

  of(purpose: FilePurpose | undefined): number {
    return purpose ? this.bytes[purpose] : this.largest;
  }
}

export const thumbnailSide = 320;

export function isImage(contentType: string): boolean {
  return contentType.startsWith("image/");
}
