import type { Server, ServerResponse } from "node:http";
import { Server as NetServer, type Socket } from "node:net";
import type { Logger } from "../logger.js";
import type { HealthState } from "./health.js";

// Shutdown closes the listener once no connection has arrived for this long (bounded by the shutdown deadline).
const listenerQuietMs = 250;
// After the listener closes, how long a connection that has sent no request yet may take to send it.
const freshConnectionGraceMs = 1_000;
const netServerClose = NetServer.prototype.close;

export interface GracefulCloseOptions {
  health: HealthState;
  logger: Logger;
  drainMs: number;
  deadlineMs: number;
  /** Runs once the listener is closed, while in-flight requests finish (e.g. closing realtime transports). */
  onListenerClosed: () => Promise<void>;
}

/**
 * Tracks connections and responses from the start, so that shutdown resets nothing that reached the server:
 * readiness turns 503 and requests are still accepted for the drain period; then the listener closes,
 * in-flight requests finish (up to the deadline) with `Connection: close`, and idle connections are ended.
 * Returns the function that performs that shutdown.
 */
export function gracefulClose(http: Server, options: GracefulCloseOptions): () => Promise<void> {
  const { health, logger } = options;
  // Responses in flight when shutdown begins must tell their clients not to reuse the connection: a client
  // sending its next request on a connection we close would see it reset.
  const inFlight = new Set<ServerResponse>();
  // Connections by number of requests received: one accepted just before the listener closed has sent no
  // request yet (or its request is not parsed yet); closing it as "idle" would reset that request.
  const connections = new Map<Socket, number>();
  let lastConnectionAt = 0;
  http.on("connection", (socket: Socket) => {
    lastConnectionAt = Date.now();
    connections.set(socket, 0);
    socket.on("close", () => connections.delete(socket));
  });
  // One function for every response, rather than a closure per request.
  function settled(this: ServerResponse) {
    inFlight.delete(this);
  }
  http.on("request", (req, res: ServerResponse) => {
    if (health.stopping) endKeepAlive(res);
    connections.set(req.socket, (connections.get(req.socket) ?? 0) + 1);
    inFlight.add(res);
    res.once("close", settled);
  });

  return async () => {
    health.stopping = true;
    if (options.drainMs > 0) {
      logger.info({ drainMs: options.drainMs }, "draining: readiness is 503, still accepting");
      await new Promise((resolveDrain) => setTimeout(resolveDrain, options.drainMs));
    }
    // Connections the kernel has completed but the process has not accepted yet are reset when the listener
    // closes. Once the balancer has noticed, none arrive; until then (or the deadline) keep accepting, each
    // answer with `Connection: close`.
    const stopBy = Date.now() + options.deadlineMs;
    while (Date.now() - lastConnectionAt < listenerQuietMs && Date.now() < stopBy) {
      await new Promise((resolveWait) => setTimeout(resolveWait, listenerQuietMs / 5));
    }
    // The poll phase accepts every pending connection; the check phase right after it closes the listener.
    await new Promise((resolveImmediate) => setImmediate(resolveImmediate));
    // net.Server's close, not http.Server's: the latter also closes every connection without a request in
    // progress, including fresh ones whose request is on its way. Each connection is ended here instead.
    const drained = new Promise<void>((resolveDrained) => netServerClose.call(http, () => resolveDrained()));
    for (const res of inFlight) endKeepAlive(res);
    const busy = new Set([...inFlight].map((res) => res.req.socket));
    for (const [socket, requests] of connections) {
      // Kept alive after an earlier answer and idle: end it. Busy ones close after their `Connection: close`.
      if (requests > 0 && !busy.has(socket)) socket.end();
    }
    // A client that has just connected sends its request at once; one that does not is let go soon.
    const fresh = setTimeout(() => {
      for (const [socket, requests] of connections) if (requests === 0) socket.destroy();
    }, freshConnectionGraceMs);
    await options.onListenerClosed();
    const deadline = setTimeout(() => {
      logger.warn("shutdown deadline reached; closing the remaining connections");
      http.closeAllConnections();
      for (const socket of connections.keys()) socket.destroy();
    }, options.deadlineMs);
    await drained;
    clearTimeout(deadline);
    clearTimeout(fresh);
  };
}

/** Makes the response close its connection once sent, if its headers are not out yet. */
function endKeepAlive(res: ServerResponse): void {
  if (!res.headersSent) res.setHeader("Connection", "close");
}
