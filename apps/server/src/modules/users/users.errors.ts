import { defineErrors } from "../../http/errors.js";

export const userErrors = defineErrors({
  notFound: { code: "user.not_found", status: 404, title: "No such user" },
});
