import { createHmac, timingSafeEqual } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, readdir, rename, rm, stat } from "node:fs/promises";
import { dirname, join, relative, resolve, sep } from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { encodeKey, type StorageDriver, StorageNotFoundError } from "./storage.js";

export interface LocalStorageOptions {
  /** Folder holding the objects (`UPLOAD_DIR`). */
  dir: string;
  /** Absolute base URL of this server, resolved when a URL is made (the port may be known only after listen). */
  baseUrl: () => string;
  /** Secret that signs private URLs. */
  signingKey: Buffer;
}

/** Path under which the app serves locally stored objects. */
export const localStoragePath = "/storage";

export interface SignedParams {
  expires: string;
  type: string;
  name: string | undefined;
  sig: string;
}

function signature(
  key: Buffer,
  objectKey: string,
  expires: string,
  type: string,
  name: string | undefined,
): string {
  return createHmac("sha256", key)
    .update([objectKey, expires, type, name ?? ""].join("\n"))
    .digest("base64url");
}

/** Objects as files under a folder; private ones are read through HMAC-signed, expiring app URLs. */
export function createLocalStorage(options: LocalStorageOptions): StorageDriver & {
  /** The file of a key, refusing keys that would leave the folder. */
  pathOf(key: string): string;
  /** True when the signed-URL parameters are authentic and not expired. */
  verify(key: string, params: SignedParams, now: Date): boolean;
} {
  const root = resolve(options.dir);
  const pathOf = (key: string) => {
    const path = resolve(root, key);
    if (!path.startsWith(root + sep)) throw new StorageNotFoundError(key);
    return path;
  };

  async function statOf(key: string): Promise<{ size: number } | undefined> {
    const info = await stat(pathOf(key)).catch(() => undefined);
    return info?.isFile() ? { size: info.size } : undefined;
  }

  async function* walk(folder: string): AsyncGenerator<{ key: string; size: number }> {
    const entries = await readdir(folder, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) yield* walk(path);
      else if (entry.isFile() && !entry.name.endsWith(".partial")) {
        yield { key: relative(root, path).split(sep).join("/"), size: (await stat(path)).size };
      }
    }
  }

  return {
    name: "local",
    pathOf,

    async put(key, body: Readable) {
      const path = pathOf(key);
      await mkdir(dirname(path), { recursive: true });
      // Written beside and renamed into place: a reader never sees half an object.
      const partial = `${path}.${process.pid}.partial`;
      try {
        await pipeline(body, createWriteStream(partial));
        await rename(partial, path);
      } catch (error) {
        await rm(partial, { force: true });
        throw error;
      }
    },

    async get(key) {
      const info = await statOf(key);
      if (!info) throw new StorageNotFoundError(key);
      return { body: createReadStream(pathOf(key)), size: info.size };
    },

    stat: statOf,

    async delete(key) {
      await rm(pathOf(key), { force: true });
    },

    list: () => walk(root),

    publicUrl: (key) => `${options.baseUrl()}${localStoragePath}/${encodeKey(key)}`,

    async signedUrl(key, { expiresAt, contentType, downloadName }) {
      const expires = String(Math.floor(expiresAt.getTime() / 1000));
      const query = new URLSearchParams({ expires, type: contentType });
      if (downloadName) query.set("name", downloadName);
      query.set("sig", signature(options.signingKey, key, expires, contentType, downloadName));
      return `${options.baseUrl()}${localStoragePath}/${encodeKey(key)}?${query}`;
    },

    verify(key, params, now) {
      if (!/^\d+$/.test(params.expires) || Number(params.expires) * 1000 <= now.getTime()) return false;
      const expected = Buffer.from(
        signature(options.signingKey, key, params.expires, params.type, params.name),
      );
      const given = Buffer.from(params.sig);
      return expected.length === given.length && timingSafeEqual(expected, given);
    },
  };
}
