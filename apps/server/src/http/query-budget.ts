import { AppError, coreErrors } from "./errors.js";

export interface QueryBudgetOptions {
  /** How many calls may run at once; each holds at most one pooled connection. */
  concurrency: number;
  /** How long a call waits for a free place before it is answered 503 instead. */
  queueMs: number;
  /** Sent as `Retry-After` with that 503. */
  retryAfterSeconds?: number;
}

export interface QueryBudget {
  run<T>(work: () => Promise<T>): Promise<T>;
  /** Calls running and calls waiting, for readiness. */
  usage(): { running: number; waiting: number };
}

/**
 * A concurrency limit in front of expensive queries anyone may send (contractor search), so that a burst of
 * them holds only `concurrency` of the pool's connections and every other request still finds one. A call
 * over the limit waits briefly in order, then is refused with 503 `database.busy` rather than queueing on the
 * pool, where it would wait as long as any other request and crowd it out.
 */
export function createQueryBudget(options: QueryBudgetOptions): QueryBudget {
  let running = 0;
  const waiting: { admit: () => void }[] = [];

  const release = () => {
    running -= 1;
    const next = waiting.shift();
    if (next) next.admit();
  };

  const place = () =>
    new Promise<void>((admitted, refused) => {
      if (running < options.concurrency) {
        running += 1;
        admitted();
        return;
      }
      const entry = {
        admit: () => {
          clearTimeout(timer);
          running += 1;
          admitted();
        },
      };
      const timer = setTimeout(() => {
        waiting.splice(waiting.indexOf(entry), 1);
        refused(
          new AppError(coreErrors.databaseBusy, "Too many searches at once; retry shortly", {
            headers: { "Retry-After": String(options.retryAfterSeconds ?? 1) },
          }),
        );
      }, options.queueMs);
      waiting.push(entry);
    });

  return {
    async run(work) {
      await place();
      try {
        return await work();
      } finally {
        release();
      }
    },
    usage: () => ({ running, waiting: waiting.length }),
  };
}
