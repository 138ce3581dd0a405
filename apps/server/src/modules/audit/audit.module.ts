import type { Module } from "../module.js";
import { auditRoutes } from "./audit.routes.js";
import { type AuditDeps, type AuditService, createAuditService } from "./audit.service.js";

/** The admin audit log: other modules record their admin writes through the service; admins read it. */
export function createAuditModule(deps: AuditDeps): Module<AuditService> {
  const service = createAuditService(deps);
  return { name: "audit", service, routes: auditRoutes(service) };
}
