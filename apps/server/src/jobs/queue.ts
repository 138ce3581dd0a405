import PgBoss from "pg-boss";
import type { Logger } from "../logger.js";

export type JobQueue = PgBoss;

/**
 * pg-boss on the application's own database (schema `pgboss`): background jobs need no other service, and a
 * job enqueued inside a business transaction commits or rolls back with it.
 */
export async function startJobQueue(url: string, logger: Logger): Promise<JobQueue> {
  const boss = new PgBoss({
    connectionString: url,
    schema: "pgboss",
    application_name: "jobsphere-jobs",
    max: 4,
  });
  const log = logger.child({ component: "jobs" });
  boss.on("error", (error) => log.error({ err: error }, "job queue error"));
  await boss.start();
  return boss;
}

export async function stopJobQueue(boss: JobQueue, timeoutMs: number): Promise<void> {
  await boss.stop({ graceful: true, wait: true, timeout: timeoutMs });
}
