import { and, asc, desc, eq, fillPlaceholders, gt, inArray, lt, ne, or, type SQL, sql } from "drizzle-orm";
import { PgDialect } from "drizzle-orm/pg-core";
import type pg from "pg";
import { z } from "zod";
import type { Clock } from "../../clock.js";
import type { LimitSetting } from "../../config.js";
import { createBatcher, settle } from "../../db/batcher.js";
import type { Database, Executor } from "../../db/client.js";
import { newId } from "../../db/columns.js";
import { afterCommit, ambientTransaction, inTransaction, transaction } from "../../db/transaction.js";
import type { AuthUser } from "../../http/auth.js";
import { AppError, coreErrors } from "../../http/errors.js";
import { decodeCursor, type Page, toPage } from "../../http/pagination.js";
import { createLimiter } from "../../http/rate-limit.js";
import type { Logger } from "../../logger.js";
import { bookingsBetween } from "../bookings/index.js";
import type { FilesService } from "../files/index.js";
import { userDirectory } from "../users/index.js";
import type {
  ConversationView,
  ListConversationsQuery,
  ListMessagesQuery,
  MessageView,
  ReadReceiptView,
  SendMessageInput,
} from "./chat.contract.js";
import { chatErrors } from "./chat.errors.js";
import {
  type ConversationRow,
  conversations,
  type MessageRow,
  messageAttachments,
  messages,
} from "./chat.tables.js";

/** What `files.attachedKind` says of a chat attachment. */
export const messageAttachmentKind = "message";

export interface ChatDeps {
  db: Database;
  pool: pg.Pool;
  clock: Clock;
  files: FilesService;
  logger: Logger;
  settings: {
    /** Messages one user may send per window, sockets and REST together. */
    messageLimit: LimitSetting;
  };
}

/**
 * A committed message for its recipient; the seam for push notifications to offline devices. Called for every
 * message, after its commit: a listener answers at once and deals with its own failures.
 */
export type ChatMessageListener = (message: MessageView, recipientId: string) => void;

/** How the service reaches sockets; set by the module once Socket.IO exists. */
export interface ChatDelivery {
  /** `message:new` to the recipient's devices and the sender's, except `exceptSocketId` (the sending one). */
  message(message: MessageView, recipientId: string, exceptSocketId?: string): void;
  /** `message:read` to both sides. */
  read(receipt: Omit<ReadReceiptView, "unreadCount">, otherId: string): void;
}

const seqCursor = z.tuple([z.number().int().min(0)]);
const activityCursor = z.tuple([z.iso.datetime({ offset: true }), z.uuid()]);

function conversationNotFound(): AppError {
  return new AppError(chatErrors.notFound, "No conversation with this id among yours");
}

function messageNotFound(field: string, location: "body" | "query"): AppError {
  return new AppError(chatErrors.messageNotFound, `${field}: no message with this id in this conversation`, {
    errors: [
      { path: field, code: "not_found", message: "is not a message of this conversation", in: location },
    ],
  });
}

/** Where the caller stands in a conversation. */
type Side = "customer" | "contractor";

function sideOf(row: ConversationRow, userId: string): Side | undefined {
  if (row.customerId === userId) return "customer";
  if (row.contractorId === userId) return "contractor";
  return undefined;
}

function otherOf(row: ConversationRow, side: Side): string {
  return side === "customer" ? row.contractorId : row.customerId;
}

/** Thrown inside the send transaction when the clientMessageId was taken: the transaction rolls back. */
class AlreadyStored extends Error {
  constructor(readonly parties?: { customerId: string; contractorId: string }) {
    super("already stored");
  }
}

export function createChatService(deps: ChatDeps) {
  const { db, pool, clock, files } = deps;
  const listeners: ChatMessageListener[] = [];
  const log = deps.logger.child({ module: "chat" });
  const limiter = createLimiter(pool, {
    name: "chat_message_user",
    points: deps.settings.messageLimit.points,
    windowSeconds: deps.settings.messageLimit.windowSeconds,
  });
  let delivery: ChatDelivery | undefined;

  async function conversationById(executor: Executor, id: string): Promise<ConversationRow | undefined> {
    const [row] = await executor.select().from(conversations).where(eq(conversations.id, id));
    return row;
  }

  /** A conversation the user may read: theirs, or any for admins; 404 otherwise. */
  async function readable(user: AuthUser, id: string): Promise<ConversationRow> {
    const row = await conversationById(db, id);
    if (!row) throw conversationNotFound();
    if (user.role === "admin" || sideOf(row, user.id)) return row;
    throw conversationNotFound();
  }

  /** A conversation the user takes part in, with their side; admins may look but not take part. */
  async function participating(
    executor: Executor,
    user: AuthUser,
    id: string,
  ): Promise<{ row: ConversationRow; side: Side }> {
    const row = await conversationById(executor, id);
    const side = row ? sideOf(row, user.id) : undefined;
    if (row && side) return { row, side };
    if (row && user.role === "admin")
      throw new AppError(chatErrors.notParticipant, "Admins may read this conversation but not write to it");
    throw conversationNotFound();
  }

  /** Messages with their attachments presented (fresh signed URLs), in the order given. */
  async function present(executor: Executor, rows: MessageRow[]): Promise<MessageView[]> {
    if (rows.length === 0) return [];
    const links = await executor
      .select()
      .from(messageAttachments)
      .where(
        inArray(
          messageAttachments.messageId,
          rows.map((row) => row.id),
        ),
      )
      .orderBy(asc(messageAttachments.messageId), asc(messageAttachments.position));
    const attached = await files.presentLinked(
      executor,
      links.map((link) => ({ to: link.messageId, fileId: link.fileId })),
    );
    return rows.map((row) => ({
      id: row.id,
      conversationId: row.conversationId,
      senderId: row.senderId,
      text: row.text,
      attachments: (attached.get(row.id) ?? []).map((view) => ({
        id: view.id,
        contentType: view.contentType,
        size: view.size,
        url: view.url,
        thumbnailUrl: view.thumbnailUrl,
        originalName: view.originalName,
      })),
      clientMessageId: row.clientMessageId,
      createdAt: row.createdAt.toISOString(),
    }));
  }

  /** Conversations as their list shows them, for `viewer` (unread counts and read positions are theirs). */
  async function presentConversations(
    viewer: AuthUser,
    rows: ConversationRow[],
  ): Promise<ConversationView[]> {
    if (rows.length === 0) return [];
    const ids = rows.map((row) => row.id);
    const lastRows = await db
      .select()
      .from(messages)
      .where(
        inArray(
          messages.id,
          db
            .selectDistinctOn([messages.conversationId], { id: messages.id })
            .from(messages)
            .where(inArray(messages.conversationId, ids))
            .orderBy(messages.conversationId, desc(messages.seq)),
        ),
      );
    const lastViews = new Map((await present(db, lastRows)).map((view) => [view.conversationId, view]));
    const unread = new Map<string, number>();
    if (viewer.role !== "admin") {
      const counts = await db
        .select({ conversationId: messages.conversationId, count: sql<number>`count(*)::int` })
        .from(messages)
        .innerJoin(conversations, eq(conversations.id, messages.conversationId))
        .where(
          and(
            inArray(messages.conversationId, ids),
            ne(messages.senderId, viewer.id),
            sql`${messages.seq} > case when ${conversations.customerId} = ${viewer.id} then ${conversations.customerReadSeq} else ${conversations.contractorReadSeq} end`,
          ),
        )
        .groupBy(messages.conversationId);
      for (const row of counts) unread.set(row.conversationId, row.count);
    }
    const people = new Map(
      (
        await db
          .select({ id: userDirectory.id, name: userDirectory.name, avatarKey: userDirectory.avatarKey })
          .from(userDirectory)
          .where(
            inArray(
              userDirectory.id,
              rows.flatMap((row) => [row.customerId, row.contractorId]),
            ),
          )
      ).map((person) => [
        person.id,
        {
          id: person.id,
          name: person.name,
          avatarUrl: person.avatarKey ? files.publicUrl(person.avatarKey) : null,
        },
      ]),
    );
    const personOf = (id: string) => people.get(id) ?? { id, name: "", avatarUrl: null };
    const views: ConversationView[] = [];
    for (const row of rows) {
      const side = sideOf(row, viewer.id);
      const linked = await bookingsBetween(db, row.customerId, row.contractorId);
      views.push({
        id: row.id,
        customer: personOf(row.customerId),
        contractor: personOf(row.contractorId),
        bookings: linked.map((booking) => ({
          id: booking.id,
          status: booking.status,
          scheduledStart: booking.scheduledStart.toISOString(),
        })),
        lastMessage: lastViews.get(row.id) ?? null,
        unreadCount: unread.get(row.id) ?? 0,
        otherReadUpToMessageId:
          side === "customer"
            ? row.contractorReadMessageId
            : side === "contractor"
              ? row.customerReadMessageId
              : null,
        createdAt: row.createdAt.toISOString(),
      });
    }
    return views;
  }

  /** The pair's conversation, created when there is none; one per pair, whoever races to create it. */
  /**
   * The pair's conversation, opened if it does not exist. Joins the caller's transaction when there is one (a
   * quote opens it with the quote's commit, on the quote's connection).
   */
  async function ensureConversation(customerId: string, contractorId: string): Promise<ConversationRow> {
    const now = clock.now();
    return transaction(pool, async (tx) => {
      await tx.db
        .insert(conversations)
        .values({ id: newId(), customerId, contractorId, activityAt: now, createdAt: now })
        .onConflictDoNothing({ target: [conversations.customerId, conversations.contractorId] });
      const [row] = await tx.db
        .select()
        .from(conversations)
        .where(and(eq(conversations.customerId, customerId), eq(conversations.contractorId, contractorId)));
      if (!row) throw new Error("the conversation vanished after it was ensured");
      return row;
    });
  }

  async function storedByClientId(
    senderId: string,
    clientMessageId: string,
  ): Promise<MessageRow | undefined> {
    const [row] = await db
      .select()
      .from(messages)
      .where(and(eq(messages.senderId, senderId), eq(messages.clientMessageId, clientMessageId)));
    return row;
  }

  /** A resend: the stored message when it belongs to this conversation, 409 when the id named another. */
  async function resent(row: MessageRow, conversationId: string): Promise<MessageView> {
    if (row.conversationId !== conversationId) {
      throw new AppError(
        chatErrors.clientMessageIdReused,
        "This clientMessageId already names one of your messages in another conversation; make a new one per message",
      );
    }
    const [view] = await present(db, [row]);
    if (!view) throw new Error("a stored message could not be presented");
    return view;
  }

  async function presentOne(id: string): Promise<MessageView> {
    const rows = await db.select().from(messages).where(eq(messages.id, id));
    const [view] = await present(db, rows);
    if (!view) throw new Error("a stored message could not be presented");
    return view;
  }

  interface NewMessage {
    id: string;
    text: string;
    clientMessageId: string | undefined;
    now: Date;
  }

  /**
   * A text message in one statement (atomic on its own, one round trip): the update numbers it under the
   * conversation's row lock, only where the sender takes part. No row: not their conversation; `stored`
   * false: the clientMessageId was taken (its number is skipped, which ordering does not mind).
   */
  async function insertText(
    user: AuthUser,
    conversationId: string,
    message: NewMessage,
  ): Promise<{ parties?: { customerId: string; contractorId: string }; stored: boolean }> {
    // In an idempotent request the statement joins its transaction, so the message commits with the answer.
    const executor = ambientTransaction(pool)?.db ?? db;
    const { rows } = await executor.execute<{
      customer_id: string;
      contractor_id: string;
      stored: boolean;
    }>(sql`
      with numbered as (
        update ${conversations}
        set ${sql.identifier("last_seq")} = ${conversations.lastSeq} + 1, ${sql.identifier("activity_at")} = ${message.now}
        where ${conversations.id} = ${conversationId}
          and (${conversations.customerId} = ${user.id} or ${conversations.contractorId} = ${user.id})
        returning ${conversations.id} as id, ${conversations.lastSeq} as seq, ${conversations.customerId} as customer_id,
          ${conversations.contractorId} as contractor_id
      ), inserted as (
        insert into ${messages} (id, conversation_id, seq, sender_id, text, client_message_id, created_at)
        select ${message.id}, numbered.id, numbered.seq, ${user.id}, ${message.text}, ${message.clientMessageId ?? null}, ${message.now}
        from numbered
        on conflict (sender_id, client_message_id) do nothing
        returning id
      )
      select customer_id, contractor_id, exists (select 1 from inserted) as stored from numbered`);
    const [row] = rows;
    if (!row) return { stored: false };
    return { parties: { customerId: row.customer_id, contractorId: row.contractor_id }, stored: row.stored };
  }

  interface TextSend {
    user: AuthUser;
    conversationId: string;
    message: NewMessage;
  }

  /**
   * The text of `sendTexts`, built once: the batch is in its array parameters, so the text never changes.
   * The sender's charge to the rate limit comes first; only a message it admits goes on, to be numbered in
   * its conversation where its sender takes part.
   */
  const sendTextsStatement = new PgDialect({ casing: "snake_case" }).sqlToQuery(sql`
      with ${limiter.inStatement.ctes}, input as (
        select * from unnest(
          ${sql.placeholder("ids")}::uuid[], ${sql.placeholder("conversationIds")}::uuid[],
          ${sql.placeholder("senderIds")}::uuid[], ${sql.placeholder("texts")}::text[],
          ${sql.placeholder("clientMessageIds")}::text[], ${sql.placeholder("createdAt")}::timestamptz[]
        ) with ordinality as i(id, conversation_id, sender_id, text, client_message_id, created_at, ord)
      ), eligible as (
        select i.*, c.customer_id, c.contractor_id from input i
        join charge_answers a on a.ord = i.ord and a.admitted
        join ${conversations} c on c.id = i.conversation_id
          and (c.customer_id = i.sender_id or c.contractor_id = i.sender_id)
      ), counts as (
        select conversation_id, count(*)::int as n, max(created_at) as at from eligible group by conversation_id
      ), numbered as (
        update ${conversations} c
        set ${sql.identifier("last_seq")} = c.last_seq + counts.n, ${sql.identifier("activity_at")} = counts.at
        from counts where c.id = counts.conversation_id
        returning c.id, c.last_seq - counts.n as base
      ), inserted as (
        insert into ${messages} (id, conversation_id, seq, sender_id, text, client_message_id, created_at)
        select e.id, e.conversation_id,
          numbered.base + row_number() over (partition by e.conversation_id order by e.ord),
          e.sender_id, e.text, e.client_message_id, e.created_at
        from eligible e join numbered on numbered.id = e.conversation_id
        order by e.ord
        on conflict (sender_id, client_message_id) do nothing
        returning id
      )
      select i.id, a.ord, a.admitted, a.expire, e.customer_id, e.contractor_id,
        exists (select 1 from inserted where inserted.id = i.id) as stored
      from input i join charge_answers a on a.ord = i.ord left join eligible e on e.id = i.id
      order by a.ord`);

  /** What a socket send came to: refused by the rate limit, or the outcome of its insert. */
  type SendOutcome =
    | { refused: AppError }
    | ({ refused?: undefined } & Awaited<ReturnType<typeof insertText>>);

  /**
   * Text messages sent at once, in one statement with their charges to the rate limit: each judged by the
   * limit in the order given, then numbered in its conversation in that order (a conversation's row updated
   * once for all of its messages), where its sender takes part; the same answer per message as `insertText`.
   * A clientMessageId given twice in one batch stores the first (the second conflicts, as it would one after
   * the other). A named statement: each pooled connection parses and plans it once, not once per batch.
   */
  async function storeTexts(sends: TextSend[]) {
    const senders = sends.map((send) => send.user.id);
    const { rows } = await pool.query<{
      id: string;
      ord: string;
      admitted: boolean;
      expire: string;
      customer_id: string | null;
      contractor_id: string | null;
      stored: boolean;
    }>({
      name: "chat-send-texts",
      text: sendTextsStatement.sql,
      values: fillPlaceholders(sendTextsStatement.params, {
        ...limiter.inStatement.values(senders),
        ids: sends.map((send) => send.message.id),
        conversationIds: sends.map((send) => send.conversationId),
        senderIds: senders,
        texts: sends.map((send) => send.message.text),
        clientMessageIds: sends.map((send) => send.message.clientMessageId ?? null),
        createdAt: sends.map((send) => send.message.now.toISOString()),
      }),
    });
    return rows;
  }

  /** Each send's outcome, from the rows of its committed statement. */
  async function outcomesOf(
    sends: TextSend[],
    rows: Awaited<ReturnType<typeof storeTexts>>,
  ): Promise<SendOutcome[]> {
    const refusals = await limiter.inStatement.settle(
      sends.map((send) => send.user.id),
      rows,
    );
    return sends.map((send, index): SendOutcome => {
      const refused = refusals[index];
      if (refused) return { refused };
      const row = rows[index];
      if (row?.id !== send.message.id) throw new Error("a batched message was not answered in order");
      return row.customer_id && row.contractor_id
        ? { parties: { customerId: row.customer_id, contractorId: row.contractor_id }, stored: row.stored }
        : { stored: false };
    });
  }

  /**
   * Socket sends, batched: every send that arrives while a batch is in flight goes into the next batch, whose
   * charges and inserts are one statement. A batch the database refuses (a deadlock with another process's
   * batch, say) is tried again one message at a time, so one bad message fails alone; a batch it stored is
   * never tried again.
   */
  const textSends = createBatcher<TextSend, SendOutcome>(async (sends) => {
    let rows: Awaited<ReturnType<typeof storeTexts>>;
    try {
      rows = await storeTexts(sends);
    } catch (error) {
      log.warn({ err: error, size: sends.length }, "a batch of messages failed; storing them one by one");
      return Promise.all(
        sends.map((send) =>
          settle(() =>
            chargedAlone(send.user, () => insertText(send.user, send.conversationId, send.message)),
          ),
        ),
      );
    }
    return (await outcomesOf(sends, rows)).map((value) => ({ status: "fulfilled", value }));
  });

  /**
   * A message charged to the rate limit on its own, then stored by `store`: a REST send (its answer shows the
   * limit's RateLimit-* headers) or a message with files, and a failed batch's messages one by one. A message
   * that fails to store gives its charge back: nothing was sent.
   */
  async function chargedAlone(
    user: AuthUser,
    store: () => Promise<Awaited<ReturnType<typeof insertText>>>,
  ): Promise<SendOutcome> {
    try {
      await limiter.consume(user.id);
    } catch (error) {
      if (error instanceof AppError && error.def === coreErrors.rateLimited) return { refused: error };
      throw error;
    }
    try {
      return await store();
    } catch (error) {
      await limiter.refund(user.id).catch(() => {});
      throw error;
    }
  }

  /** A message with files: numbered, stored and its files attached in one transaction. */
  async function insertWithAttachments(
    user: AuthUser,
    conversationId: string,
    message: NewMessage & { fileIds: string[] },
  ): Promise<{ parties?: { customerId: string; contractorId: string }; stored: boolean }> {
    try {
      return await transaction(pool, async (tx) => {
        const [numbered] = await tx.db
          .update(conversations)
          .set({ lastSeq: sql`${conversations.lastSeq} + 1`, activityAt: message.now })
          .where(
            and(
              eq(conversations.id, conversationId),
              or(eq(conversations.customerId, user.id), eq(conversations.contractorId, user.id)),
            ),
          )
          .returning({
            seq: conversations.lastSeq,
            customerId: conversations.customerId,
            contractorId: conversations.contractorId,
          });
        if (!numbered) return { stored: false };
        const [inserted] = await tx.db
          .insert(messages)
          .values({
            id: message.id,
            conversationId,
            seq: numbered.seq,
            senderId: user.id,
            text: message.text,
            clientMessageId: message.clientMessageId ?? null,
            createdAt: message.now,
          })
          .onConflictDoNothing({ target: [messages.senderId, messages.clientMessageId] })
          .returning({ id: messages.id });
        if (!inserted)
          throw new AlreadyStored({ customerId: numbered.customerId, contractorId: numbered.contractorId });
        await files.attach(tx.db, {
          ownerId: user.id,
          fileIds: message.fileIds,
          purposes: ["chat_attachment"],
          kind: messageAttachmentKind,
          targetId: message.id,
          field: "attachmentFileIds",
        });
        await tx.db
          .insert(messageAttachments)
          .values(message.fileIds.map((fileId, position) => ({ messageId: message.id, position, fileId })));
        return {
          parties: { customerId: numbered.customerId, contractorId: numbered.contractorId },
          stored: true,
        };
      });
    } catch (error) {
      if (!(error instanceof AlreadyStored)) throw error;
      return { parties: error.parties, stored: false };
    }
  }

  function announce(message: MessageView, recipientId: string, exceptSocketId?: string): void {
    try {
      delivery?.message(message, recipientId, exceptSocketId);
    } catch (error) {
      log.error({ err: error, messageId: message.id }, "a message could not be delivered live");
    }
    for (const listener of listeners) {
      try {
        listener(message, recipientId);
      } catch (error) {
        log.error({ err: error, messageId: message.id }, "a message listener failed");
      }
    }
  }

  return {
    ensureConversation,

    /** The seam for push notifications: called after commit with each new message and its recipient. */
    onMessage(listener: ChatMessageListener): void {
      listeners.push(listener);
    },

    /** Set by the module once Socket.IO exists; before then messages are stored and only listeners hear of them. */
    setDelivery(value: ChatDelivery): void {
      delivery = value;
    },

    /** `POST /conversations`: the caller's conversation with `participantId`, created if there is none. */
    async open(user: AuthUser, participantId: string): Promise<ConversationView> {
      if (user.role === "admin")
        throw new AppError(chatErrors.notParticipant, "Admins read conversations but take no part in them");
      const [other] = await db
        .select({ id: userDirectory.id, role: userDirectory.role, status: userDirectory.status })
        .from(userDirectory)
        .where(eq(userDirectory.id, participantId));
      if (other?.status !== "active")
        throw new AppError(chatErrors.participantNotFound, "No active user with this id");
      const wanted = user.role === "customer" ? "contractor" : "customer";
      if (other.role !== wanted) {
        throw new AppError(
          chatErrors.invalidParticipant,
          `As a ${user.role} you talk with ${wanted}s; this user is ${other.role === "admin" ? "an admin" : `a ${other.role}`}`,
        );
      }
      const row =
        user.role === "customer"
          ? await ensureConversation(user.id, participantId)
          : await ensureConversation(participantId, user.id);
      const [view] = await presentConversations(user, [row]);
      if (!view) throw new Error("a conversation could not be presented");
      return view;
    },

    async get(user: AuthUser, id: string): Promise<ConversationView> {
      const row = await readable(user, id);
      const [view] = await presentConversations(user, [row]);
      if (!view) throw new Error("a conversation could not be presented");
      return view;
    },

    /** The caller's conversations, most recent activity first; admins: everyone's, or one user's. */
    async list(user: AuthUser, query: ListConversationsQuery): Promise<Page<ConversationView>> {
      if (query.participantId && user.role !== "admin") {
        throw new AppError(coreErrors.validation, "participantId: only admins filter by participant", {
          errors: [
            { path: "participantId", code: "invalid_value", message: "is for admins only", in: "query" },
          ],
        });
      }
      const whose = user.role === "admin" ? query.participantId : user.id;
      const conditions: SQL[] = [];
      if (whose)
        conditions.push(
          or(eq(conversations.customerId, whose), eq(conversations.contractorId, whose)) as SQL,
        );
      if (query.cursor) {
        const [at, id] = decodeCursor({ ...query, cursor: query.cursor }, activityCursor);
        conditions.push(
          sql`(${conversations.activityAt}, ${conversations.id}) < (${new Date(at)}, ${id})` as SQL,
        );
      }
      const rows = await db
        .select()
        .from(conversations)
        .where(and(...conditions))
        .orderBy(desc(conversations.activityAt), desc(conversations.id))
        .limit(query.limit + 1);
      const page = toPage(
        rows,
        query,
        (row) => [row.activityAt.toISOString(), row.id],
        (row) => row,
      );
      return { items: await presentConversations(user, page.items), nextCursor: page.nextCursor };
    },

    /**
     * History: newest first, pages resuming below the last message's number, so messages arriving meanwhile
     * neither repeat nor push anything out of a page. With `after`: what came after that message, oldest first.
     */
    async history(user: AuthUser, id: string, query: ListMessagesQuery): Promise<Page<MessageView>> {
      await readable(user, id);
      const conditions: SQL[] = [eq(messages.conversationId, id)];
      let from: number | undefined;
      if (query.cursor) [from] = decodeCursor({ ...query, cursor: query.cursor }, seqCursor);
      if (query.after) {
        const [anchor] = await db
          .select({ seq: messages.seq })
          .from(messages)
          .where(and(eq(messages.id, query.after), eq(messages.conversationId, id)));
        if (!anchor) throw messageNotFound("after", "query");
        conditions.push(gt(messages.seq, Math.max(anchor.seq, from ?? 0)));
      } else if (from !== undefined) {
        conditions.push(lt(messages.seq, from));
      }
      const rows = await db
        .select()
        .from(messages)
        .where(and(...conditions))
        .orderBy(query.after ? asc(messages.seq) : desc(messages.seq))
        .limit(query.limit + 1);
      const page = toPage(
        rows,
        query,
        (row) => [row.seq],
        (row) => row,
      );
      return { items: await present(db, page.items), nextCursor: page.nextCursor };
    },

    /**
     * Stores a message, then delivers it. A resend with a clientMessageId already stored returns that message
     * and delivers nothing again (its charge to the rate limit is given back).
     */
    async send(
      user: AuthUser,
      conversationId: string,
      input: SendMessageInput,
      exceptSocketId?: string,
    ): Promise<MessageView> {
      const { clientMessageId } = input;
      const fileIds = input.attachmentFileIds ?? [];
      // Socket events run outside any request or transaction, so their text messages may share statements
      // with other senders'; a REST send keeps its own (its answer's RateLimit-* headers, its Idempotency-Key
      // transaction).
      const batched = exceptSocketId !== undefined && fileIds.length === 0 && !inTransaction(pool);
      const id = newId();
      const now = clock.now();
      const text = input.text ?? "";
      const message = { id, text, clientMessageId, now };
      const outcome: SendOutcome = batched
        ? await textSends({ user, conversationId, message })
        : await chargedAlone(user, () =>
            fileIds.length === 0
              ? insertText(user, conversationId, message)
              : insertWithAttachments(user, conversationId, { ...message, fileIds }),
          );
      if (outcome.refused) {
        // A resend of a stored message is answered even at the limit: it costs no new message.
        const stored = clientMessageId ? await storedByClientId(user.id, clientMessageId) : undefined;
        if (stored) return resent(stored, conversationId);
        throw new AppError(chatErrors.rateLimited, outcome.refused.message, {
          headers: outcome.refused.options.headers,
        });
      }
      const { parties } = outcome;
      if (!parties || !outcome.stored) {
        await limiter.refund(user.id).catch(() => {});
        if (!parties) {
          // Not theirs: say whether it exists for them at all (admins may read it, strangers get 404).
          await participating(db, user, conversationId);
          throw conversationNotFound();
        }
        const earlier = clientMessageId ? await storedByClientId(user.id, clientMessageId) : undefined;
        if (!earlier) throw new Error("a message taken by its clientMessageId could not be found");
        return resent(earlier, conversationId);
      }
      const view: MessageView =
        fileIds.length === 0
          ? {
              id,
              conversationId,
              senderId: user.id,
              text,
              attachments: [],
              clientMessageId: clientMessageId ?? null,
              createdAt: now.toISOString(),
            }
          : await presentOne(id);
      // Sent over REST with an Idempotency-Key, the message commits with the stored answer: nobody hears of it
      // before then, nor at all if that transaction rolls back.
      afterCommit(pool, () =>
        announce(
          view,
          parties.customerId === user.id ? parties.contractorId : parties.customerId,
          exceptSocketId,
        ),
      );
      return view;
    },

    /** Moves the caller's read position forward to `upToMessageId` (never back) and tells both sides. */
    async markRead(user: AuthUser, conversationId: string, upToMessageId: string): Promise<ReadReceiptView> {
      const { row, side } = await participating(db, user, conversationId);
      const [target] = await db
        .select({ seq: messages.seq })
        .from(messages)
        .where(and(eq(messages.id, upToMessageId), eq(messages.conversationId, conversationId)));
      if (!target) throw messageNotFound("upToMessageId", "body");
      const now = clock.now();
      const seqColumn = side === "customer" ? conversations.customerReadSeq : conversations.contractorReadSeq;
      const fields =
        side === "customer"
          ? { customerReadSeq: target.seq, customerReadMessageId: upToMessageId, customerReadAt: now }
          : { contractorReadSeq: target.seq, contractorReadMessageId: upToMessageId, contractorReadAt: now };
      // Receipts may arrive out of order (two devices, a retry): only a later position moves it.
      const [moved] = await db
        .update(conversations)
        .set(fields)
        .where(and(eq(conversations.id, conversationId), lt(seqColumn, target.seq)))
        .returning();
      const current = moved ?? (await conversationById(db, conversationId)) ?? row;
      const position =
        side === "customer"
          ? { seq: current.customerReadSeq, id: current.customerReadMessageId, at: current.customerReadAt }
          : {
              seq: current.contractorReadSeq,
              id: current.contractorReadMessageId,
              at: current.contractorReadAt,
            };
      const [unread] = await db
        .select({ count: sql<number>`count(*)::int` })
        .from(messages)
        .where(
          and(
            eq(messages.conversationId, conversationId),
            ne(messages.senderId, user.id),
            gt(messages.seq, position.seq),
          ),
        );
      const receipt = {
        conversationId,
        userId: user.id,
        upToMessageId: position.id ?? upToMessageId,
        readAt: (position.at ?? now).toISOString(),
      };
      if (moved) delivery?.read(receipt, otherOf(row, side));
      return { ...receipt, unreadCount: unread?.count ?? 0 };
    },

    /** Who else is in a conversation the user takes part in (for typing indicators); 404 for anyone else. */
    async otherParticipant(user: AuthUser, conversationId: string): Promise<string> {
      const { row, side } = await participating(db, user, conversationId);
      return otherOf(row, side);
    },

    /** The files module's read rule: a message's attachments are read by both participants. */
    async mayReadAttachment(reader: AuthUser, messageId: string): Promise<boolean> {
      const [found] = await db
        .select({ id: conversations.id })
        .from(messages)
        .innerJoin(conversations, eq(conversations.id, messages.conversationId))
        .where(
          and(
            eq(messages.id, messageId),
            or(eq(conversations.customerId, reader.id), eq(conversations.contractorId, reader.id)),
          ),
        );
      return found !== undefined;
    },

    /**
     * Account deletion, inside its transaction: the user's messages lose their text and their attachments
     * (whose files the deletion removes); the other side keeps the conversation and its own messages.
     */
    async eraseAccount(executor: Executor, userId: string): Promise<void> {
      const sent = executor.select({ id: messages.id }).from(messages).where(eq(messages.senderId, userId));
      await executor.delete(messageAttachments).where(inArray(messageAttachments.messageId, sent));
      await executor.update(messages).set({ text: "" }).where(eq(messages.senderId, userId));
    },
  };
}

export type ChatService = ReturnType<typeof createChatService>;
