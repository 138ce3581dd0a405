import type { ApiRouter } from "../../http/api.js";
import { coreErrors } from "../../http/errors.js";
import {
  type BookingView,
  bookingPageSchema,
  bookingParams,
  bookingSchema,
  createBookingBody,
  disputeBody,
  disputeResponseBody,
  listBookingsQuery,
} from "./bookings.contract.js";
import { bookingErrors } from "./bookings.errors.js";
import {
  accepted,
  answeredDisputeExample,
  completed,
  exampleCustomerId as customerId,
  disputedHistory,
  disputeReason,
  disputeStatement,
  exampleBooking,
  exampleRequest,
  funded,
  paid,
  requested,
  started,
} from "./bookings.examples.js";
import type { BookingsService } from "./bookings.service.js";

const actionErrors = [bookingErrors.notFound, bookingErrors.notAllowed, bookingErrors.invalidTransition];

type PartyAction = "accept" | "decline" | "start" | "complete" | "confirm" | "cancel";

/** The body-less actions: path, who, and what the answer looks like. */
const partyActions: { action: PartyAction; summary: string; description: string; example: BookingView }[] = [
  {
    action: "accept",
    summary: "Accept a requested booking (contractor)",
    description: "`requested` → `accepted`; the customer then pays, which makes it `funded`.",
    example: exampleBooking("accepted", [requested, accepted]),
  },
  {
    action: "decline",
    summary: "Decline a requested booking (contractor)",
    description: "`requested` → `declined`.",
    example: exampleBooking("declined", [requested, { ...accepted, status: "declined" }]),
  },
  {
    action: "start",
    summary: "Start the work (contractor)",
    description: "`funded` → `in_progress`.",
    example: exampleBooking("in_progress", [requested, accepted, funded, started], paid),
  },
  {
    action: "complete",
    summary: "Mark the work done (contractor)",
    description:
      "`in_progress` → `completed`. The payment is released to the contractor when the customer confirms, or automatically after `BOOKING_AUTO_RELEASE` unless the customer disputes first.",
    example: exampleBooking("completed", [requested, accepted, funded, started, completed], paid),
  },
  {
    action: "confirm",
    summary: "Confirm the work and release the payment (customer)",
    description: "`completed` → `released`: the money goes to the contractor.",
    example: exampleBooking(
      "released",
      [
        requested,
        accepted,
        funded,
        started,
        completed,
        { status: "released", from: "completed", at: "2026-12-07T18:00:00.000Z", by: customerId, note: null },
      ],
      paid,
    ),
  },
  {
    action: "cancel",
    summary: "Cancel the booking (either party)",
    description:
      "`requested`, `accepted` or `funded` → `cancelled`. Free before payment. After payment the customer is refunded in full when the contractor cancels or when the customer cancels more than `BOOKING_FREE_CANCEL_NOTICE` before the start, otherwise `BOOKING_LATE_CANCEL_REFUND_BPS` of the price; the amount shows as `refundAmount`.",
    example: exampleBooking(
      "cancelled",
      [
        requested,
        accepted,
        funded,
        { status: "cancelled", from: "funded", at: "2026-12-06T20:00:00.000Z", by: customerId, note: null },
      ],
      { ...paid, refundAmount: { amount: 12000, currency: "gbp" } },
    ),
  },
];

/** The booking lifecycle over HTTP; every action goes through the service's state machine. */
export function bookingRoutes(service: BookingsService) {
  return (api: ApiRouter) => {
    api.route({
      method: "post",
      path: "/bookings",
      tags: ["Bookings"],
      summary: "Ask a contractor for a booking",
      description:
        "The contractor must be active, have a profile, offer the category, and be available for the whole time asked (in their time zone; a refusal names it and the nearest available ranges). The booking starts `requested` and expires unless the contractor accepts or declines in time (`BOOKING_REQUEST_EXPIRY`). Send an `Idempotency-Key` so a retry cannot book twice.",
      access: ["customer"],
      body: createBookingBody,
      idempotent: true,
      response: { status: 201, description: "The requested booking", schema: bookingSchema },
      errors: [
        bookingErrors.contractorNotFound,
        bookingErrors.contractorUnavailable,
        bookingErrors.categoryNotOffered,
        bookingErrors.outsideAvailability,
      ],
      examples: { request: exampleRequest, response: exampleBooking("requested", [requested]) },
      handler: ({ user, body }) => service.request(user.id, body),
    });

    api.route({
      method: "get",
      path: "/bookings",
      tags: ["Bookings"],
      summary: "Your bookings, newest first",
      description:
        "Bookings where you are the customer or the contractor. `status` filters by status (repeat it or separate by commas), `role` keeps only the bookings where you are that party.",
      access: "user",
      query: listBookingsQuery,
      response: { status: 200, description: "A page of bookings", schema: bookingPageSchema },
      errors: [coreErrors.invalidCursor],
      examples: {
        response: { items: [exampleBooking("accepted", [requested, accepted])], nextCursor: null },
      },
      handler: ({ user, query }) => service.list(user, query),
    });

    api.route({
      method: "get",
      path: "/bookings/:id",
      tags: ["Bookings"],
      summary: "One booking, with its history oldest first",
      description:
        "Only its customer, its contractor and admins may read it; anyone else gets 404. The contractor and admins also get `customerRating`, how contractors rated the customer.",
      access: "user",
      params: bookingParams,
      response: { status: 200, description: "The booking", schema: bookingSchema },
      errors: [bookingErrors.notFound],
      examples: {
        response: exampleBooking("funded", [requested, accepted, funded], {
          ...paid,
          customerRating: { average: 4.5, count: 2 },
        }),
      },
      handler: ({ user, params }) => service.get(user, params.id),
    });

    for (const { action, summary, description, example } of partyActions) {
      api.route({
        method: "post",
        path: `/bookings/:id/${action}`,
        tags: ["Bookings"],
        summary,
        description: `${description} Someone who is neither party gets 404; the other party gets 403; a booking in another state answers 409 \`booking.invalid_transition\` naming its state.`,
        access: "user",
        params: bookingParams,
        response: { status: 200, description: "The booking after the change", schema: bookingSchema },
        errors: actionErrors,
        examples: { response: example },
        handler: ({ user, params }) => service.act(user, params.id, action),
      });
    }

    api.route({
      method: "post",
      path: "/bookings/:id/dispute",
      tags: ["Bookings"],
      summary: "Dispute the booking (customer)",
      description:
        "`funded`, `in_progress` or `completed` → `disputed`: the payment is held until an admin resolves it (and the auto-release timer does nothing). Someone who is neither party gets 404; the contractor gets 403.",
      access: "user",
      params: bookingParams,
      body: disputeBody,
      response: { status: 200, description: "The disputed booking", schema: bookingSchema },
      errors: actionErrors,
      examples: {
        request: { reason: disputeReason },
        response: exampleBooking("disputed", disputedHistory, { ...paid, disputeReason }),
      },
      handler: ({ user, params, body }) =>
        service.act(user, params.id, "dispute", { disputeReason: body.reason }),
    });

    api.route({
      method: "post",
      path: "/bookings/:id/dispute/response",
      tags: ["Bookings"],
      summary: "State your side of a dispute (contractor)",
      description:
        "While the booking is `disputed` (by its customer or by a chargeback), its contractor states their side once, for the admin who resolves it; the booking stays `disputed` and keeps the statement as `disputeResponse` after the resolution. Someone who is neither party gets 404; the customer and admins get 403; a booking not disputed answers 409 `booking.invalid_transition` naming its state; a second statement 409 `booking.dispute_response_exists`.",
      access: "user",
      params: bookingParams,
      body: disputeResponseBody,
      response: {
        status: 200,
        description: "The booking with the contractor's statement",
        schema: bookingSchema,
      },
      errors: [...actionErrors, bookingErrors.disputeResponseExists],
      examples: {
        request: { statement: disputeStatement },
        response: answeredDisputeExample,
      },
      handler: ({ user, params, body }) => service.respondToDispute(user, params.id, body.statement),
    });
  };
}
