import type { Module } from "../module.js";
import { usersRoutes } from "./users.routes.js";
import { createUsersService, type UsersDeps, type UsersService } from "./users.service.js";

export function createUsersModule(deps: UsersDeps): Module<UsersService> {
  const service = createUsersService(deps);
  return { name: "users", service, routes: usersRoutes(service) };
}
