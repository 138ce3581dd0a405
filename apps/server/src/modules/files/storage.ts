import type { Readable } from "node:stream";

/** One stored object, as a driver lists it. */
export interface StoredObject {
  key: string;
  size: number;
}

/**
 * Where file bytes live. Keys are opaque, slash-separated paths chosen by the files module
 * (`public/…` for avatars and portfolio images, `private/…` for everything else).
 */
export interface StorageDriver {
  readonly name: "local" | "s3";
  /** Stores `body` under `key`, streaming it; replaces an existing object. */
  put(key: string, body: Readable, options: { contentType: string; size: number }): Promise<void>;
  /** Streams an object; throws `StorageNotFoundError` if there is none. */
  get(key: string): Promise<{ body: Readable; size: number }>;
  /** Size of the object, or undefined if there is none. */
  stat(key: string): Promise<{ size: number } | undefined>;
  /** Deletes an object; deleting a missing one is not an error. */
  delete(key: string): Promise<void>;
  /** Every object, in no particular order. */
  list(): AsyncIterable<StoredObject>;
  /** Stable URL of a public object (`public/…` keys). */
  publicUrl(key: string): string;
  /** A URL that reads a private object until `expiresAt`. */
  signedUrl(
    key: string,
    options: { expiresAt: Date; contentType: string; downloadName?: string | undefined },
  ): Promise<string>;
}

export class StorageNotFoundError extends Error {
  override name = "StorageNotFoundError";
  constructor(readonly key: string) {
    super(`no stored object ${key}`);
  }
}

/**
 * A key as a URL path: each segment percent-encoded, the slashes kept. Every driver's URLs spell keys this
 * way, so a key reads back the same however it is served.
 */
export function encodeKey(key: string): string {
  return key.split("/").map(encodeURIComponent).join("/");
}
