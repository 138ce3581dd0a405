import { defineErrors } from "../../http/errors.js";

export const notificationErrors = defineErrors({
  deviceNotFound: {
    code: "device.not_found",
    status: 404,
    title: "No device with this token is registered to you",
  },
});
