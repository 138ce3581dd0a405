import type { ApiRouter } from "../../http/api.js";
import { contractorErrors } from "./contractors.errors.js";
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
      handler: ({ params, user }) => publicProfiles.view(params.id, user),
    });
  };
}
