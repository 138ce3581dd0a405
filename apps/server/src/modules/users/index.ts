export type { User } from "./users.contract.js";
export { nameSchema, phoneSchema, userSchema } from "./users.contract.js";
export { userErrors } from "./users.errors.js";
export { userDirectory } from "./users.read.js";
export { usersRoutes } from "./users.routes.js";
export {
  findUserByEmail,
  getUser,
  normaliseEmail,
  type PublicUrl,
  presentUser,
  selectUsers,
  type UserWithAvatar,
} from "./users.service.js";
export { type UserRow, users } from "./users.tables.js";
