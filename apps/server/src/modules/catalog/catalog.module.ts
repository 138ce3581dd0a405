import type { Module } from "../module.js";
import { catalogRoutes } from "./catalog.routes.js";
import { type CatalogDeps, type CatalogService, createCatalogService } from "./catalog.service.js";

export function createCatalogModule(deps: CatalogDeps): Module<CatalogService> {
  const service = createCatalogService(deps);
  return { name: "catalog", service, routes: catalogRoutes(service) };
}
