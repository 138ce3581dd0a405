import { z } from "zod";

export const categorySchema = z
  .object({ slug: z.string(), name: z.string(), description: z.string() })
  .meta({ id: "Category" });

export const categoryListSchema = z.object({ items: z.array(categorySchema) }).meta({ id: "CategoryList" });
