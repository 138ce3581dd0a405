export type { User } from "./users.contract.js";
export { nameSchema, phoneSchema, userSchema } from "./users.contract.js";
export { userErrors } from "./users.errors.js";
export { userDirectory } from "./users.read.js";
export { usersRoutes } from "./users.routes.js";
export {
  findUserByEmail,
  getUser,
  hasUsers,
  insertUser,
  listUsers,
  type NewUser,
  normaliseEmail,
  type PublicUrl,
  presentUser,
  selectUsers,
  type UserChanges,
  type UserWithAvatar,
  updateUser,
} from "./users.service.js";
export type { UserRow } from "./users.tables.js";
