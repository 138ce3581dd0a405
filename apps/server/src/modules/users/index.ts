export type { User } from "./users.contract.js";
export { nameSchema, phoneSchema, userExample, userSchema } from "./users.contract.js";
export { userErrors } from "./users.errors.js";
export { createUsersModule } from "./users.module.js";
export { userDirectory } from "./users.read.js";
export {
  type AccountDeletionHook,
  findUserByEmail,
  getUser,
  hasUsers,
  insertUser,
  likePattern,
  listUsers,
  type NewUser,
  normaliseEmail,
  type PublicUrl,
  presentUser,
  type UserChanges,
  type UsersService,
  type UserWithAvatar,
  updateUser,
  userCounts,
} from "./users.service.js";
export type { UserRow } from "./users.tables.js";
