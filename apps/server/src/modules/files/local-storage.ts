import { createHmac, randomUUID, timingSafeEqual } from "node:crypto";
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
/** The shape of every key the files module writes: `public/<id>.<ext>`, `private/<id>.thumb.webp`, … */
const storedKeyPattern = /^(public|private)\/[0-9a-f][0-9a-f-]*(\.[a-z0-9]+){1,2}$/;

/**
 * The key a request path names, or undefined when the path is anything but one plain key: each segment is
 * decoded once, and a segment that decodes to a dot segment, a separator, a NUL, a percent sign (double
 * encoding) or invalid UTF-8 (overlong forms) leaves the key unmatched. Visibility is never read from the
 * spelling of the path, only from the key it names.
 */
export function keyFromPath(rawPath: string): string | undefined {
  const segments = rawPath.replace(/^\//, "").split("/");
  const decoded: string[] = [];
  for (const segment of segments) {
    let value: string;
    try {
      value = decodeURIComponent(segment);
    } catch {
      return undefined;
    }
    if (/[/\\%\0]/.test(value) || value === "." || value === "..") return undefined;
    decoded.push(value);
  }
  const key = decoded.join("/");
  return storedKeyPattern.test(key) ? key : undefined;
}

export function createLocalStorage(options: LocalStorageOptions): StorageDriver & {
  /** The file of a key, refusing keys that would leave the folder. */
  pathOf(key: string): string;
  /**
   * Where a key really leads, and whether that place is public or private, judged from the resolved file
   * under the folder; undefined for keys that leave it or lead anywhere else.
   */
  locate(key: string): { path: string; visibility: "public" | "private" } | undefined;
  /** True when the signed-URL parameters are authentic and not expired. */
  verify(key: string, params: SignedParams, now: Date): boolean;
} {
  const root = resolve(options.dir);
  const pathOf = (key: string) => {
    const path = resolve(root, key);
    if (!path.startsWith(root + sep)) throw new StorageNotFoundError(key);
    return path;
  };

  const locate = (key: string): { path: string; visibility: "public" | "private" } | undefined => {
    let path: string;
    try {
      path = pathOf(key);
    } catch {
      return undefined;
    }
    const inside = relative(root, path).split(sep);
    // The key must resolve to itself: any normalisation on the way (dot segments, separators) is refused.
    if (inside.join("/") !== key) return undefined;
    const [visibility] = inside;
    return visibility === "public" || visibility === "private" ? { path, visibility } : undefined;
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
    locate,

    async put(key, body: Readable) {
      const path = pathOf(key);
      await mkdir(dirname(path), { recursive: true });
      // Written beside and renamed into place: a reader never sees half an object. Each write has a file of its
      // own, so writes of one key (from this process or another sharing the folder) never meet half-way, and
      // whichever renames last wins whole.
      const partial = `${path}.${randomUUID()}.partial`;
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
