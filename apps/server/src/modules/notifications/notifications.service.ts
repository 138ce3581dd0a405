import { and, count, desc, eq, inArray, isNull, lt, or, sql } from "drizzle-orm";
import type pg from "pg";
import { z } from "zod";
import type { Clock } from "../../clock.js";
import { createBatcher, settle } from "../../db/batcher.js";
import type { Database, Executor } from "../../db/client.js";
import { newId } from "../../db/columns.js";
import { ambientTransaction, transaction } from "../../db/transaction.js";
import type { AuthUser } from "../../http/auth.js";
import { AppError } from "../../http/errors.js";
import { decodeCursor, type Page, toPage } from "../../http/pagination.js";
import type { JobQueue } from "../../jobs/queue.js";
import type { Logger } from "../../logger.js";
import type { BookingChange, BookingView } from "../bookings/index.js";
import type { VerificationDecided } from "../contractors/index.js";
import type { QuoteEvent } from "../jobs/index.js";
import type { ReviewEvent } from "../reviews/index.js";
import { userDirectory } from "../users/index.js";
import {
  defaultPreference,
  type Facts,
  formatMoney,
  kinds,
  type NotificationKind,
  notificationKinds,
} from "./kinds.js";
import { type Email, enqueueEmail } from "./mail.js";
import type {
  DeviceView,
  ListNotificationsQuery,
  MarkReadInput,
  NotificationView,
  PreferencesInput,
  PreferencesView,
  RegisterDeviceInput,
} from "./notifications.contract.js";
import { notificationErrors } from "./notifications.errors.js";
import {
  devices,
  type NotificationData,
  notificationPreferences,
  notifications,
} from "./notifications.tables.js";
import type { DevicePlatform, PushMessage, PushProvider } from "./push-provider.js";
import { notificationEmail } from "./templates.js";

export const pushQueue = "notifications.push";

export interface NotificationsDeps {
  db: Database;
  pool: pg.Pool;
  jobs: JobQueue;
  clock: Clock;
  logger: Logger;
  push: PushProvider;
  /** Push jobs are retried this many times, the delay doubling from `retryDelaySeconds`. */
  retry: { limit: number; delaySeconds: number };
  /**
   * A chat message's notification waits this long (ms); the recipient's later messages of the same
   * conversation meanwhile make that one notification, of the latest message.
   */
  chatDelayMs: number;
}

/** One notification to store for one user, and to push and email as the user chose. */
export interface NotifyInput {
  userId: string;
  kind: NotificationKind;
  /**
   * Names the event, unique per user (`booking:<id>:accepted`): the same event notified again (a retried
   * worker, a second source of one payment) stores no second row and pushes nothing more.
   */
  eventKey: string;
  facts?: Facts;
  data?: Omit<NotificationData, "kind">;
  /** False: never emailed, whatever the preference (a payment's receipt goes to the payer, not the payee). */
  emailable?: boolean;
}

/**
 * A money event of the payments module (`onMoneyEvent`). Payment received and funds released are also told by
 * the booking's own transition: both sources share an event key, so a user is told once.
 */
export type MoneyEvent =
  | {
      type: "payment.received" | "funds.released";
      bookingId: string;
      /** Who to tell: the paying customer (receipt) and the contractor; released funds go to the contractor. */
      customerId: string;
      contractorId: string;
      amount: { amount: number; currency: string };
    }
  | {
      type: "withdrawal.paid" | "withdrawal.failed";
      withdrawalId: string;
      contractorId: string;
      amount: { amount: number; currency: string };
      reason?: string | null;
    };

/** A chat message for its recipients (the chat module's `onMessage` seam). */
export interface MessageEvent {
  messageId: string;
  conversationId: string;
  senderId: string;
  recipientIds: string[];
  text: string | null;
}

/** Is `userId` online in `conversationId`: a socket of theirs has joined `conversation:<id>` (any instance). */
export type PresenceCheck = (userId: string, conversationId: string) => Promise<boolean>;

/** What each booking transition tells, and to whom (the one who made it is never told). */
const bookingKinds: Partial<
  Record<BookingView["status"], { kind: NotificationKind; to: ("customer" | "contractor")[] }>
> = {
  requested: { kind: "bookingRequested", to: ["contractor"] },
  accepted: { kind: "bookingAccepted", to: ["customer"] },
  declined: { kind: "bookingDeclined", to: ["customer"] },
  expired: { kind: "bookingExpired", to: ["customer", "contractor"] },
  cancelled: { kind: "bookingCancelled", to: ["customer", "contractor"] },
  funded: { kind: "paymentReceived", to: ["customer", "contractor"] },
  in_progress: { kind: "jobStarted", to: ["customer"] },
  completed: { kind: "jobCompleted", to: ["customer"] },
  released: { kind: "fundsReleased", to: ["contractor"] },
  disputed: { kind: "disputeOpened", to: ["contractor"] },
};
const resolvedStatuses = new Set(["released", "refunded", "partially_refunded"]);

const cursorParts = z.tuple([z.iso.datetime(), z.uuid()]);

type NotificationRow = typeof notifications.$inferSelect;

function present(row: NotificationRow): NotificationView {
  return {
    id: row.id,
    kind: row.kind as NotificationKind,
    title: row.title,
    body: row.body,
    data: row.data as NotificationView["data"],
    readAt: row.readAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
  };
}

/** The first line of a booking's description, short enough for a notification. */
function subjectOf(text: string): string {
  const line = text.split("\n")[0]?.trim() ?? "";
  return line.length > 60 ? `${line.slice(0, 57)}…` : line;
}

export function createNotificationsService(deps: NotificationsDeps) {
  const { db, pool, jobs, clock } = deps;
  const log = deps.logger.child({ component: "notifications" });

  /**
   * Names of users, read on the caller's transaction when there is one: a listener runs inside the event's
   * transaction, and a second pooled connection could wait behind requests that wait for that transaction's
   * locks (20 concurrent accepts of one quote would hold the whole pool).
   */
  async function namesOf(ids: string[]): Promise<Map<string, string>> {
    if (ids.length === 0) return new Map();
    // One statement needs no transaction of its own (its begin and commit were two more round trips).
    const rows = await (ambientTransaction(pool)?.db ?? db)
      .select({ id: userDirectory.id, name: userDirectory.name })
      .from(userDirectory)
      .where(inArray(userDirectory.id, ids));
    return new Map(rows.map((row) => [row.id, row.name]));
  }

  /**
   * Stores each notification and enqueues its push job (and email, where chosen), inside the caller's
   * transaction when there is one, else in one of its own: they exist if and only if the event committed.
   * Returns the ids of the notifications stored now (an event already notified stores nothing).
   */
  async function notify(inputs: NotifyInput[]): Promise<string[]> {
    if (inputs.length === 0) return [];
    return transaction(pool, async (tx) => {
      // A fixed number of statements however many are told at once: the recipients and their choices for
      // these kinds in one read, the rows in one insert, their push jobs in one more.
      const userIds = [...new Set(inputs.map((input) => input.userId))];
      const askedKinds = [...new Set(inputs.map((input) => input.kind))];
      const found = await tx.db
        .select({
          id: userDirectory.id,
          email: userDirectory.email,
          name: userDirectory.name,
          status: userDirectory.status,
          kind: notificationPreferences.kind,
          push: notificationPreferences.push,
          emailChosen: notificationPreferences.email,
        })
        .from(userDirectory)
        .leftJoin(
          notificationPreferences,
          and(
            eq(notificationPreferences.userId, userDirectory.id),
            inArray(notificationPreferences.kind, askedKinds),
          ),
        )
        .where(inArray(userDirectory.id, userIds));
      const people = new Map(found.map((row) => [row.id, row]));
      const chosen = new Map(
        found.flatMap((row) => (row.kind === null ? [] : [[`${row.id} ${row.kind}`, row] as const])),
      );
      const now = clock.now();
      const planned: { row: typeof notifications.$inferInsert & { id: string }; email?: Email }[] = [];
      const keys = new Set<string>();
      for (const input of inputs) {
        const person = people.get(input.userId);
        // A deleted account is told nothing.
        if (!person || person.status === "deleted") continue;
        // The same event twice in one call is one notification, as it would be one call after the other.
        const key = `${input.userId} ${input.eventKey}`;
        if (keys.has(key)) continue;
        keys.add(key);
        const choice = chosen.get(`${input.userId} ${input.kind}`);
        const defaults = defaultPreference(input.kind);
        const facts = input.facts ?? {};
        const title = kinds[input.kind].title(facts);
        const body = kinds[input.kind].body(facts);
        const wantsEmail =
          input.emailable !== false &&
          kinds[input.kind].email &&
          (choice?.emailChosen ?? defaults.email === true);
        planned.push({
          row: {
            id: newId(),
            userId: input.userId,
            kind: input.kind,
            title,
            body,
            data: { kind: input.kind, ...input.data },
            eventKey: input.eventKey,
            push: choice?.push ?? defaults.push,
            createdAt: now,
          },
          ...(wantsEmail ? { email: notificationEmail(person.email, person.name, title, body) } : {}),
        });
      }
      if (planned.length === 0) return [];
      const inserted = await tx.db
        .insert(notifications)
        .values(planned.map((plan) => plan.row))
        .onConflictDoNothing({ target: [notifications.userId, notifications.eventKey] })
        .returning({ id: notifications.id });
      const storedIds = new Set(inserted.map((row) => row.id));
      const stored = planned.filter((plan) => storedIds.has(plan.row.id));
      if (stored.length === 0) return [];
      await jobs.insert(
        stored.map((plan) => ({
          name: pushQueue,
          data: { notificationId: plan.row.id } satisfies PushJob,
          singletonKey: plan.row.id,
          retryLimit: deps.retry.limit,
          retryDelay: deps.retry.delaySeconds,
          retryBackoff: true,
          // A provider call hanging longer than this counts as failed and is retried.
          expireInSeconds: 120,
        })),
        { db: tx },
      );
      for (const plan of stored) if (plan.email) await enqueueEmail(jobs, tx, plan.email);
      return stored.map((plan) => plan.row.id);
    });
  }

  async function preferences(userId: string, executor: Executor = db): Promise<PreferencesView> {
    const rows = await executor
      .select()
      .from(notificationPreferences)
      .where(eq(notificationPreferences.userId, userId));
    const chosen = new Map(rows.map((row) => [row.kind, row]));
    return {
      preferences: notificationKinds.map((kind) => {
        const row = chosen.get(kind);
        const defaults = defaultPreference(kind);
        return {
          kind,
          push: row?.push ?? defaults.push,
          email: kinds[kind].email ? (row?.email ?? true) : null,
        };
      }),
    };
  }

  async function unreadCount(userId: string): Promise<{ unreadCount: number }> {
    const [row] = await db
      .select({ unread: count() })
      .from(notifications)
      .where(and(eq(notifications.userId, userId), isNull(notifications.readAt)));
    return { unreadCount: row?.unread ?? 0 };
  }

  /** What a chat message tells its recipient (idempotent by message id). */
  function messageNotice(recipientId: string, event: MessageEvent, senderName?: string): NotifyInput {
    const text = event.text
      ? event.text.length > 140
        ? `${event.text.slice(0, 139)}…`
        : event.text
      : undefined;
    return {
      userId: recipientId,
      kind: "newMessage",
      eventKey: `message:${event.messageId}`,
      facts: { name: senderName, ...(text ? { text } : { text: "Sent an attachment" }) },
      data: { conversationId: event.conversationId },
    };
  }

  /** Pushes one notification to `targets` and records what became of each device; throws if some failed. */
  async function push(row: NotificationRow, targets: (typeof devices.$inferSelect)[]): Promise<void> {
    const conversationId = row.data.conversationId;
    const message: PushMessage = {
      title: row.title,
      body: row.body,
      data: Object.fromEntries(
        Object.entries({ ...row.data, notificationId: row.id }).filter(
          (entry): entry is [string, string] => typeof entry[1] === "string",
        ),
      ),
      ...(row.kind === "newMessage" && conversationId
        ? { collapseKey: `conversation:${conversationId}` }
        : {}),
    };
    const outcomes = await deps.push.send(
      targets.map((device) => ({
        token: device.token,
        platform: device.platform as DevicePlatform,
        userId: device.userId,
        snsEndpointArn: device.snsEndpointArn,
      })),
      message,
    );
    const sent = outcomes.filter((outcome) => outcome.status === "sent").map((outcome) => outcome.token);
    const invalid = outcomes
      .filter((outcome) => outcome.status === "invalid")
      .map((outcome) => outcome.token);
    const failed = outcomes.filter((outcome) => outcome.status === "failed");
    await transaction(pool, async (tx) => {
      if (sent.length > 0) {
        await tx.db
          .update(notifications)
          .set({ pushedTo: sql`array_cat(${notifications.pushedTo}, ${sql.param(sent)}::text[])` })
          .where(eq(notifications.id, row.id));
      }
      // Only the user's own row: the token may have moved to someone else since it was read.
      if (invalid.length > 0) {
        await tx.db
          .delete(devices)
          .where(and(eq(devices.userId, row.userId), inArray(devices.token, invalid)));
        log.info(
          { userId: row.userId, count: invalid.length },
          "removed device tokens the provider rejected",
        );
      }
      for (const outcome of outcomes) {
        const device = targets.find((target) => target.token === outcome.token);
        if (
          outcome.status === "sent" &&
          outcome.snsEndpointArn &&
          device?.snsEndpointArn !== outcome.snsEndpointArn
        ) {
          await tx.db
            .update(devices)
            .set({ snsEndpointArn: outcome.snsEndpointArn })
            .where(and(eq(devices.token, outcome.token), eq(devices.userId, row.userId)));
        }
      }
    });
    if (failed.length > 0) {
      throw new Error(
        `push failed for ${failed.length} of ${outcomes.length} devices: ${failed.map((outcome) => outcome.error).join("; ")}`,
      );
    }
  }

  /**
   * Chat notices whose wait ends while others are being stored go together: one name look-up and one
   * transaction for all of them. If that fails, each is stored alone, so one cannot keep the others back.
   */
  const messageNotices = createBatcher<{ recipientId: string; event: MessageEvent }, void>(async (items) => {
    const store = async (batch: typeof items) => {
      const names = await namesOf([...new Set(batch.map((item) => item.event.senderId))]);
      await notify(
        batch.map((item) => messageNotice(item.recipientId, item.event, names.get(item.event.senderId))),
      );
    };
    try {
      await store(items);
      return items.map(() => ({ status: "fulfilled", value: undefined }));
    } catch {
      return Promise.all(items.map((item) => settle(() => store([item]))));
    }
  });

  const messageBatches = latestPerKey<MessageEvent>(
    deps.chatDelayMs,
    (recipientId, event) => `${recipientId} ${event.conversationId}`,
    (recipientId, event) =>
      messageNotices({ recipientId, event }).catch((error: unknown) => {
        log.error(
          { err: error, recipientId, messageId: event.messageId },
          "a chat notification could not be stored",
        );
        throw error;
      }),
  );

  return {
    notify,
    unreadCount,

    /** Bookings' `onChange` consumer: runs in the `booking.changed` worker, once per committed transition. */
    async bookingChanged(change: BookingChange, booking: BookingView): Promise<void> {
      // A booking made by accepting a quote is told as "quote accepted" by the jobs module's event.
      if (change.from === null && change.to === "accepted") return;
      if (change.detail === "disputeResponse") {
        await notify([
          {
            userId: booking.customer.id,
            kind: "disputeResponded",
            // Stated once per booking, so the key is stable across retries of the event.
            eventKey: `booking:${booking.id}:disputeResponse`,
            facts: { name: booking.contractor.name, subject: subjectOf(booking.description) },
            data: { bookingId: booking.id },
          },
        ]);
        return;
      }
      const resolved = change.from === "disputed" && resolvedStatuses.has(change.to);
      const rule = resolved
        ? { kind: "disputeResolved" as const, to: ["customer", "contractor"] as const }
        : bookingKinds[change.to];
      if (!rule) return;
      const parties = { customer: booking.customer, contractor: booking.contractor };
      const byName =
        change.by === booking.customer.id
          ? booking.customer.name
          : change.by === booking.contractor.id
            ? booking.contractor.name
            : undefined;
      const subject = subjectOf(booking.description);
      const refund = booking.refundAmount;
      await notify(
        rule.to
          .filter((side) => parties[side].id !== change.by)
          .map((side) => {
            const other = side === "customer" ? booking.contractor : booking.customer;
            const amount =
              change.to === "released" || change.to === "funded"
                ? formatMoney(
                    side === "contractor" && booking.contractorAmount
                      ? booking.contractorAmount
                      : booking.price,
                  )
                : undefined;
            return {
              userId: parties[side].id,
              kind: rule.kind,
              // One status is reached at most once: the key is stable across both sources of money events.
              eventKey: `booking:${booking.id}:${change.to}`,
              facts: {
                name: change.to === "cancelled" ? byName : other.name,
                subject,
                ...(amount ? { amount } : {}),
                ...(resolved
                  ? {
                      text:
                        change.to === "released"
                          ? "the payment was released to the contractor"
                          : refund
                            ? `${formatMoney(refund)} was refunded to the customer`
                            : "the payment was refunded to the customer",
                    }
                  : {}),
              },
              data: { bookingId: booking.id },
              // The receipt is the customer's; the contractor is told of the payment in the app.
              ...(side === "contractor" ? { emailable: false } : {}),
            };
          }),
      );
    },

    /** The jobs module's `onQuote` consumer, after the quote event committed (idempotent by event key). */
    async quoteEvent(event: QuoteEvent): Promise<void> {
      const names = await namesOf([event.customerId, event.contractorId]);
      if (event.type === "created") {
        await notify([
          {
            userId: event.customerId,
            kind: "newQuote",
            eventKey: `quote:${event.quoteId}:created`,
            facts: {
              name: names.get(event.contractorId),
              subject: event.jobTitle,
              amount: formatMoney(event.price),
            },
            data: { jobId: event.jobId, quoteId: event.quoteId },
          },
        ]);
        return;
      }
      await notify([
        {
          userId: event.contractorId,
          kind: "quoteAccepted",
          eventKey: `quote:${event.quoteId}:accepted`,
          facts: { name: names.get(event.customerId), subject: event.jobTitle },
          data: {
            jobId: event.jobId,
            quoteId: event.quoteId,
            ...(event.bookingId ? { bookingId: event.bookingId } : {}),
          },
        },
      ]);
    },

    /** The contractors module's `onDecided` consumer, inside the decision's transaction. */
    async verificationDecided(event: VerificationDecided): Promise<void> {
      await notify([
        {
          userId: event.contractorId,
          kind: "verificationDecided",
          eventKey: `verification:${event.requestId}:decided`,
          facts: {
            approved: event.decision === "approved",
            ...(event.reason ? { reason: event.reason } : {}),
          },
        },
      ]);
    },

    /** The reviews module's `onReview` consumer, after the review or reply committed. */
    async reviewEvent(event: ReviewEvent): Promise<void> {
      const created = event.kind === "review.created";
      const [recipient, author] = created
        ? [event.contractorId, event.customerId]
        : [event.customerId, event.contractorId];
      const names = await namesOf([author]);
      await notify([
        {
          userId: recipient,
          kind: created ? "newReview" : "reviewReplied",
          eventKey: `review:${event.reviewId}:${created ? "created" : "replied"}`,
          facts: { name: names.get(author), ...(created ? { rating: event.rating } : {}) },
          data: { bookingId: event.bookingId, reviewId: event.reviewId },
        },
      ]);
    },

    /** For the payments module's `onMoneyEvent`. */
    async notifyMoneyEvent(event: MoneyEvent): Promise<void> {
      const amount = formatMoney(event.amount);
      if ("withdrawalId" in event) {
        const paid = event.type === "withdrawal.paid";
        await notify([
          {
            userId: event.contractorId,
            kind: paid ? "withdrawalPaid" : "withdrawalFailed",
            eventKey: `withdrawal:${event.withdrawalId}:${paid ? "paid" : "failed"}`,
            facts: { amount, ...(event.reason ? { reason: event.reason } : {}) },
            data: { withdrawalId: event.withdrawalId },
          },
        ]);
        return;
      }
      const { bookingId } = event;
      const funded = event.type === "payment.received";
      const status = funded ? "funded" : "released";
      const to = funded ? [event.customerId, event.contractorId] : [event.contractorId];
      await notify(
        to.map((userId) => ({
          userId,
          kind: funded ? ("paymentReceived" as const) : ("fundsReleased" as const),
          eventKey: `booking:${bookingId}:${status}`,
          facts: { amount },
          data: { bookingId },
          ...(userId === event.contractorId ? { emailable: false } : {}),
        })),
      );
    },

    /**
     * For the chat module's `onMessage`. Each recipient is told after `chatDelayMs`, once for all the messages
     * of one conversation that reached them meanwhile, with the latest (a push of one conversation replaces
     * the one before on the device anyway). Pushes of one conversation collapse into the latest on the
     * device, and none is sent while the recipient has the conversation open. Resolves once stored; a notice
     * that cannot be stored is logged here, and its rejection is handled, so a caller may leave it alone.
     *
     * Called for every message, so it keeps nothing of a message but the latest of its conversation: a
     * recipient's wait is one promise, shared by every message that joins it. Anything held per message would
     * live through the wait and cost the garbage collector a copy into the old generation.
     */
    notifyMessage(event: MessageEvent): Promise<void> {
      const waits: Promise<void>[] = [];
      for (const recipientId of event.recipientIds) {
        if (recipientId !== event.senderId) waits.push(messageBatches.add(recipientId, event));
      }
      if (waits.length === 1 && waits[0]) return waits[0];
      const all = Promise.all(waits).then(() => undefined);
      // As each wait: a caller that does not wait must not leave an unhandled rejection.
      all.catch(() => {});
      return all;
    },

    /** Stores the chat notifications still waiting (at shutdown, before the database closes). */
    flushMessages: (): Promise<void> => messageBatches.flush(),

    async list(user: AuthUser, query: ListNotificationsQuery): Promise<Page<NotificationView>> {
      const after = query.cursor ? decodeCursor({ ...query, cursor: query.cursor }, cursorParts) : undefined;
      const rows = await db
        .select()
        .from(notifications)
        .where(
          and(
            eq(notifications.userId, user.id),
            query.unread ? isNull(notifications.readAt) : undefined,
            after
              ? or(
                  lt(notifications.createdAt, new Date(after[0])),
                  and(eq(notifications.createdAt, new Date(after[0])), lt(notifications.id, after[1])),
                )
              : undefined,
          ),
        )
        .orderBy(desc(notifications.createdAt), desc(notifications.id))
        .limit(query.limit + 1);
      return toPage(rows, query, (row) => [row.createdAt.toISOString(), row.id], present);
    },

    /** Marks the caller's notifications read (ids of others' are ignored); answers what stays unread. */
    async markRead(user: AuthUser, input: MarkReadInput): Promise<{ unreadCount: number }> {
      const now = clock.now();
      await db
        .update(notifications)
        .set({ readAt: now })
        .where(
          and(
            eq(notifications.userId, user.id),
            isNull(notifications.readAt),
            "ids" in input ? inArray(notifications.id, input.ids) : undefined,
          ),
        );
      return unreadCount(user.id);
    },

    preferences,

    async setPreferences(user: AuthUser, input: PreferencesInput): Promise<PreferencesView> {
      return transaction(pool, async (tx) => {
        if (input.preferences.length > 0) {
          await tx.db
            .insert(notificationPreferences)
            .values(
              input.preferences.map((preference) => ({
                userId: user.id,
                kind: preference.kind,
                push: preference.push,
                email: preference.email ?? false,
              })),
            )
            .onConflictDoUpdate({
              target: [notificationPreferences.userId, notificationPreferences.kind],
              set: { push: sql`excluded.push`, email: sql`excluded.email` },
            });
        }
        return preferences(user.id, tx.db);
      });
    },

    /** Registers a token for the caller; a token registered by someone else moves to the caller. */
    async registerDevice(user: AuthUser, input: RegisterDeviceInput): Promise<DeviceView> {
      const now = clock.now();
      const [row] = await db
        .insert(devices)
        .values({
          token: input.token,
          userId: user.id,
          platform: input.platform,
          createdAt: now,
          updatedAt: now,
        })
        .onConflictDoUpdate({
          target: devices.token,
          set: {
            userId: user.id,
            platform: input.platform,
            updatedAt: now,
            // An endpoint made for another platform cannot carry this one's pushes, and one made for another
            // user names them: the next push makes or updates the endpoint.
            snsEndpointArn: sql`case when ${devices.platform} = excluded.platform and ${devices.userId} = excluded.user_id then ${devices.snsEndpointArn} end`,
          },
        })
        .returning();
      if (!row) throw new Error("the device row vanished");
      return {
        token: row.token,
        platform: row.platform as DevicePlatform,
        registeredAt: row.updatedAt.toISOString(),
      };
    },

    async removeDevice(user: AuthUser, token: string): Promise<void> {
      const removed = await db
        .delete(devices)
        .where(and(eq(devices.token, token), eq(devices.userId, user.id)))
        .returning({ token: devices.token });
      if (removed.length === 0) {
        throw new AppError(
          notificationErrors.deviceNotFound,
          "No device with this token is registered to you",
        );
      }
    },

    /**
     * The push jobs of one fetch: each emits `notification:new` once, then pushes to the user's devices the
     * push has not reached yet. The inbox rows and the devices of the whole batch are read in one statement
     * each. Invalid tokens are removed; a job whose push fails is answered with its error, so it alone is
     * retried, for the devices it did not reach.
     */
    async deliver(
      batch: PushJob[],
      emit: (userId: string, notification: NotificationView) => void,
      online: PresenceCheck,
    ): Promise<PromiseSettledResult<void>[]> {
      const ids = [...new Set(batch.map((job) => job.notificationId))];
      const firsts = await db
        .update(notifications)
        .set({ emittedAt: clock.now() })
        .where(and(inArray(notifications.id, ids), isNull(notifications.emittedAt)))
        .returning();
      for (const row of firsts) emit(row.userId, present(row));
      const emitted = new Set(firsts.map((row) => row.id));
      const before = ids.filter((id) => !emitted.has(id));
      const rows = [
        ...firsts,
        ...(before.length > 0
          ? await db.select().from(notifications).where(inArray(notifications.id, before))
          : []),
      ];
      const pushing: NotificationRow[] = [];
      for (const row of rows) {
        if (!row.push) continue;
        const conversationId = row.data.conversationId;
        if (row.kind === "newMessage" && conversationId && (await online(row.userId, conversationId)))
          continue;
        pushing.push(row);
      }
      const owners = [...new Set(pushing.map((row) => row.userId))];
      const registered =
        owners.length > 0 ? await db.select().from(devices).where(inArray(devices.userId, owners)) : [];
      const outcomes = new Map<string, PromiseSettledResult<void>>();
      for (const row of pushing) {
        const targets = registered.filter(
          (device) => device.userId === row.userId && !row.pushedTo.includes(device.token),
        );
        if (targets.length > 0) outcomes.set(row.id, await settle(() => push(row, targets)));
      }
      const done: PromiseSettledResult<void> = { status: "fulfilled", value: undefined };
      return batch.map((job) => outcomes.get(job.notificationId) ?? done);
    },

    /** Account deletion: the user's inbox, devices and choices go with the account. */
    async eraseAccount(executor: Executor, userId: string): Promise<void> {
      await executor.delete(devices).where(eq(devices.userId, userId));
      await executor.delete(notificationPreferences).where(eq(notificationPreferences.userId, userId));
      await executor.delete(notifications).where(eq(notifications.userId, userId));
    },
  };
}

/**
 * Holds values per key for `delayMs` from the first, then runs `run` once with the latest of them; every
 * `add` of that key resolves (or rejects) with that run. A value added while its key's run is under way
 * starts the next wait.
 */
function latestPerKey<T>(
  delayMs: number,
  keyOf: (owner: string, value: T) => string,
  run: (owner: string, value: T) => Promise<void>,
) {
  interface Waiting {
    owner: string;
    latest: T;
    timer: NodeJS.Timeout;
    done: Promise<void>;
    start: () => void;
  }
  const waiting = new Map<string, Waiting>();
  const running = new Set<Promise<void>>();

  const start = (key: string, entry: Waiting) => {
    if (waiting.get(key) !== entry) return;
    waiting.delete(key);
    clearTimeout(entry.timer);
    entry.start();
  };

  return {
    add(owner: string, value: T): Promise<void> {
      const key = keyOf(owner, value);
      const found = waiting.get(key);
      if (found) {
        found.latest = value;
        return found.done;
      }
      let begin = () => {};
      const done = new Promise<void>((resolve, reject) => {
        begin = () => {
          const work = run(entry.owner, entry.latest);
          running.add(work);
          work.then(resolve, reject).finally(() => running.delete(work));
        };
      });
      // A caller that does not wait must not leave an unhandled rejection; those that wait still see it.
      done.catch(() => {});
      const entry: Waiting = {
        owner,
        latest: value,
        done,
        start: begin,
        timer: setTimeout(() => start(key, entry), delayMs),
      };
      // Shutdown flushes what waits; the timer alone does not keep the process up.
      entry.timer.unref();
      waiting.set(key, entry);
      return done;
    },

    /** Runs everything waiting now, and resolves once every run has ended. */
    async flush(): Promise<void> {
      for (const [key, entry] of [...waiting]) start(key, entry);
      await Promise.allSettled([...running]);
    },
  };
}

export interface PushJob {
  notificationId: string;
}

export type NotificationsService = ReturnType<typeof createNotificationsService>;
