import type { ApiRouter } from "../../http/api.js";
import type { ContractorsService } from "../contractors/index.js";
import type { Module } from "../module.js";
import { adminRoutes } from "./admin.routes.js";
import { type AdminDeps, type AdminService, createAdminService } from "./admin.service.js";
import { verificationAdminRoutes } from "./verifications.routes.js";

export interface AdminModuleDeps extends AdminDeps {
  /** Verification decisions are the contractors module's rules; admin only exposes them. */
  contractors: ContractorsService;
}

export function createAdminModule(deps: AdminModuleDeps): Module<AdminService> {
  const service = createAdminService(deps);
  return {
    name: "admin",
    service,
    routes(api: ApiRouter) {
      adminRoutes(service)(api);
      verificationAdminRoutes(deps.contractors)(api);
    },
  };
}
