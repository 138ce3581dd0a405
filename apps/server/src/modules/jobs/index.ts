/** @public For the admin module: jobs and quotes as its oversight routes answer them. */
export { jobSchema, quoteSchema } from "./jobs.contract.js";
export { backdateDemoJobExpiry } from "./jobs.demo.js";
export { jobErrors } from "./jobs.errors.js";
export { createJobsModule } from "./jobs.module.js";
export type { JobsDeps, JobsService, QuoteEvent, QuoteListener } from "./jobs.service.js";
