import type { ApiRouter } from "../../http/api.js";
import type { Module } from "../module.js";
import { adminRoutes } from "./admin.routes.js";
import { type AdminDeps, type AdminService, createAdminService } from "./admin.service.js";
import { oversightRoutes } from "./oversight.routes.js";
import { verificationAdminRoutes } from "./verifications.routes.js";

export type AdminModuleDeps = AdminDeps;

export function createAdminModule(deps: AdminModuleDeps): Module<AdminService> {
  const service = createAdminService(deps);
  return {
    name: "admin",
    service,
    routes(api: ApiRouter) {
      adminRoutes(service)(api);
      verificationAdminRoutes(service)(api);
      oversightRoutes(service, deps)(api);
    },
  };
}
