export { backdateDemoJobExpiry } from "./jobs.demo.js";
export { createJobsModule } from "./jobs.module.js";
export type { JobsDeps, JobsService } from "./jobs.service.js";
