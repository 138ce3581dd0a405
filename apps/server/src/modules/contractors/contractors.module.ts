import type pg from "pg";
import type { Clock } from "../../clock.js";
import type { Database } from "../../db/client.js";
import type { ApiRouter } from "../../http/api.js";
import type { QueryBudget } from "../../http/query-budget.js";
import type { FilesService } from "../files/index.js";
import type { Module } from "../module.js";
import { contractorProfileRoutes } from "./contractors.routes.js";
import { createProfileService, eraseAccountData, type ProfileService } from "./contractors.service.js";
import { portfolioRoutes } from "./portfolio.routes.js";
import { createPortfolioService, type PortfolioService } from "./portfolio.service.js";
import type { ContactPolicy } from "./public-profile.contract.js";
import { publicProfileRoutes } from "./public-profile.routes.js";
import { createPublicProfileService, type PublicProfileService } from "./public-profile.service.js";
import { searchRoutes } from "./search.routes.js";
import { createSearchService, type SearchService } from "./search.service.js";
import { verificationRoutes } from "./verification.routes.js";
import { createVerificationService, type VerificationService } from "./verification.service.js";

export interface ContractorsDeps {
  db: Database;
  pool: pg.Pool;
  clock: Clock;
  files: FilesService;
  /** Who may see a contractor's email and phone besides themselves and admins (the bookings module's rule). */
  contactVisible?: ContactPolicy;
  /** Bounds how much of the pool searches, which anyone may send, can hold at once. */
  publicQueries?: QueryBudget;
}

/** One service per feature; the admin module reaches verification decisions through `verification`. */
export interface ContractorsService {
  profiles: ProfileService;
  portfolio: PortfolioService;
  verification: VerificationService;
  search: SearchService;
  publicProfiles: PublicProfileService;
  /** A deleted account's contractor and customer data, removed inside the deletion's transaction. */
  eraseAccount: typeof eraseAccountData;
}

export function createContractorsModule(deps: ContractorsDeps): Module<ContractorsService> {
  const { db, pool, clock, files } = deps;
  const profiles = createProfileService({ db, pool, clock, publicUrl: files.publicUrl });
  const portfolio = createPortfolioService({ db, pool, clock, files });
  const service: ContractorsService = {
    profiles,
    portfolio,
    verification: createVerificationService({ db, pool, clock, files }),
    search: createSearchService({ db, publicUrl: files.publicUrl, budget: deps.publicQueries }),
    publicProfiles: createPublicProfileService({
      db,
      clock,
      profileOf: profiles.view,
      portfolioOf: portfolio.list,
      // Contact details open up once a booking links the two; until bookings exist, nobody has one.
      contactVisible: deps.contactVisible ?? (async () => false),
    }),
    eraseAccount: eraseAccountData,
  };
  return {
    name: "contractors",
    service,
    routes(api: ApiRouter) {
      contractorProfileRoutes(service.profiles)(api);
      portfolioRoutes(service.portfolio)(api);
      verificationRoutes(service.verification)(api);
      searchRoutes(service.search)(api);
      publicProfileRoutes(service.publicProfiles)(api);
    },
  };
}
