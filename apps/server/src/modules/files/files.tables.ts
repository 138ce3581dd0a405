import { sql } from "drizzle-orm";
import {
  bigint,
  check,
  index,
  integer,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import { createdAt, id } from "../../db/columns.js";

export const filePurposes = [
  "avatar",
  "portfolio",
  "job_attachment",
  "chat_attachment",
  "verification_document",
] as const;
export type FilePurpose = (typeof filePurposes)[number];

export const files = pgTable(
  "files",
  {
    id: id(),
    // References users(id): the constraint `files_owner_id_users_id_fk` lives in migration 0002 and stays.
    // It is not declared here because users.avatar_file_id references this table, and the two table files
    // would import each other; the files module sits below users, so this side leaves the declaration out.
    ownerId: uuid().notNull(),
    purpose: text({ enum: filePurposes }).notNull(),
    /** Where the bytes are in the storage driver: `public/…` or `private/…`. */
    storageKey: text().notNull(),
    thumbnailKey: text(),
    contentType: text().notNull(),
    size: bigint({ mode: "number" }).notNull(),
    /** Of the stored bytes (after images are re-encoded); checked when objects move between drivers. */
    sha256: text().notNull(),
    width: integer(),
    height: integer(),
    /** The name the uploader's device gave it, sanitised; shown to people, never used as a path. */
    originalName: text(),
    createdAt: createdAt(),
    /** What the file belongs to (`user_avatar`, `portfolio_item`, `message`, …); unattached files expire. */
    attachedKind: text(),
    attachedId: uuid(),
    attachedAt: timestamp({ withTimezone: true }),
  },
  (table) => [
    uniqueIndex("files_storage_key").on(table.storageKey),
    index("files_owner").on(table.ownerId),
    index("files_attached").on(table.attachedKind, table.attachedId),
    index("files_unattached").on(table.createdAt).where(sql`${table.attachedAt} is null`),
    check(
      "files_purpose",
      sql`${table.purpose} in ('avatar', 'portfolio', 'job_attachment', 'chat_attachment', 'verification_document')`,
    ),
    check("files_size", sql`${table.size} >= 0`),
    check(
      "files_attachment_complete",
      sql`(${table.attachedKind} is null) = (${table.attachedId} is null) and (${table.attachedKind} is null) = (${table.attachedAt} is null)`,
    ),
  ],
);

export type FileRow = typeof files.$inferSelect;
