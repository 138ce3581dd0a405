export { createCatalogModule } from "./catalog.module.js";
export { type CatalogService, type Category, unknownCategories } from "./catalog.service.js";
