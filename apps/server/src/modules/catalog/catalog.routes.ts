import type { ApiRouter } from "../../http/api.js";
import { categoryListSchema } from "./catalog.contract.js";
import type { CatalogService } from "./catalog.service.js";

export function catalogRoutes(catalog: CatalogService) {
  return (api: ApiRouter) => {
    api.route({
      method: "get",
      path: "/categories",
      tags: ["Catalog"],
      summary: "Service categories",
      access: "public",
      response: {
        status: 200,
        description: "Every active category, in display order",
        schema: categoryListSchema,
      },
      examples: {
        response: {
          items: [
            { slug: "electrician", name: "Electrician", description: "Wiring, lighting, fuse boards" },
            { slug: "plumber", name: "Plumber", description: "Leaks, pipes, boilers, bathrooms" },
          ],
        },
      },
      handler: async () => ({ items: await catalog.list() }),
    });
  };
}
