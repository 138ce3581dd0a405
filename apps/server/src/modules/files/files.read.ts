import { QueryBuilder } from "drizzle-orm/pg-core";
import type { Executor } from "../../db/client.js";
import { files } from "./files.tables.js";

/** Read-only: where each file's bytes are, for modules that show a public file (an avatar) by its key. */
export const fileKeys = new QueryBuilder({ casing: "snake_case" })
  .select({ id: files.id, storageKey: files.storageKey })
  .from(files)
  .as("file_keys");

/** Every object the files table refers to (originals and thumbnails), for copying storage elsewhere. */
export async function storedObjects(
  db: Executor,
): Promise<{ key: string; sha256?: string; contentType: string }[]> {
  const rows = await db
    .select({
      key: files.storageKey,
      sha256: files.sha256,
      contentType: files.contentType,
      thumbnailKey: files.thumbnailKey,
    })
    .from(files);
  return rows.flatMap((row) => [
    { key: row.key, sha256: row.sha256, contentType: row.contentType },
    ...(row.thumbnailKey ? [{ key: row.thumbnailKey, contentType: "image/webp" }] : []),
  ]);
}
