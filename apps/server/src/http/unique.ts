import type { z } from "zod";

/**
 * A list of ids or slugs that must not name the same thing twice (`message` says what, e.g. "must not
 * repeat a file"): a repeat is a client's mistake, caught here rather than by a unique constraint as a 500.
 */
export function withoutRepeats<Schema extends z.ZodArray<z.ZodType>>(
  schema: Schema,
  message: string,
): Schema {
  return schema.refine((items) => new Set(items).size === items.length, {
    message,
    params: { code: "not_unique" },
  });
}
