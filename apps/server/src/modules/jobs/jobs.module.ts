import { scheduleHourly, workEach } from "../../jobs/queue.js";
import type { Module } from "../module.js";
import { jobsRoutes } from "./jobs.routes.js";
import {
  createJobsService,
  expiryQueue,
  type JobsDeps,
  type JobsService,
  jobAttachmentKind,
  type QuoteEvent,
  quotedQueue,
} from "./jobs.service.js";

export function createJobsModule(deps: JobsDeps): Module<JobsService> {
  const service = createJobsService(deps);
  deps.files.addReadRule(jobAttachmentKind, service.mayReadAttachment);
  return {
    name: "jobs",
    service,
    routes: jobsRoutes(service),
    async jobs(queue) {
      await queue.createQueue(expiryQueue);
      await queue.createQueue(quotedQueue);
      // A failing listener fails its job, which pg-boss retries; listeners are idempotent.
      await workEach<QuoteEvent>(queue, quotedQueue, (event) => service.deliverQuote(event));
      await workEach<{ jobId: string }>(queue, expiryQueue, (job) => service.expire(job.jobId));
      // What the timers missed (a queue restored from a backup): swept every hour.
      await scheduleHourly(queue, "jobs.expire-overdue", service.expireOverdue);
    },
  };
}
