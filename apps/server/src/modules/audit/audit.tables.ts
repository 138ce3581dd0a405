import { index, jsonb, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { id } from "../../db/columns.js";
import { users } from "../users/users.tables.js";

/**
 * Every write an admin makes, as it was made: who, what, on which record, the record before and after, and
 * why. Rows are never changed or removed (a trigger in the migration refuses it), so the log can be trusted
 * in a dispute about what an admin did.
 */
export const auditLog = pgTable(
  "audit_log",
  {
    id: id(),
    actorId: uuid()
      .notNull()
      .references(() => users.id),
    /** `<thing>.<verb>`: `user.suspend`, `verification.approve`, `commission.update`… */
    action: text().notNull(),
    /** The kind of record acted on (`user`, `verification`, `booking`, `settings`…) and its id. */
    targetType: text().notNull(),
    targetId: text().notNull(),
    before: jsonb(),
    after: jsonb(),
    reason: text(),
    at: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    index("audit_log_actor_idx").on(table.actorId, table.id.desc()),
    index("audit_log_target_idx").on(table.targetType, table.targetId, table.id.desc()),
    index("audit_log_action_idx").on(table.action, table.id.desc()),
  ],
);
