import type { ApiRouter } from "../../http/api.js";
import { fileErrors } from "../files/index.js";
import { contractorErrors } from "./contractors.errors.js";
import {
  ownVerificationSchema,
  submitVerificationBody,
  verificationRequestExample,
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
      examples: {
        request: {
          fileIds: verificationRequestExample.documents.map((document) => document.id),
          note: verificationRequestExample.note,
        },
        response: verificationRequestExample,
      },
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
      examples: {
        response: {
          status: "pending",
          requests: [
            verificationRequestExample,
            {
              ...verificationRequestExample,
              id: "0192d4b1-9c8d-7e6f-a5b4-c3d2e1f0a9b8",
              status: "rejected",
              note: null,
              documents: [],
              reason: "The licence photo is unreadable; please upload a clearer scan.",
              createdAt: "2026-02-20T12:05:17.230Z",
              decidedAt: "2026-02-21T09:31:02.118Z",
            },
          ],
        },
      },
      handler: ({ user }) => verification.own(user.id),
    });
  };
}
