export { backdateDemoJobExpiry } from "./jobs.demo.js";
export { createJobsModule } from "./jobs.module.js";
export type { JobsDeps, JobsService, QuoteEvent, QuoteListener } from "./jobs.service.js";
