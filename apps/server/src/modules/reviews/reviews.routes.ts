import type { ApiRouter } from "../../http/api.js";
import { coreErrors } from "../../http/errors.js";
import {
  type AdminReview,
  adminReviewPageSchema,
  adminReviewSchema,
  adminReviewsQuery,
  contractorReviewsPageSchema,
  contractorReviewsQuery,
  customerRatingBody,
  customerRatingSchema,
  customerRatingSummarySchema,
  editReviewBody,
  hideBody,
  idParams,
  type ReviewView,
  replyBody,
  reviewBody,
  reviewSchema,
  unhideBody,
} from "./reviews.contract.js";
import { reviewErrors } from "./reviews.errors.js";
import type { ReviewsService } from "./reviews.service.js";

const reviewId = "0193b7c2-4d5e-7f60-8a1b-2c3d4e5f6a7b";
const bookingId = "0193a2b4-1c2d-7e3f-8a4b-5c6d7e8f9a0b";
const customerId = "0192f0a4-5b1e-7c3d-8e9f-0a1b2c3d4e5f";
const contractorId = "0192f0a4-6c2f-7d4e-9fa0-1b2c3d4e5f60";
const adminId = "0192f0a4-7d30-7e5f-a0b1-2c3d4e5f6a71";

const exampleReview: ReviewView = {
  id: reviewId,
  bookingId,
  contractorId,
  categorySlug: "electrician",
  rating: 5,
  comment: "Arrived on time, explained the new fuse board and left the kitchen spotless.",
  createdAt: "2026-12-07T18:30:00.000Z",
  editedAt: null,
  editableUntil: "2026-12-14T18:30:00.000Z",
  reply: null,
  hidden: false,
};

const exampleReply = {
  text: "Thank you, Alice: it was a pleasure. Enjoy the new sockets!",
  createdAt: "2026-12-08T08:05:00.000Z",
};

const exampleAdminReview = (hidden: boolean): AdminReview => {
  const { contractorId: _contractorId, ...review } = exampleReview;
  return {
    ...review,
    rating: 1,
    comment: "Call this number for a cheaper job: 07700 900123",
    hidden,
    customer: { id: customerId, name: "Alice Brown" },
    contractor: { id: contractorId, name: "Priya Patel" },
    moderation: hidden
      ? { hiddenAt: "2026-12-08T09:12:00.000Z", reason: "Advertising in the comment", by: adminId }
      : null,
  };
};

const notFinished = [reviewErrors.bookingNotFound, reviewErrors.notYourSide, reviewErrors.notReviewable];

/** Reviews of contractors, their replies, customers' ratings, and moderation. */
export function reviewRoutes(service: ReviewsService) {
  return (api: ApiRouter) => {
    api.route({
      method: "post",
      path: "/bookings/:id/review",
      tags: ["Reviews"],
      summary: "Review the contractor of a finished booking (customer)",
      description:
        "Once per booking, by its customer, after its payment is released (`released`, also by a dispute resolved in the contractor's favour) or after a dispute ended in a partial refund (`partially_refunded`). Any other status answers 409 `review.booking_not_finished` naming it; a second review 409 `review.exists`. Someone who is neither party gets 404; the contractor gets 403. The contractor's rating changes in the same transaction. The review can be changed for `REVIEW_EDIT_WINDOW` (`editableUntil`).",
      access: ["customer"],
      params: idParams,
      body: reviewBody,
      response: { status: 201, description: "The review", schema: reviewSchema },
      errors: [...notFinished, reviewErrors.exists],
      examples: {
        request: { rating: 5, comment: exampleReview.comment ?? undefined },
        response: exampleReview,
      },
      handler: ({ user, params, body }) => service.create(user, params.id, body),
    });

    api.route({
      method: "patch",
      path: "/reviews/:id",
      tags: ["Reviews"],
      summary: "Change your review's rating or comment",
      description:
        "By its author, until `editableUntil` (`REVIEW_EDIT_WINDOW` after it was written); later answers 409 `review.edit_window_closed`. `comment: null` removes the comment. A review hidden by a moderator cannot be changed (409 `review.hidden`).",
      access: ["customer"],
      params: idParams,
      body: editReviewBody,
      response: { status: 200, description: "The review after the change", schema: reviewSchema },
      errors: [
        reviewErrors.notFound,
        reviewErrors.notAuthor,
        reviewErrors.editWindowClosed,
        reviewErrors.hidden,
      ],
      examples: {
        request: { rating: 4, comment: "Good work; the invoice came a week late." },
        response: {
          ...exampleReview,
          rating: 4,
          comment: "Good work; the invoice came a week late.",
          editedAt: "2026-12-09T10:00:00.000Z",
        },
      },
      handler: ({ user, params, body }) => service.edit(user, params.id, body),
    });

    api.route({
      method: "post",
      path: "/reviews/:id/reply",
      tags: ["Reviews"],
      summary: "Reply to a review of your work (the reviewed contractor)",
      description:
        "Once per review, by the reviewed contractor only (anyone else: 403 `review.not_reviewed_contractor`); a second reply answers 409 `review.reply_exists`. The reply shows under the review in the public list.",
      access: "user",
      params: idParams,
      body: replyBody,
      response: { status: 201, description: "The review with its reply", schema: reviewSchema },
      errors: [
        reviewErrors.notFound,
        reviewErrors.notReviewedContractor,
        reviewErrors.replyExists,
        reviewErrors.hidden,
      ],
      examples: {
        request: { text: exampleReply.text },
        response: { ...exampleReview, reply: exampleReply },
      },
      handler: ({ user, params, body }) => service.reply(user, params.id, body),
    });

    api.route({
      method: "get",
      path: "/contractors/:id/reviews",
      tags: ["Reviews"],
      summary: "A contractor's reviews, newest first, with their rating",
      description:
        "Public. Reviews hidden by a moderator are left out, and so are they from `rating` (average, count and how many reviews gave each number of stars). Each review names its reviewer by first name only and the category of the reviewed booking.",
      access: "public",
      params: idParams,
      query: contractorReviewsQuery,
      response: { status: 200, description: "A page of reviews", schema: contractorReviewsPageSchema },
      errors: [reviewErrors.contractorNotFound, coreErrors.invalidCursor],
      examples: {
        response: {
          items: [
            {
              id: reviewId,
              rating: 5,
              comment: exampleReview.comment,
              reviewer: { firstName: "Alice" },
              categorySlug: "electrician",
              createdAt: exampleReview.createdAt,
              editedAt: null,
              reply: exampleReply,
            },
          ],
          nextCursor: null,
          rating: { average: 4.67, count: 3, distribution: { 1: 0, 2: 0, 3: 0, 4: 1, 5: 2 } },
        },
      },
      handler: ({ params, query }) => service.listForContractor(params.id, query),
    });

    api.route({
      method: "post",
      path: "/bookings/:id/customer-rating",
      tags: ["Reviews"],
      summary: "Rate the customer of a finished booking (contractor)",
      description:
        "Once per booking, by its contractor, in the same statuses as a review (`released`, `partially_refunded`); a second one answers 409 `customer_rating.exists`. Only contractors and admins ever see a customer's rating: in `GET /customers/{id}/rating` and in the contractor's view of a booking (`customerRating`). The customer never does.",
      access: ["contractor"],
      params: idParams,
      body: customerRatingBody,
      response: { status: 201, description: "The rating", schema: customerRatingSchema },
      errors: [...notFinished, reviewErrors.customerRatingExists],
      examples: {
        request: { rating: 5, comment: "Clear instructions and the parking was sorted." },
        response: {
          id: "0193b7c2-5e6f-7a81-9b2c-3d4e5f6a7b8c",
          bookingId,
          customerId,
          rating: 5,
          comment: "Clear instructions and the parking was sorted.",
          createdAt: "2026-12-07T19:00:00.000Z",
        },
      },
      handler: ({ user, params, body }) => service.rateCustomer(user, params.id, body),
    });

    api.route({
      method: "get",
      path: "/customers/:id/rating",
      tags: ["Reviews"],
      summary: "A customer's rating from contractors (contractors and admins)",
      description:
        "The average and count of the ratings contractors gave this customer, so a contractor can judge a request. Customers cannot read it, their own included.",
      access: ["contractor", "admin"],
      params: idParams,
      response: { status: 200, description: "The customer's rating", schema: customerRatingSummarySchema },
      errors: [reviewErrors.customerNotFound],
      examples: { response: { customerId, average: 4.5, count: 2 } },
      handler: ({ params }) => service.customerRating(params.id),
    });

    api.route({
      method: "get",
      path: "/admin/reviews",
      tags: ["Admin"],
      summary: "Every review, newest first, for moderation",
      description:
        "`status` keeps only visible or only hidden reviews; `contractorId` one contractor's. Hidden reviews carry who hid them, when and why.",
      access: ["admin"],
      query: adminReviewsQuery,
      response: { status: 200, description: "A page of reviews", schema: adminReviewPageSchema },
      errors: [coreErrors.invalidCursor],
      examples: { response: { items: [exampleAdminReview(true)], nextCursor: null } },
      handler: ({ query }) => service.listForAdmin(query),
    });

    api.route({
      method: "post",
      path: "/admin/reviews/:id/hide",
      tags: ["Admin"],
      summary: "Hide a review (moderation)",
      description:
        "The review leaves the public list and the contractor's rating in one transaction, and the action is written to the audit log with its reason. Its author and the contractor still see it as hidden; it cannot be changed or replied to while hidden. An already hidden review answers 409 `review.already_hidden`.",
      access: ["admin"],
      params: idParams,
      body: hideBody,
      response: { status: 200, description: "The hidden review", schema: adminReviewSchema },
      errors: [reviewErrors.notFound, reviewErrors.alreadyHidden],
      examples: { request: { reason: "Advertising in the comment" }, response: exampleAdminReview(true) },
      handler: ({ user, params, body }) => service.hide(user, params.id, body.reason),
    });

    api.route({
      method: "post",
      path: "/admin/reviews/:id/unhide",
      tags: ["Admin"],
      summary: "Show a hidden review again (moderation)",
      description:
        "The review returns to the public list and the contractor's rating in one transaction; audit-logged, with the optional reason. A visible review answers 409 `review.not_hidden`.",
      access: ["admin"],
      params: idParams,
      body: unhideBody,
      response: { status: 200, description: "The visible review", schema: adminReviewSchema },
      errors: [reviewErrors.notFound, reviewErrors.notHidden],
      examples: {
        request: { reason: "The number was the customer's own" },
        response: exampleAdminReview(false),
      },
      handler: ({ user, params, body }) => service.unhide(user, params.id, body.reason),
    });
  };
}
