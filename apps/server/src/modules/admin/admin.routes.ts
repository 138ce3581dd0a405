import type { ApiRouter } from "../../http/api.js";
import { coreErrors } from "../../http/errors.js";
import { userErrors, userSchema } from "../users/index.js";
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
      access: ["admin"],
      query: listUsersQuery,
      response: { status: 200, description: "A page of users", schema: userPageSchema },
      errors: [coreErrors.invalidCursor],
      handler: ({ query }) => admin.listUsers(query),
    });

    api.route({
      method: "get",
      path: "/admin/users/:id",
      tags: ["Admin"],
      summary: "One user",
      access: ["admin"],
      params: userIdParams,
      response: { status: 200, description: "The user", schema: userSchema },
      errors: [userErrors.notFound],
      handler: ({ params }) => admin.getUser(params.id),
    });

    api.route({
      method: "patch",
      path: "/admin/users/:id",
      tags: ["Admin"],
      summary: "Edit a user; `status: suspended` signs them out everywhere and blocks sign-in",
      access: ["admin"],
      params: userIdParams,
      body: adminUpdateUserBody,
      response: { status: 200, description: "The updated user", schema: userSchema },
      errors: [userErrors.notFound, adminErrors.cannotSuspendSelf],
      handler: ({ params, body, user }) => admin.updateUser(user.id, params.id, body),
    });
  };
}
