import { defineErrors } from "../../http/errors.js";

export const reviewErrors = defineErrors({
  notFound: { code: "review.not_found", status: 404, title: "No such review" },
  bookingNotFound: { code: "review.booking_not_found", status: 404, title: "No such booking" },
  contractorNotFound: { code: "review.contractor_not_found", status: 404, title: "No such contractor" },
  customerNotFound: { code: "review.customer_not_found", status: 404, title: "No such customer" },
  notReviewable: {
    code: "review.booking_not_finished",
    status: 409,
    title: "The booking cannot be rated until its payment is released",
  },
  notYourSide: {
    code: "review.wrong_party",
    status: 403,
    title: "Only the other party of the booking may rate this side of it",
  },
  exists: { code: "review.exists", status: 409, title: "This booking already has a review" },
  customerRatingExists: {
    code: "customer_rating.exists",
    status: 409,
    title: "This booking's customer has already been rated",
  },
  notAuthor: { code: "review.not_author", status: 403, title: "Only the review's author may change it" },
  editWindowClosed: {
    code: "review.edit_window_closed",
    status: 409,
    title: "The review can no longer be changed",
  },
  notReviewedContractor: {
    code: "review.not_reviewed_contractor",
    status: 403,
    title: "Only the reviewed contractor may reply",
  },
  replyExists: { code: "review.reply_exists", status: 409, title: "The review already has a reply" },
  hidden: { code: "review.hidden", status: 409, title: "The review is hidden by a moderator" },
  alreadyHidden: { code: "review.already_hidden", status: 409, title: "The review is already hidden" },
  notHidden: { code: "review.not_hidden", status: 409, title: "The review is not hidden" },
});
