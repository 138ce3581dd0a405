import type { ApiRouter } from "../../http/api.js";
import { coreErrors } from "../../http/errors.js";
import { userErrors, userExample, userSchema } from "../users/index.js";
import { adminUpdateUserBody, listUsersQuery, userIdParams, userPageSchema } from "./admin.contract.js";
import { adminErrors } from "./admin.errors.js";
import type { AdminService } from "./admin.service.js";

export function adminRoutes(admin: AdminService) {
  return (api: ApiRouter) => {
    api.route({
      method: "get",
      path: "/admin/users",
      tags: ["Admin"],
      summary: "Users, newest first, filtered by role, status or a part of the name or email",
      description:
        'Deleted accounts (`status=deleted`) keep their row so records others rely on still point somewhere; they show as "Deleted user" with no phone, avatar or real email address.',
      access: ["admin"],
      query: listUsersQuery,
      response: { status: 200, description: "A page of users", schema: userPageSchema },
      errors: [coreErrors.invalidCursor],
      examples: {
        response: {
          items: [
            userExample,
            {
              id: "0192e6d1-3f7a-7c45-8b12-9a0e4d6c2f18",
              email: "tom.baker@example.com",
              name: "Tom Baker",
              role: "contractor",
              phone: "+447700900123",
              avatarUrl:
                "https://api.jobsphere.example/storage/public/0192e6d2-88aa-7b31-9c04-5e6f7a8b9c0d.jpg",
              emailVerified: true,
              status: "active",
              createdAt: "2026-01-12T10:01:58.730Z",
            },
          ],
          nextCursor:
            "WyJTb1UzZHZKVTdDRmhRYk1WR0p4V3JBIiwiMDE5MmU2ZDEtM2Y3YS03YzQ1LThiMTItOWEwZTRkNmMyZjE4Il0",
        },
      },
      handler: ({ query }) => admin.listUsers(query),
    });

    api.route({
      method: "get",
      path: "/admin/users/:id",
      tags: ["Admin"],
      summary: "One user (a deleted account shows anonymised)",
      access: ["admin"],
      params: userIdParams,
      response: { status: 200, description: "The user", schema: userSchema },
      errors: [userErrors.notFound],
      examples: { response: userExample },
      handler: ({ params }) => admin.getUser(params.id),
    });

    api.route({
      method: "patch",
      path: "/admin/users/:id",
      tags: ["Admin"],
      summary: "Edit a user; `status: suspended` signs them out everywhere and blocks sign-in",
      description: "A deleted account cannot be edited or reactivated: 409 `user.deleted`.",
      access: ["admin"],
      params: userIdParams,
      body: adminUpdateUserBody,
      response: { status: 200, description: "The updated user", schema: userSchema },
      errors: [userErrors.notFound, userErrors.deleted, adminErrors.cannotSuspendSelf],
      examples: { request: { status: "suspended" }, response: { ...userExample, status: "suspended" } },
      handler: ({ params, body, user }) => admin.updateUser(user.id, params.id, body),
    });
  };
}
