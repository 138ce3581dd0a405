import type { ApiRouter } from "../../http/api.js";
import { coreErrors } from "../../http/errors.js";
import { contractorErrors } from "./contractors.errors.js";
import { contractorSearchPageSchema, contractorSearchQuery } from "./search.contract.js";
import type { SearchService } from "./search.service.js";

export function searchRoutes(search: SearchService) {
  return (api: ApiRouter) => {
    api.route({
      method: "get",
      path: "/contractors",
      tags: ["Contractors"],
      summary: "Search contractors by category, place, words, rating, price, verification and availability",
      description: [
        "Lists active contractors with a profile. With `lat`/`lng`, only contractors whose service area covers",
        "that point are listed, each with its great-circle `distanceKm`; `radiusKm` further limits them to those",
        "based within that distance. Coverage, `radiusKm`, `distanceKm` and the distance order are all measured",
        "from the service area's public centre (rounded to 0.01°, about 1 km, as on the public profile), never",
        "from the contractor's exact base. `maxHourlyRate` is compared within `currency` when it is given.",
        "`availableAt` keeps contractors whose hours in their own time zone include that instant (a dated",
        "exception replaces the weekly hours of its date). Every order ends with the id, so paging with",
        "`cursor` lists each match exactly once; a cursor only continues the sort it was issued for.",
      ].join(" "),
      access: "public",
      query: contractorSearchQuery,
      response: { status: 200, description: "A page of contractors", schema: contractorSearchPageSchema },
      errors: [contractorErrors.unknownCategory, coreErrors.invalidCursor],
      examples: {
        response: {
          items: [
            {
              id: "0192e6d1-3f7a-7c45-8b12-9a0e4d6c2f18",
              name: "Tom Baker",
              headline: "Certified electrician: rewiring, lighting and fuse boards",
              categorySlugs: ["electrician"],
              hourlyRate: { amount: 6500, currency: "gbp" },
              rating: { average: 4.8, count: 37 },
              distanceKm: 1.2,
              verified: true,
              avatarUrl:
                "https://api.jobsphere.example/storage/public/0192e6d2-88aa-7b31-9c04-5e6f7a8b9c0d.jpg",
            },
            {
              id: "0192d9c2-7e4f-7a18-9b2c-3d4e5f6a7b8c",
              name: "Priya Shah",
              headline: "Electrician and smart-home installer",
              categorySlugs: ["electrician", "handyman"],
              hourlyRate: { amount: 5500, currency: "gbp" },
              rating: { average: 4.6, count: 12 },
              distanceKm: 3.4,
              verified: false,
              avatarUrl: null,
            },
          ],
          nextCursor:
            "WyJxM0Zwa2VXN2JZc0lHVnV4bUZ6Yy1BIiwzLjQsIjAxOTJkOWMyLTdlNGYtN2ExOC05YjJjLTNkNGU1ZjZhN2I4YyJd",
        },
      },
      handler: ({ query }) => search.search(query),
    });
  };
}
