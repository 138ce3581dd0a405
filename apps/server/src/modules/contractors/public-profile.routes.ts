import type { ApiRouter } from "../../http/api.js";
import { availabilityExample } from "./availability.js";
import { contractorProfileExample } from "./contractors.contract.js";
import { contractorErrors } from "./contractors.errors.js";
import { portfolioItemExample } from "./portfolio.contract.js";
import { publicContractorSchema, publicProfileParams } from "./public-profile.contract.js";
import type { PublicProfileService } from "./public-profile.service.js";

export function publicProfileRoutes(publicProfiles: PublicProfileService) {
  return (api: ApiRouter) => {
    api.route({
      method: "get",
      path: "/contractors/:id",
      tags: ["Contractors"],
      summary: "A contractor's public profile, with portfolio, rating and availability summary",
      description: "`contact` (email, phone) is shown only to people who have a booking with the contractor.",
      access: "optional",
      params: publicProfileParams,
      response: { status: 200, description: "The profile", schema: publicContractorSchema },
      errors: [contractorErrors.notFound],
      examples: {
        response: {
          id: contractorProfileExample.id,
          name: contractorProfileExample.name,
          avatarUrl: contractorProfileExample.avatarUrl,
          headline: contractorProfileExample.headline,
          bio: contractorProfileExample.bio,
          categorySlugs: contractorProfileExample.categorySlugs,
          hourlyRate: contractorProfileExample.hourlyRate,
          yearsExperience: contractorProfileExample.yearsExperience,
          verified: contractorProfileExample.verified,
          rating: contractorProfileExample.rating,
          serviceArea: { lat: 51.55, lng: -0.1, radiusKm: 15 },
          portfolio: [portfolioItemExample],
          availability: {
            timezone: availabilityExample.timezone,
            availableNow: false,
            nextAvailableAt: "2026-03-03T08:00:00.000Z",
            weekly: availabilityExample.weekly,
          },
          contact: null,
          memberSince: contractorProfileExample.createdAt,
        },
      },
      handler: ({ params, user }) => publicProfiles.view(params.id, user),
    });
  };
}
