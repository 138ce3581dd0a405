import type { ApiRouter } from "../../http/api.js";
import { fileErrors } from "../files/index.js";
import { updateMeBody, userSchema } from "./users.contract.js";
import { userErrors } from "./users.errors.js";
import type { UsersService } from "./users.service.js";

export function usersRoutes(service: UsersService) {
  return (api: ApiRouter) => {
    api.route({
      method: "get",
      path: "/me",
      tags: ["Account"],
      summary: "The signed-in user",
      access: "user",
      response: { status: 200, description: "The user", schema: userSchema },
      errors: [userErrors.notFound],
      handler: ({ user }) => service.me(user.id),
    });

    api.route({
      method: "patch",
      path: "/me",
      tags: ["Account"],
      summary: "Change the signed-in user's name, phone or avatar",
      access: "user",
      body: updateMeBody,
      response: { status: 200, description: "The updated user", schema: userSchema },
      errors: [userErrors.notFound, fileErrors.notFound, fileErrors.wrongPurpose, fileErrors.alreadyAttached],
      handler: ({ user, body }) => service.updateMe(user.id, body),
    });
  };
}
