import type { Clock } from "../../clock.js";
import type { Database } from "../../db/client.js";
import type { ApiRouter } from "../../http/api.js";
import { updateMeBody, userSchema } from "./users.contract.js";
import { userErrors } from "./users.errors.js";
import { getUser, presentUser, updateProfile } from "./users.service.js";

export function usersRoutes(deps: { db: Database; clock: Clock }) {
  return (api: ApiRouter) => {
    api.route({
      method: "get",
      path: "/me",
      tags: ["Account"],
      summary: "The signed-in user",
      access: "user",
      response: { status: 200, description: "The user", schema: userSchema },
      errors: [userErrors.notFound],
      handler: async ({ user }) => presentUser(await getUser(deps.db, user.id)),
    });

    api.route({
      method: "patch",
      path: "/me",
      tags: ["Account"],
      summary: "Change the signed-in user's name or phone",
      access: "user",
      body: updateMeBody,
      response: { status: 200, description: "The updated user", schema: userSchema },
      errors: [userErrors.notFound],
      handler: async ({ user, body }) =>
        presentUser(await updateProfile(deps.db, user.id, body, deps.clock.now())),
    });
  };
}
