import type pg from "pg";
import type { Clock } from "../../clock.js";
import type { Database } from "../../db/client.js";
import type { ApiRouter } from "../../http/api.js";
import type { FilesService } from "../files/index.js";
import { fileErrors } from "../files/index.js";
import { updateMeBody, userSchema } from "./users.contract.js";
import { userErrors } from "./users.errors.js";
import { getUser, presentUser, type UserWithAvatar, updateProfile } from "./users.service.js";

export function usersRoutes(deps: { db: Database; pool: pg.Pool; clock: Clock; files: FilesService }) {
  const present = (row: UserWithAvatar) => presentUser(row, deps.files.publicUrl);
  return (api: ApiRouter) => {
    api.route({
      method: "get",
      path: "/me",
      tags: ["Account"],
      summary: "The signed-in user",
      access: "user",
      response: { status: 200, description: "The user", schema: userSchema },
      errors: [userErrors.notFound],
      handler: async ({ user }) => present(await getUser(deps.db, user.id)),
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
      handler: async ({ user, body }) => present(await updateProfile(deps, user.id, body)),
    });
  };
}
