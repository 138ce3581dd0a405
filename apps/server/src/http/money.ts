import { z } from "zod";

/** Money on the wire: integer minor units and a lower-case ISO 4217 code, e.g. `{ amount: 12500, currency: "usd" }`. */
export const moneySchema = z
  .object({
    amount: z.number().int("must be a whole number of minor units (cents)").min(0).max(100_000_000),
    currency: z
      .string()
      .trim()
      .toLowerCase()
      .regex(/^[a-z]{3}$/, "must be a 3-letter ISO 4217 code, e.g. usd"),
  })
  .meta({ id: "Money" });

export type Money = z.infer<typeof moneySchema>;
