import type { ApiRouter } from "../../http/api.js";
import { userErrors } from "../users/index.js";
import { availabilityBody, availabilityExample, availabilitySchema } from "./availability.js";
import {
  contractorProfileExample,
  contractorProfileSchema,
  customerProfileBody,
  customerProfileSchema,
  profileBody,
} from "./contractors.contract.js";
import { contractorErrors } from "./contractors.errors.js";
import type { ProfileService } from "./contractors.service.js";

const customerProfileExample = {
  defaultAddress: "14 Elm Grove, London N7 8QP",
  location: { lat: 51.5532, lng: -0.1167 },
};

export function contractorProfileRoutes(service: ProfileService) {
  return (api: ApiRouter) => {
    api.route({
      method: "put",
      path: "/contractors/me/profile",
      tags: ["Contractors"],
      summary: "Create or replace the contractor's profile",
      description:
        "The profile appears in search once it exists (and the account is active). `verified` is set only by an admin's decision on a verification request.",
      access: ["contractor"],
      body: profileBody,
      response: { status: 200, description: "The saved profile", schema: contractorProfileSchema },
      errors: [contractorErrors.unknownCategory],
      examples: {
        request: {
          headline: contractorProfileExample.headline,
          bio: contractorProfileExample.bio,
          categorySlugs: contractorProfileExample.categorySlugs,
          hourlyRate: contractorProfileExample.hourlyRate,
          serviceArea: contractorProfileExample.serviceArea,
          yearsExperience: contractorProfileExample.yearsExperience,
        },
        response: contractorProfileExample,
      },
      handler: ({ user, body }) => service.saveProfile(user.id, body),
    });

    api.route({
      method: "get",
      path: "/contractors/me/profile",
      tags: ["Contractors"],
      summary: "The contractor's own profile",
      access: ["contractor"],
      response: { status: 200, description: "The profile", schema: contractorProfileSchema },
      errors: [contractorErrors.profileMissing],
      examples: { response: contractorProfileExample },
      handler: ({ user }) => service.ownProfile(user.id),
    });

    api.route({
      method: "put",
      path: "/contractors/me/availability",
      tags: ["Contractors"],
      summary: "Replace the contractor's weekly hours and dated exceptions",
      description:
        "Times are wall-clock times in `timezone` (an IANA name such as Europe/London), so they stay right across daylight-saving changes. Several ranges per day are allowed but may not overlap; an exception replaces the weekly hours of its date (`available: false` is a day off).",
      access: ["contractor"],
      body: availabilityBody,
      response: { status: 200, description: "The saved availability", schema: availabilitySchema },
      errors: [contractorErrors.profileMissing],
      examples: { request: availabilityExample, response: availabilityExample },
      handler: ({ user, body }) => service.saveAvailability(user.id, body),
    });

    api.route({
      method: "get",
      path: "/contractors/me/availability",
      tags: ["Contractors"],
      summary: "The contractor's availability",
      access: ["contractor"],
      response: { status: 200, description: "The availability", schema: availabilitySchema },
      errors: [contractorErrors.profileMissing],
      examples: { response: availabilityExample },
      handler: ({ user }) => service.ownAvailability(user.id),
    });

    api.route({
      method: "get",
      path: "/customers/me/profile",
      tags: ["Account"],
      summary: "The customer's default address and location",
      access: ["customer"],
      response: { status: 200, description: "The customer profile", schema: customerProfileSchema },
      examples: { response: customerProfileExample },
      handler: ({ user }) => service.customerProfile(user.id),
    });

    api.route({
      method: "put",
      path: "/customers/me/profile",
      tags: ["Account"],
      summary: "Set the customer's default address and location (used to prefill searches and jobs)",
      access: ["customer"],
      body: customerProfileBody,
      response: { status: 200, description: "The customer profile", schema: customerProfileSchema },
      errors: [userErrors.notFound],
      examples: { request: customerProfileExample, response: customerProfileExample },
      handler: ({ user, body }) => service.saveCustomerProfile(user.id, body),
    });
  };
}
