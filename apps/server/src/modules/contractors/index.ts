export {
  availabilityBody,
  availabilitySchema,
  isAvailableAt,
  summariseAvailability,
} from "./availability.js";
export { contractorErrors } from "./contractors.errors.js";
export { contractorProfileRoutes } from "./contractors.routes.js";
export { type ContractorsService, createContractorsService, hasProfile } from "./contractors.service.js";
export { contractorProfiles } from "./contractors.tables.js";
export { portfolioRoutes } from "./portfolio.js";
export { type ContactPolicy, publicProfileRoutes } from "./public-profile.js";
export { contractorSearchRoutes } from "./search.js";
export { verificationRoutes } from "./verification.js";
