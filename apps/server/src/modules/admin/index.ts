export { type AdminModuleDeps, createAdminModule } from "./admin.module.js";
export { adminRoutes } from "./admin.routes.js";
export { type AdminService, createAdminService } from "./admin.service.js";
