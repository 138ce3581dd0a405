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
      handler: ({ query }) => search.search(query),
    });
  };
}
