import type { ApiRouter } from "../../http/api.js";
import { fileErrors } from "../files/index.js";
import { updateMeBody, userExample, userSchema } from "./users.contract.js";
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
      examples: { response: userExample },
      handler: ({ user }) => service.me(user),
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
      examples: {
        request: { phone: "+1 (415) 555-0123", avatarFileId: "0192f3b0-1d2e-7f3a-9b4c-5d6e7f8a9b0c" },
        response: userExample,
      },
      handler: ({ user, body }) => service.updateMe(user.id, body),
    });
  };
}
