import { defineErrors } from "../../http/errors.js";

export const jobErrors = defineErrors({
  notFound: { code: "job.not_found", status: 404, title: "No such job" },
  invalidState: {
    code: "job.invalid_state",
    status: 409,
    title: "The job is not open (its state is named in the detail)",
  },
  startMissing: {
    code: "job.start_missing",
    status: 409,
    title: "Neither the quote nor the job names a start time",
  },
  startPassed: {
    code: "job.start_passed",
    status: 409,
    title: "The start the booking would have has passed",
  },
  quoteNotFound: { code: "quote.not_found", status: 404, title: "No such quote" },
  quoteExists: {
    code: "quote.already_exists",
    status: 409,
    title: "You have already quoted for this job; edit that quote instead",
  },
  quoteInvalidState: {
    code: "quote.invalid_state",
    status: 409,
    title: "The quote is no longer pending (its state is named in the detail)",
  },
});
