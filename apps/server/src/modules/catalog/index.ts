export { catalogRoutes, categorySchema } from "./catalog.routes.js";
export { type Category, listCategories, unknownCategories } from "./catalog.service.js";
export { categories } from "./catalog.tables.js";
