import { scheduleHourly, workEach } from "../../jobs/queue.js";
import type { Module } from "../module.js";
import { jobsRoutes } from "./jobs.routes.js";
import {
  createJobsService,
  expiryQueue,
  type JobsDeps,
  type JobsService,
  jobAttachmentKind,
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
      await workEach<{ jobId: string }>(queue, expiryQueue, (job) => service.expire(job.jobId));
      // What the timers missed (a queue restored from a backup): swept every hour.
      await scheduleHourly(queue, "jobs.expire-overdue", service.expireOverdue);
    },
  };
}
