import type { Server, Socket } from "socket.io";
import type { Clock } from "../../clock.js";
import { AppError, coreErrors } from "../../http/errors.js";
import { parseInput } from "../../http/validation.js";
import type { Logger } from "../../logger.js";
import { conversationRoom, type RealtimeServer, type SocketData, userRoom } from "../../realtime/socket.js";
import {
  conversationEvent,
  type MessageView,
  type ReadReceiptView,
  readEvent,
  sendMessageEvent,
} from "./chat.contract.js";
import type { ChatService } from "./chat.service.js";

/** What an acknowledgement carries on failure: the API's problem code and detail (and field errors). */
interface AckError {
  error: { code: string; status: number; detail: string; errors?: unknown[] };
}

type Ack<T> = (answer: T | AckError) => void;

interface ClientEvents {
  "message:send": (payload: unknown, ack?: Ack<{ message: MessageView }>) => void;
  "message:read": (
    payload: unknown,
    ack?: Ack<Omit<ReadReceiptView, "unreadCount"> & { unreadCount: number }>,
  ) => void;
  "typing:start": (payload: unknown, ack?: Ack<{ ok: true }>) => void;
  "typing:stop": (payload: unknown, ack?: Ack<{ ok: true }>) => void;
  "conversation:open": (payload: unknown, ack?: Ack<{ ok: true }>) => void;
  "conversation:close": (payload: unknown, ack?: Ack<{ ok: true }>) => void;
}

export interface ServerEvents {
  "message:new": (payload: { message: MessageView }) => void;
  "message:read": (payload: Omit<ReadReceiptView, "unreadCount">) => void;
  "typing:update": (payload: { conversationId: string; userId: string; typing: boolean }) => void;
}

export type ChatServer = Server<ClientEvents, ServerEvents, Record<string, never>, SocketData>;
type ChatSocket = Socket<ClientEvents, ServerEvents, Record<string, never>, SocketData>;

export interface ChatSocketOptions {
  clock: Clock;
  logger: Logger;
  /** A socket's `typing:start` in one conversation reaches the other side at most once per this period. */
  typingThrottleMs: number;
}

/** The realtime core types no events of its own; the chat module's are declared above. */
export function asChatServer(io: RealtimeServer): ChatServer {
  return io as unknown as ChatServer;
}

/**
 * The chat's socket events. Every client → server event takes an acknowledgement with the stored result or
 * `{ error: { code, status, detail } }`; a malformed payload is answered like a 400, never dropped silently.
 */
export function chatSockets(service: ChatService, io: ChatServer, options: ChatSocketOptions): void {
  const log = options.logger.child({ module: "chat", component: "sockets" });

  function failure(error: unknown): AckError {
    if (error instanceof AppError) {
      return {
        error: {
          code: error.code,
          status: error.status,
          detail: error.message,
          ...(error.options.errors ? { errors: error.options.errors } : {}),
        },
      };
    }
    log.error({ err: error }, "a chat event failed");
    return {
      error: { code: coreErrors.internal.code, status: 500, detail: "Something went wrong; try again" },
    };
  }

  /** Runs one event's work and acknowledges its answer or its error; events without an ack still run. */
  function handle<T>(socket: ChatSocket, name: string, work: () => Promise<T>, ack: unknown): void {
    work().then(
      (answer) => {
        if (typeof ack === "function") ack(answer);
      },
      (error: unknown) => {
        if (typeof ack === "function") ack(failure(error));
        else if (!(error instanceof AppError))
          log.error({ err: error, event: name, socket: socket.id }, "failed");
      },
    );
  }

  io.on("connection", (socket) => {
    const user = socket.data.user;
    // Participants never change, so the other side of a conversation is looked up once per socket.
    const others = new Map<string, string>();
    const typingSentAt = new Map<string, number>();
    const otherIn = async (conversationId: string) => {
      const known = others.get(conversationId);
      if (known) return known;
      const other = await service.otherParticipant(user, conversationId);
      others.set(conversationId, other);
      return other;
    };

    socket.on("message:send", (payload, ack) =>
      handle(
        socket,
        "message:send",
        async () => {
          const { conversationId, ...input } = parseInput(sendMessageEvent, payload, "body");
          return { message: await service.send(user, conversationId, input, socket.id) };
        },
        ack,
      ),
    );

    socket.on("message:read", (payload, ack) =>
      handle(
        socket,
        "message:read",
        async () => {
          const { conversationId, upToMessageId } = parseInput(readEvent, payload, "body");
          return service.markRead(user, conversationId, upToMessageId);
        },
        ack,
      ),
    );

    const typing = (event: "typing:start" | "typing:stop", on: boolean) =>
      socket.on(event, (payload, ack) =>
        handle(
          socket,
          event,
          async () => {
            const { conversationId } = parseInput(conversationEvent, payload, "body");
            const other = await otherIn(conversationId);
            const now = options.clock.now().getTime();
            const last = typingSentAt.get(conversationId);
            if (on && (last === undefined || now - last >= options.typingThrottleMs)) {
              typingSentAt.set(conversationId, now);
              io.to(userRoom(other)).emit("typing:update", { conversationId, userId: user.id, typing: true });
            } else if (!on && last !== undefined) {
              // A stop is sent only after a start that was, and the next start may follow it at once.
              typingSentAt.delete(conversationId);
              io.to(userRoom(other)).emit("typing:update", {
                conversationId,
                userId: user.id,
                typing: false,
              });
            }
            return { ok: true as const };
          },
          ack,
        ),
      );
    typing("typing:start", true);
    typing("typing:stop", false);

    // The conversation a screen shows: while one of a user's sockets has it open, its new messages reach
    // them live and are not pushed to their devices (the notifications module asks for this room).
    socket.on("conversation:open", (payload, ack) =>
      handle(
        socket,
        "conversation:open",
        async () => {
          const { conversationId } = parseInput(conversationEvent, payload, "body");
          await otherIn(conversationId);
          await socket.join(conversationRoom(conversationId));
          return { ok: true as const };
        },
        ack,
      ),
    );
    socket.on("conversation:close", (payload, ack) =>
      handle(
        socket,
        "conversation:close",
        async () => {
          const { conversationId } = parseInput(conversationEvent, payload, "body");
          await socket.leave(conversationRoom(conversationId));
          return { ok: true as const };
        },
        ack,
      ),
    );
  });
}
