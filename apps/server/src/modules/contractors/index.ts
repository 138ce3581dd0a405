export type { Availability } from "./availability.js";
/** For bookings: a requested time must fall in the contractor's availability, or the nearest ranges are named. */
export { availableRanges, isAvailableAt } from "./availability.js";
export type { ContractorProfile } from "./contractors.contract.js";
export {
  type DemoContractorProfile,
  seedDemoContractor,
  seedDemoCustomer,
  seedDemoVerificationRequest,
} from "./contractors.demo.js";
export { contractorErrors, verificationErrors } from "./contractors.errors.js";
export {
  type ContractorsDeps,
  type ContractorsService,
  createContractorsModule,
} from "./contractors.module.js";
/** @public For bookings: a contractor without a profile cannot be booked. */
export { hasProfile, setRating } from "./contractors.service.js";
export {
  type Coverage,
  coverageOf,
  coversSql,
  distanceFromCentreSql,
  roundedPoint,
} from "./coverage.read.js";
export type { PortfolioItem } from "./portfolio.contract.js";
export type { ContactPolicy, PublicContractor } from "./public-profile.contract.js";
export type { ContractorSearchQuery, ContractorSearchResult } from "./search.contract.js";
export {
  type AdminVerificationRequest,
  adminVerificationRequestSchema,
  decisionBody,
  listVerificationsQuery,
  type VerificationDecision,
  verificationRequestExample,
  verificationRequestParams,
} from "./verification.contract.js";
export type { VerificationDecided, VerificationListener } from "./verification.service.js";
