import { defineErrors } from "../../http/errors.js";

export const userErrors = defineErrors({
  notFound: { code: "user.not_found", status: 404, title: "No such user" },
  deletionBlocked: {
    code: "user.deletion_blocked",
    status: 409,
    title: "The account cannot be deleted while something is outstanding",
  },
  lastAdmin: { code: "user.last_admin", status: 409, title: "The last admin account cannot be deleted" },
  deleted: {
    code: "user.deleted",
    status: 409,
    title: "The account was deleted by its owner and cannot be changed",
  },
});
