import { readFileSync } from "node:fs";
import type { Server } from "socket.io";
import { io as connect, type Socket } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { register } from "../../test/accounts.js";
import { TestClock } from "../../test/clock.js";
import { startTestServer, type TestServer } from "../../test/server.js";
import { openSocket } from "../../test/sockets.js";
import { until } from "../../test/until.js";
import { adapterWarmUpMs, userRoom } from "./socket.js";

/** This process's write system calls so far (the server runs in the test's own process). */
function writeCalls(): number {
  const count = /syscw: (\d+)/.exec(readFileSync("/proc/self/io", "utf8"))?.[1];
  if (count === undefined) throw new Error("/proc/self/io has no syscw");
  return Number(count);
}

/** Everything `probe` brings a client, in arrival order. */
function collect(socket: Socket): number[] {
  const seen: number[] = [];
  socket.on("probe", (index: number) => seen.push(index));
  return seen;
}

const inOrder = (count: number) => Array.from({ length: count }, (_, index) => index);

describe("a connection's packets of one tick leave together", () => {
  let app: TestServer;
  let io: Server;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    const clock = new TestClock();
    app = await startTestServer({}, { clock });
    // An instance alone past its warm-up emits straight to its sockets, in the tick of the emit.
    clock.advance(adapterWarmUpMs);
    // The realtime core declares no events of its own; these tests emit one of theirs.
    io = app.server.io as unknown as Server;
  });
  afterAll(async () => {
    for (const socket of sockets) socket.close();
    await app.close();
  });

  async function connected(transports: ("websocket" | "polling")[] = ["websocket"]) {
    const account = await register(app);
    const socket =
      transports[0] === "websocket"
        ? await openSocket(app.url, account.accessToken)
        : await new Promise<Socket>((resolveSocket, rejectSocket) => {
            const polling = connect(app.url, {
              path: "/socket.io",
              auth: { token: account.accessToken },
              transports,
              reconnection: false,
            });
            polling.on("connect", () => resolveSocket(polling));
            polling.on("connect_error", rejectSocket);
          });
    sockets.push(socket);
    return { account, socket };
  }

  it.skipIf(process.platform !== "linux")(
    "writes 300 events emitted in one tick with a handful of system calls, in order",
    async () => {
      const { account, socket } = await connected();
      const seen = collect(socket);
      const before = writeCalls();
      for (const index of inOrder(300)) io.to(userRoom(account.id)).emit("probe", index);
      // Counted up to the next turn of the event loop, by which the tick's writes are made: one write per
      // event would be 300, and little else in the process (its job polling) writes in that instant.
      await new Promise((turn) => setImmediate(turn));
      expect(writeCalls() - before).toBeLessThan(10);
      await until("the 300 events", () => seen.length === 300);
      expect(seen).toEqual(inOrder(300));
    },
  );

  it("delivers what was emitted before a disconnect made in the same tick, then disconnects", async () => {
    const { account, socket } = await connected();
    const seen = collect(socket);
    const reason = new Promise<string>((resolveReason) => socket.once("disconnect", resolveReason));
    const [server] = await io.in(userRoom(account.id)).fetchSockets();
    for (const index of inOrder(50)) io.to(userRoom(account.id)).emit("probe", index);
    server?.disconnect(true);
    expect(await reason).toBe("io server disconnect");
    expect(seen).toEqual(inOrder(50));
  });

  it("keeps the order over long polling, which has no socket of its own to hold", async () => {
    const { account, socket } = await connected(["polling"]);
    const seen = collect(socket);
    for (const index of inOrder(100)) io.to(userRoom(account.id)).emit("probe", index);
    await until("the 100 events over polling", () => seen.length === 100);
    expect(seen).toEqual(inOrder(100));
  });

  it("writes a 6 MB burst in order and goes on serving the next one", async () => {
    const { account, socket } = await connected();
    const seen = collect(socket);
    const padding = "x".repeat(2048);
    for (const index of inOrder(3000)) io.to(userRoom(account.id)).emit("probe", index, padding);
    await until("the 3,000 events", () => seen.length === 3000, { everyMs: 20 });
    io.to(userRoom(account.id)).emit("probe", 3000);
    await until("the event after the burst", () => seen.length === 3001);
    expect(seen).toEqual(inOrder(3001));
  });

  it("closes only the connection whose write throws, and the process goes on serving the others", async () => {
    const { account, socket } = await connected();
    const bystander = await connected();
    const bystanderSeen = collect(bystander.socket);
    const reason = new Promise<string>((resolveReason) => socket.once("disconnect", resolveReason));
    const [server] = await io.in(userRoom(account.id)).fetchSockets();
    const transport = Reflect.get(Reflect.get(server ?? {}, "conn") as object, "transport") as {
      send(packets: unknown[]): void;
    };
    transport.send = () => {
      throw new Error("the transport broke");
    };
    io.to(userRoom(account.id)).emit("probe", 0);
    io.to(userRoom(bystander.account.id)).emit("probe", 0);
    expect(await reason).toBe("transport close");
    await until("the bystander's event", () => bystanderSeen.length === 1);
    expect(bystanderSeen).toEqual([0]);
  });

  it("survives a client that drops its connection in the middle of a burst", async () => {
    const { account, socket } = await connected();
    const bystander = await connected();
    const bystanderSeen = collect(bystander.socket);
    // The client's TCP connection under engine.io-client's WebSocket (ws), destroyed without a closing frame.
    const transport: unknown = Reflect.get(Reflect.get(socket.io, "engine") as object, "transport");
    const websocket = Reflect.get(transport as object, "ws") as { _socket: { destroy(): void } };
    socket.once("probe", () => websocket._socket.destroy());
    const padding = "x".repeat(4096);
    for (const index of inOrder(2000)) io.to(userRoom(account.id)).emit("probe", index, padding);
    await until("the server to let the dropped socket go", async () => {
      const left = await io.in(userRoom(account.id)).fetchSockets();
      return left.length === 0;
    });
    io.to(userRoom(bystander.account.id)).emit("probe", 0);
    await until("the bystander's event", () => bystanderSeen.length === 1);
    expect(bystanderSeen).toEqual([0]);
  });
});
