import { z } from "zod";
import type { FieldCode } from "../../http/field-codes.js";
import { moneySchema } from "../../http/money.js";
import { pageQuery, pageSchema } from "../../http/pagination.js";
import { isoInstant, queryBoolean } from "../../http/validation.js";
import { ratingSchema } from "./contractors.contract.js";

export const searchSorts = ["distance", "rating", "price"] as const;
export type SearchSort = (typeof searchSorts)[number];

const decimalPattern = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * Query strings are text. z.coerce would read a blank `lat=` as 0 (a real place) and accept `0x1f`; only a
 * decimal number is coerced here, anything else fails as "must be a number". The documented type stays
 * the number, with its bounds.
 */
function queryNumber(schema: z.ZodNumber) {
  return z.preprocess(
    (value) => (typeof value === "string" && decimalPattern.test(value.trim()) ? Number(value) : value),
    schema,
  );
}

const number = () =>
  z.number({ error: (issue) => (issue.code === "invalid_type" ? "must be a number" : undefined) });

export const contractorSearchQuery = pageQuery
  .extend({
    category: z
      .string()
      .trim()
      .toLowerCase()
      .min(1, "must not be empty")
      .max(50)
      .optional()
      .meta({ description: "Category slug (see GET /categories)" }),
    lat: queryNumber(number().min(-90, "must be at least -90").max(90, "must be at most 90"))
      .optional()
      .meta({ description: "Latitude of the place the work is needed; give lng with it" }),
    lng: queryNumber(number().min(-180, "must be at least -180").max(180, "must be at most 180"))
      .optional()
      .meta({ description: "Longitude of the place the work is needed; give lat with it" }),
    radiusKm: queryNumber(number().gt(0, "must be more than 0").max(500, "must be at most 500"))
      .optional()
      .meta({ description: "Only contractors based within this many km of lat/lng" }),
    q: z.string().trim().min(1, "must not be blank").max(100, "at most 100 characters").optional().meta({
      description: 'Words in the name, headline or bio; web-search syntax ("quoted phrase", -word, or)',
    }),
    minRating: queryNumber(number().min(0, "must be at least 0").max(5, "must be at most 5")).optional(),
    maxHourlyRate: queryNumber(
      number()
        .int("must be a whole number of minor units (cents)")
        .min(0, "must be at least 0")
        .max(100_000_000, "must be at most 100000000"),
    )
      .optional()
      .meta({
        description:
          "In minor units. With `currency`, compared within that currency; without it, against each contractor's own amount (a marketplace in one currency needs no more)",
      }),
    currency: moneySchema.shape.currency
      .optional()
      .meta({ description: "Only contractors charging in this currency (ISO 4217, e.g. gbp)" }),
    availableAt: isoInstant()
      .optional()
      .meta({ description: "Only contractors whose hours, in their own time zone, include this instant" }),
    verifiedOnly: queryBoolean().optional(),
    sort: z
      .enum(searchSorts, "must be distance, rating or price")
      .optional()
      .meta({ description: "Default: distance when lat/lng are given, else rating" }),
  })
  .superRefine((query, ctx) => {
    const needs = (present: unknown, missing: unknown, path: string, message: string, code: FieldCode) => {
      if (present !== undefined && missing === undefined)
        ctx.addIssue({ code: "custom", path: [path], message, params: { code } });
    };
    needs(query.lat, query.lng, "lng", "is required with lat", "required");
    needs(query.lng, query.lat, "lat", "is required with lng", "required");
    if (query.lat === undefined && query.lng === undefined) {
      needs(query.radiusKm, undefined, "radiusKm", "needs lat and lng", "needs_other_field");
      if (query.sort === "distance") {
        ctx.addIssue({
          code: "custom",
          path: ["sort"],
          message: "distance needs lat and lng",
          params: { code: "needs_other_field" },
        });
      }
    }
  });

export type ContractorSearchQuery = z.output<typeof contractorSearchQuery>;

export const contractorSearchResultSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    headline: z.string(),
    categorySlugs: z.array(z.string()),
    hourlyRate: moneySchema,
    rating: ratingSchema,
    distanceKm: z.number().nullable().meta({
      description:
        "Great-circle km from lat/lng to the centre of the contractor's service area as the public profile shows it (rounded to 0.01°, about 1 km), to 0.1; null without lat/lng",
    }),
    verified: z.boolean(),
    avatarUrl: z.string().nullable(),
  })
  .meta({ id: "ContractorSearchResult" });

export type ContractorSearchResult = z.infer<typeof contractorSearchResultSchema>;

export const contractorSearchPageSchema = pageSchema(contractorSearchResultSchema).meta({
  id: "ContractorSearchPage",
});
