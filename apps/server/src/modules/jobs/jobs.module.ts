import { scheduleHourly } from "../../jobs/queue.js";
import type { Module } from "../module.js";
import { jobsRoutes } from "./jobs.routes.js";
import {
  createJobsService,
  expiryQueue,
  type JobsDeps,
  type JobsService,
  jobAttachmentKind,
  type QuoteCreated,
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
      await queue.work<QuoteCreated>(
        quotedQueue,
        { pollingIntervalSeconds: 0.5, batchSize: 20 },
        async (batch) => {
          // A failing listener fails the batch, which pg-boss retries; listeners are idempotent.
          for (const job of batch) await service.deliverQuote(job.data);
        },
      );
      await queue.work<{ jobId: string }>(expiryQueue, { pollingIntervalSeconds: 0.5 }, async ([job]) => {
        if (job) await service.expire(job.data.jobId);
      });
      // What the timers missed (a queue restored from a backup): swept every hour.
      await scheduleHourly(queue, "jobs.expire-overdue", service.expireOverdue);
    },
  };
}
