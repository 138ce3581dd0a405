export { type AdminModuleDeps, createAdminModule } from "./admin.module.js";
export type { AdminService } from "./admin.service.js";
