export { categorySchema } from "./catalog.contract.js";
export { createCatalogModule } from "./catalog.module.js";
export { type CatalogService, type Category, listCategories, unknownCategories } from "./catalog.service.js";
