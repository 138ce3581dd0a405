import type { ApiRouter } from "../../http/api.js";
import { fileErrors } from "../files/index.js";
import { contractorErrors } from "./contractors.errors.js";
import {
  ownVerificationSchema,
  submitVerificationBody,
  verificationRequestSchema,
} from "./verification.contract.js";
import type { VerificationService } from "./verification.service.js";

/** The contractor's side of verification; admins decide through the admin module. */
export function verificationRoutes(verification: VerificationService) {
  return (api: ApiRouter) => {
    api.route({
      method: "post",
      path: "/contractors/me/verification",
      tags: ["Contractors"],
      summary: "Ask to be verified, with identity and licence documents",
      description:
        "Upload the documents first (`POST /files` with purpose `verification_document`); only you and admins can read them. The request stays `pending` until an admin decides; after a rejection a new request may be sent.",
      access: ["contractor"],
      body: submitVerificationBody,
      response: { status: 201, description: "The pending request", schema: verificationRequestSchema },
      errors: [
        contractorErrors.profileMissing,
        contractorErrors.verificationPending,
        contractorErrors.alreadyVerified,
        fileErrors.notFound,
        fileErrors.wrongPurpose,
        fileErrors.alreadyAttached,
      ],
      handler: ({ user, body }) => verification.submit(user.id, body),
    });

    api.route({
      method: "get",
      path: "/contractors/me/verification",
      tags: ["Contractors"],
      summary: "The contractor's verification status and requests",
      access: ["contractor"],
      response: { status: 200, description: "Status and requests", schema: ownVerificationSchema },
      errors: [contractorErrors.profileMissing],
      handler: ({ user }) => verification.own(user.id),
    });
  };
}
