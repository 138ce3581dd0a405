export {
  type Availability,
  availabilityBody,
  availabilitySchema,
  isAvailableAt,
  summariseAvailability,
} from "./availability.js";
export type { ContractorProfile } from "./contractors.contract.js";
export { type DemoContractorProfile, seedDemoContractor, seedDemoCustomer } from "./contractors.demo.js";
export { contractorErrors, verificationErrors } from "./contractors.errors.js";
export {
  type ContractorsDeps,
  type ContractorsService,
  createContractorsModule,
} from "./contractors.module.js";
export { hasProfile } from "./contractors.service.js";
export type { PortfolioItem } from "./portfolio.contract.js";
export type { ContactPolicy, PublicContractor } from "./public-profile.contract.js";
export type { ContractorSearchQuery, ContractorSearchResult } from "./search.contract.js";
export {
  type AdminVerificationRequest,
  adminVerificationRequestSchema,
  decisionBody,
  listVerificationsQuery,
  type VerificationDecision,
  verificationRequestParams,
} from "./verification.contract.js";
