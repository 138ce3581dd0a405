import { z } from "zod";
import type { Database } from "../../db/client.js";
import type { ApiRouter } from "../../http/api.js";
import { listCategories } from "./catalog.service.js";

export const categorySchema = z
  .object({ slug: z.string(), name: z.string(), description: z.string() })
  .meta({ id: "Category" });

export function catalogRoutes(db: Database) {
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
        schema: z.object({ items: z.array(categorySchema) }).meta({ id: "CategoryList" }),
      },
      handler: async () => ({ items: await listCategories(db) }),
    });
  };
}
