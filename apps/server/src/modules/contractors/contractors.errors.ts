import { defineErrors } from "../../http/errors.js";

export const contractorErrors = defineErrors({
  profileMissing: {
    code: "contractor.profile_missing",
    status: 409,
    title: "Create the contractor profile first (PUT /contractors/me/profile)",
  },
  notFound: { code: "contractor.not_found", status: 404, title: "No such contractor" },
  unknownCategory: { code: "catalog.unknown_category", status: 400, title: "No such service category" },
  portfolioItemNotFound: { code: "portfolio.not_found", status: 404, title: "No such portfolio item" },
  verificationPending: {
    code: "verification.already_pending",
    status: 409,
    title: "A verification request is already waiting for a decision",
  },
  alreadyVerified: {
    code: "verification.already_verified",
    status: 409,
    title: "This contractor is already verified",
  },
});

export const verificationErrors = defineErrors({
  notFound: { code: "verification.not_found", status: 404, title: "No such verification request" },
  alreadyDecided: {
    code: "verification.already_decided",
    status: 409,
    title: "This verification request has already been decided",
  },
});
