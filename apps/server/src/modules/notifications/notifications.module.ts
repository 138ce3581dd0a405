import type { Clock } from "../../clock.js";
import type { Database } from "../../db/client.js";
import { scheduleHourly } from "../../jobs/queue.js";
import type { Module } from "../module.js";
import { type Mailer, purgeStaleEmails, startEmailWorker } from "./mail.js";

export interface NotificationsDeps {
  db: Database;
  clock: Clock;
  mailer: Mailer;
}

/** Email delivery today: other modules enqueue rendered mail in their transactions; this module sends it. */
export function createNotificationsModule(deps: NotificationsDeps): Module<{ mailer: Mailer }> {
  return {
    name: "notifications",
    service: { mailer: deps.mailer },
    async jobs(queue) {
      await startEmailWorker(queue, deps.mailer, deps.db);
      await scheduleHourly(queue, "notifications.purge", () => purgeStaleEmails(deps.db, deps.clock.now()));
    },
  };
}
