import { defineErrors } from "../../http/errors.js";

export const adminErrors = defineErrors({
  cannotSuspendSelf: {
    code: "admin.cannot_suspend_self",
    status: 409,
    title: "Admins cannot suspend themselves",
  },
});
