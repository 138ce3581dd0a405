import { io as connect, type Socket } from "socket.io-client";

/** A real Socket.IO client signed in with `token`, resolved once connected; it does not reconnect by itself. */
export function openSocket(url: string, token: string): Promise<Socket> {
  return new Promise((resolveSocket, rejectSocket) => {
    const socket = connect(url, {
      path: "/socket.io",
      auth: { token },
      transports: ["websocket"],
      reconnection: false,
    });
    socket.on("connect", () => resolveSocket(socket));
    socket.on("connect_error", rejectSocket);
  });
}
