import { z } from "zod";
import { orNull } from "../../http/validation.js";
import { contractorProfileSchema } from "./contractors.contract.js";
import { portfolioItemSchema } from "./portfolio.contract.js";

/**
 * Decides whether a viewer may see a contractor's email and phone: only people with a booking between them
 * (the bookings module provides it; until then nobody does).
 */
export type ContactPolicy = (viewerId: string, contractorId: string) => Promise<boolean>;

const weeklySchema = contractorProfileSchema.shape.availability.options[0].shape.weekly;

export const publicContractorSchema = contractorProfileSchema
  .pick({
    id: true,
    name: true,
    avatarUrl: true,
    headline: true,
    bio: true,
    categorySlugs: true,
    hourlyRate: true,
    yearsExperience: true,
    verified: true,
    rating: true,
  })
  .extend({
    serviceArea: z.object({ lat: z.number(), lng: z.number(), radiusKm: z.number() }).meta({
      id: "PublicServiceArea",
      description:
        "Centre rounded to 0.01° (about 1 km), so a contractor's home address is not exposed; search measures from this centre too",
    }),
    portfolio: z.array(portfolioItemSchema),
    availability: orNull(
      z
        .object({
          timezone: z.string(),
          availableNow: z.boolean(),
          nextAvailableAt: z.iso.datetime().nullable(),
          weekly: weeklySchema,
        })
        .meta({ id: "AvailabilitySummary" }),
    ),
    contact: orNull(
      z.object({ email: z.string(), phone: z.string().nullable() }).meta({ id: "ContractorContact" }),
    ),
    memberSince: z.iso.datetime(),
  })
  .meta({ id: "PublicContractor" });

export const publicProfileParams = z.object({ id: z.uuid("must be a contractor id") });

export type PublicContractor = z.infer<typeof publicContractorSchema>;
