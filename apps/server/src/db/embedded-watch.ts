import type { HealthState } from "../http/health.js";
import type { Logger } from "../logger.js";
import type { EmbeddedDatabase } from "./embedded.js";

// How often the embedded postmaster is looked for: a /proc read, cheap; a dead database is noticed within it.
const embeddedWatchIntervalMs = 1_000;

/**
 * The embedded PostgreSQL lives and dies with this process: if its postmaster dies (killed, out of memory),
 * every request would fail for ever. It is restarted a bounded number of times; meanwhile liveness is 503,
 * and when it cannot be brought back the server gives up so a supervisor can restart the whole process.
 */
export function watchEmbedded(
  embedded: EmbeddedDatabase,
  health: HealthState,
  restarts: number,
  logger: Logger,
  onFatal: ((error: Error) => void) | undefined,
): void {
  const log = logger.child({ component: "embedded-postgres" });
  let busy = false;
  const timer = setInterval(async () => {
    if (busy || health.stopping) return;
    busy = true;
    try {
      if (await embedded.running()) return;
      if (health.stopping) return;
      health.databaseLost = true;
      log.error("the embedded PostgreSQL is gone; restarting it");
      for (let attempt = 1; attempt <= restarts; attempt++) {
        try {
          await embedded.restart();
          health.databaseLost = false;
          return;
        } catch (error) {
          log.error({ err: error, attempt }, "the embedded PostgreSQL did not restart");
          await new Promise((resolveWait) => setTimeout(resolveWait, 1_000));
        }
      }
      clearInterval(timer);
      const error = new Error(
        `The embedded PostgreSQL died and did not restart after ${restarts} attempt(s)`,
      );
      if (onFatal) onFatal(error);
      else log.fatal({ err: error }, "giving up on the embedded PostgreSQL");
    } finally {
      busy = false;
    }
  }, embeddedWatchIntervalMs);
  timer.unref();
}
