import pg from "pg";
import PgBoss from "pg-boss";
import { settle } from "../db/batcher.js";
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

// Any fixed number, distinct from the migrations' and the demo seed's locks.
const jobSetupLock = 7_403_118_223;

/**
 * Runs `setup` (starting pg-boss, creating queues) while holding a session advisory lock, so instances
 * starting together on one database set up pg-boss's tables one after the other: concurrent queue creation
 * on an empty database deadlocks.
 */
export async function withJobSetupLock<T>(url: string, setup: () => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, application_name: "jobsphere-jobs-setup" });
  client.on("error", () => {});
  await client.connect();
  try {
    await client.query("select pg_advisory_lock($1)", [jobSetupLock]);
    return await setup();
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * A housekeeping task run every hour by one process of the cluster (pg-boss hands each scheduled run to one
 * worker), at minute 17 so it stays clear of whatever the hour itself triggers.
 */
export async function scheduleHourly(
  queue: JobQueue,
  name: string,
  task: () => Promise<void>,
): Promise<void> {
  await queue.createQueue(name);
  await queue.schedule(name, "17 * * * *");
  await queue.work(name, async () => {
    await task();
  });
}

/**
 * Runs `handle` on each job of a queue, one after the other, a batch per fetch: pg-boss waits its polling
 * interval between fetches, so one job per fetch would let a burst of changes queue up for minutes. A job that
 * fails is failed alone (and retried); the batch's other jobs complete.
 */
export async function workEach<T extends object>(
  queue: JobQueue,
  name: string,
  handle: (data: T) => Promise<void>,
): Promise<void> {
  await workBatch<T>(queue, name, async (items) => {
    const outcomes: PromiseSettledResult<void>[] = [];
    for (const item of items) outcomes.push(await settle(() => handle(item)));
    return outcomes;
  });
}

/**
 * Runs `handle` on each fetched batch of a queue's jobs at once, for work that is cheaper for many jobs
 * together (one statement for all of them); it answers each job's outcome, in order. A job whose outcome is
 * a failure is failed alone (and retried); the batch's other jobs complete.
 */
export async function workBatch<T extends object>(
  queue: JobQueue,
  name: string,
  handle: (items: T[]) => Promise<PromiseSettledResult<void>[]>,
): Promise<void> {
  await queue.work<T>(name, { pollingIntervalSeconds: 0.5, batchSize: 50 }, async (jobs) => {
    const outcomes = await handle(jobs.map((job) => job.data));
    for (const [index, job] of jobs.entries()) {
      const outcome = outcomes[index];
      if (outcome?.status === "fulfilled") continue;
      const error: unknown = outcome ? outcome.reason : new Error("the batch gave this job no outcome");
      await queue.fail(name, job.id, { message: error instanceof Error ? error.message : String(error) });
    }
  });
}
