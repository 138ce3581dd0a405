import { defineErrors } from "../../http/errors.js";

export const bookingErrors = defineErrors({
  notFound: { code: "booking.not_found", status: 404, title: "No such booking" },
  invalidTransition: {
    code: "booking.invalid_transition",
    status: 409,
    title: "The booking's current state does not allow this action",
  },
  notAllowed: {
    code: "booking.action_not_allowed",
    status: 403,
    title: "Your side of the booking may not take this action",
  },
  disputeResponseExists: {
    code: "booking.dispute_response_exists",
    status: 409,
    title: "The contractor has already stated their side of this dispute",
  },
  contractorNotFound: { code: "booking.contractor_not_found", status: 404, title: "No such contractor" },
  contractorUnavailable: {
    code: "booking.contractor_unavailable",
    status: 422,
    title: "This contractor cannot be booked at the moment",
  },
  categoryNotOffered: {
    code: "booking.category_not_offered",
    status: 422,
    title: "The contractor does not offer this service category",
  },
  outsideAvailability: {
    code: "booking.outside_availability",
    status: 422,
    title: "The requested time is outside the contractor's availability",
  },
});
