import { eq } from "drizzle-orm";
import { QueryBuilder } from "drizzle-orm/pg-core";
import { fileKeys } from "../files/index.js";
import { users } from "./users.tables.js";

/**
 * Read-only: the user columns other modules may join on to show a person (name, contact, avatar key) or to
 * keep suspended accounts and other roles out. A subquery, so joins never reach the table itself and
 * writes go through the users service.
 */
export const userDirectory = new QueryBuilder({ casing: "snake_case" })
  .select({
    id: users.id,
    name: users.name,
    email: users.email,
    phone: users.phone,
    role: users.role,
    status: users.status,
    emailVerifiedAt: users.emailVerifiedAt,
    createdAt: users.createdAt,
    avatarKey: fileKeys.storageKey,
  })
  .from(users)
  .leftJoin(fileKeys, eq(fileKeys.id, users.avatarFileId))
  .as("user_directory");
