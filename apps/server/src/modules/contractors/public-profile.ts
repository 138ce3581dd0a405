import { and, eq } from "drizzle-orm";
import { z } from "zod";
import type { Clock } from "../../clock.js";
import type { Database } from "../../db/client.js";
import type { ApiRouter } from "../../http/api.js";
import { AppError } from "../../http/errors.js";
import type { FilesService } from "../files/index.js";
import { users } from "../users/index.js";
import { summariseAvailability } from "./availability.js";
import { contractorProfileSchema } from "./contractors.contract.js";
import { contractorErrors } from "./contractors.errors.js";
import type { ContractorsService } from "./contractors.service.js";
import { listPortfolio, portfolioItemSchema } from "./portfolio.js";
import { publicCentre } from "./service-area.js";

/**
 * Decides whether a viewer may see a contractor's email and phone: only people with a booking between them
 * (the bookings module provides it; until then nobody does).
 */
export type ContactPolicy = (viewerId: string, contractorId: string) => Promise<boolean>;

const weeklySchema = contractorProfileSchema.shape.availability.unwrap().shape.weekly;

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
      description:
        "Centre rounded to 0.01° (about 1 km), so a contractor's home address is not exposed; search measures from this centre too",
    }),
    portfolio: z.array(portfolioItemSchema),
    availability: z
      .object({
        timezone: z.string(),
        availableNow: z.boolean(),
        nextAvailableAt: z.iso.datetime().nullable(),
        weekly: weeklySchema,
      })
      .nullable(),
    contact: z.object({ email: z.string(), phone: z.string().nullable() }).nullable(),
    memberSince: z.iso.datetime(),
  })
  .meta({ id: "PublicContractor" });

export function publicProfileRoutes(deps: {
  db: Database;
  clock: Clock;
  files: FilesService;
  contractors: ContractorsService;
  contactVisible: ContactPolicy;
}) {
  return (api: ApiRouter) => {
    api.route({
      method: "get",
      path: "/contractors/:id",
      tags: ["Contractors"],
      summary: "A contractor's public profile, with portfolio, rating and availability summary",
      description: "`contact` (email, phone) is shown only to people who have a booking with the contractor.",
      access: "public",
      params: z.object({ id: z.uuid("must be a contractor id") }),
      response: { status: 200, description: "The profile", schema: publicContractorSchema },
      errors: [contractorErrors.notFound],
      handler: async ({ params, user: viewer }) => {
        const [account] = await deps.db
          .select({ email: users.email, phone: users.phone, createdAt: users.createdAt })
          .from(users)
          .where(and(eq(users.id, params.id), eq(users.status, "active"), eq(users.role, "contractor")));
        const profile = account ? await deps.contractors.view(params.id) : undefined;
        if (!account || !profile) throw new AppError(contractorErrors.notFound, "No contractor with this id");
        const summary = profile.availability
          ? summariseAvailability(profile.availability, deps.clock.now())
          : undefined;
        const showContact =
          viewer !== undefined &&
          (viewer.id === params.id ||
            viewer.role === "admin" ||
            (await deps.contactVisible(viewer.id, params.id)));
        return {
          id: profile.id,
          name: profile.name,
          avatarUrl: profile.avatarUrl,
          headline: profile.headline,
          bio: profile.bio,
          categorySlugs: profile.categorySlugs,
          hourlyRate: profile.hourlyRate,
          serviceArea: { ...publicCentre(profile.serviceArea), radiusKm: profile.serviceArea.radiusKm },
          yearsExperience: profile.yearsExperience,
          verified: profile.verified,
          rating: profile.rating,
          portfolio: await listPortfolio(deps.db, params.id, deps.files),
          availability:
            profile.availability && summary ? { ...summary, weekly: profile.availability.weekly } : null,
          contact: showContact ? { email: account.email, phone: account.phone } : null,
          memberSince: account.createdAt.toISOString(),
        };
      },
    });
  };
}
