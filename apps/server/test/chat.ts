import type { Socket } from "socket.io-client";

/** Emits a client event and resolves with its acknowledgement (fails after `timeoutMs`). */
export function ask<T = { [key: string]: unknown }>(
  socket: Socket,
  event: string,
  payload: unknown,
  timeoutMs = 10_000,
): Promise<T> {
  return socket.timeout(timeoutMs).emitWithAck(event, payload) as Promise<T>;
}

/** The next `event` on `socket` that `accept` takes (every one by default). */
export function next<T = { [key: string]: unknown }>(
  socket: Socket,
  event: string,
  accept: (payload: T) => boolean = () => true,
  timeoutMs = 10_000,
): Promise<T> {
  return new Promise((resolveEvent, rejectEvent) => {
    const timer = setTimeout(() => {
      socket.off(event, listener);
      rejectEvent(new Error(`no ${event} within ${timeoutMs} ms`));
    }, timeoutMs);
    const listener = (payload: T) => {
      if (!accept(payload)) return;
      clearTimeout(timer);
      socket.off(event, listener);
      resolveEvent(payload);
    };
    socket.on(event, listener);
  });
}

/** Everything `socket` receives as `event` from now on, for asserting what did (not) arrive. */
export function collect<T = { [key: string]: unknown }>(socket: Socket, event: string): T[] {
  const seen: T[] = [];
  socket.on(event, (payload: T) => seen.push(payload));
  return seen;
}

export const settle = (ms: number) => new Promise((resolveLater) => setTimeout(resolveLater, ms));
