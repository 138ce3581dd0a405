import { Socket as TcpSocket } from "node:net";
import type { Server } from "socket.io";

/** What is read of an Engine.IO connection; its `flush` is private in the types, so it is read at run time. */
interface EngineConnection {
  readyState: string;
  transport: unknown;
  close(discard?: boolean): unknown;
}

/** The TCP connection under a WebSocket transport (ws keeps it as `_socket`); polling has none of its own. */
function tcpSocketOf(transport: unknown): TcpSocket | undefined {
  const websocket: unknown = transport && Reflect.get(transport, "socket");
  const tcp: unknown = websocket && Reflect.get(websocket, "_socket");
  return tcp instanceof TcpSocket ? tcp : undefined;
}

/**
 * Every packet Socket.IO hands a connection is written at once, one system call each: a stored batch of
 * messages answers its senders and tells its recipients in one tick, so a socket that is both gets several
 * writes where one would do, and its client wakes up for each. Here a connection's packets of one tick go to
 * the transport together at the end of that tick (`process.nextTick`, so no later than before), written in
 * one system call with the TCP socket corked. Their order is kept. A connection that is no longer open (closing)
 * flushes at once as before, so a close still waits for what was sent before it; one being upgraded is still
 * open, and its packets go to whichever transport it has at the end of the tick. A flush that throws closes
 * its connection alone. With an Engine.IO version whose connections have no `flush`, nothing changes.
 */
export function coalesceWrites(engine: Server["engine"]): void {
  engine.on("connection", (connection: EngineConnection) => {
    const flush: unknown = Reflect.get(connection, "flush");
    if (typeof flush !== "function") return;
    const flushNow = () => flush.call(connection);
    let scheduled = false;
    const flushTick = () => {
      scheduled = false;
      const tcp = tcpSocketOf(connection.transport);
      tcp?.cork();
      try {
        flushNow();
      } catch {
        // Thrown here, it would end the process; it used to reach whichever emit came first. The connection it
        // broke is closed and its client reconnects.
        connection.close(true);
      } finally {
        tcp?.uncork();
      }
    };
    Reflect.set(connection, "flush", () => {
      if (connection.readyState !== "open") return flushNow();
      if (scheduled) return;
      scheduled = true;
      process.nextTick(flushTick);
    });
  });
}
