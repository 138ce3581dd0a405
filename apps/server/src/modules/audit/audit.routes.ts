import type { ApiRouter } from "../../http/api.js";
import { coreErrors } from "../../http/errors.js";
import { auditPageSchema, auditQuery } from "./audit.contract.js";
import type { AuditService } from "./audit.service.js";

export function auditRoutes(audit: AuditService) {
  return (api: ApiRouter) => {
    api.route({
      method: "get",
      path: "/admin/audit-log",
      tags: ["Admin"],
      summary: "What admins changed, newest first, filtered by admin, action, record and time",
      description:
        "Every admin write is recorded in the same transaction as the write itself, with the changed fields before and after and the reason given. Entries are never edited or removed.",
      access: ["admin"],
      query: auditQuery,
      response: { status: 200, description: "A page of audit entries", schema: auditPageSchema },
      errors: [coreErrors.invalidCursor],
      examples: {
        response: {
          items: [
            {
              id: "019ad3c4-5e6f-7a81-9b2c-3d4e5f6a7b8c",
              actor: {
                id: "0192e6d1-1a2b-7c3d-8e4f-5a6b7c8d9e0f",
                name: "Administrator",
                email: "admin@jobsphere.example",
              },
              action: "user.suspend",
              targetType: "user",
              targetId: "0192e6d1-3f7a-7c45-8b12-9a0e4d6c2f18",
              before: { status: "active" },
              after: { status: "suspended" },
              reason: "Repeated no-shows reported by three customers",
              at: "2026-11-30T09:14:03.512Z",
            },
          ],
          nextCursor: null,
        },
      },
      handler: ({ query }) => audit.list(query),
    });
  };
}
