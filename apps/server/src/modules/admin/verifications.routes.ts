import type { ApiRouter } from "../../http/api.js";
import { coreErrors } from "../../http/errors.js";
import { pageSchema } from "../../http/pagination.js";
import {
  adminVerificationRequestSchema,
  decisionBody,
  listVerificationsQuery,
  verificationErrors,
  verificationRequestExample,
  verificationRequestParams,
} from "../contractors/index.js";
import type { AdminService } from "./admin.service.js";

/** The contractor's pending request as the queue shows it to admins. */
const queuedExample = {
  ...verificationRequestExample,
  contractor: {
    id: "0192e6d1-3f7a-7c45-8b12-9a0e4d6c2f18",
    name: "Tom Baker",
    email: "tom.baker@example.com",
  },
  decidedBy: null,
};

/** Admins work the verification queue; the rules live in the contractors service. */
export function verificationAdminRoutes(admin: AdminService) {
  return (api: ApiRouter) => {
    api.route({
      method: "get",
      path: "/admin/verifications",
      tags: ["Admin"],
      summary: "Verification requests: the pending queue oldest first, other lists newest first",
      description:
        "With `status=pending` the oldest request comes first, so the queue is worked in arrival order. With `approved`, `rejected` or no status, the newest comes first.",
      access: ["admin"],
      query: listVerificationsQuery,
      response: {
        status: 200,
        description: "A page of requests",
        schema: pageSchema(adminVerificationRequestSchema).meta({ id: "AdminVerificationRequestPage" }),
      },
      errors: [coreErrors.invalidCursor],
      examples: { response: { items: [queuedExample], nextCursor: null } },
      handler: ({ query }) => admin.listVerifications(query),
    });

    api.route({
      method: "post",
      path: "/admin/verifications/:id/decision",
      tags: ["Admin"],
      summary: "Approve or reject a pending verification request",
      description:
        "Approving marks the contractor verified; rejecting needs a `reason`, shown to the contractor, who may then send a new request. The decision is recorded in the audit log (`verification.approve` or `verification.reject`, target `verification_request`) with its reason.",
      access: ["admin"],
      params: verificationRequestParams,
      body: decisionBody,
      response: { status: 200, description: "The decided request", schema: adminVerificationRequestSchema },
      errors: [verificationErrors.notFound, verificationErrors.alreadyDecided],
      examples: {
        request: { decision: "approve" },
        response: {
          ...queuedExample,
          status: "approved",
          decidedAt: "2026-02-28T10:15:42.006Z",
          decidedBy: "0192c1aa-0b3d-7e21-a4f5-6c7d8e9f0a1b",
        },
      },
      handler: ({ user, params, body }) => admin.decideVerification(user.id, params.id, body),
    });
  };
}
