import { io as connect, type Socket } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { login, register } from "../../test/accounts.js";
import { startTestServer, type TestServer } from "../../test/server.js";
import { userRoom } from "./socket.js";

const adminEmail = "root@jobsphere.test";
const adminPassword = "root pass for socket tests";

type Outcome =
  | { connected: true; socket: Socket }
  | { connected: false; message: string; data: { code: string; status: number } };

function attempt(
  url: string,
  auth: Record<string, unknown>,
  transports: ("polling" | "websocket")[] | undefined = ["websocket"],
): Promise<Outcome> {
  return new Promise((resolveOutcome) => {
    const socket = connect(url, {
      path: "/socket.io",
      auth,
      reconnection: false,
      ...(transports ? { transports } : {}),
    });
    socket.on("connect", () => resolveOutcome({ connected: true, socket }));
    socket.on("connect_error", (error: Error & { data?: { code: string; status: number } }) => {
      socket.close();
      resolveOutcome({
        connected: false,
        message: error.message,
        data: error.data ?? { code: "none", status: 0 },
      });
    });
  });
}

describe("Socket.IO handshake", () => {
  let app: TestServer;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    app = await startTestServer({ ADMIN_EMAIL: adminEmail, ADMIN_PASSWORD: adminPassword });
  });
  afterAll(async () => {
    for (const socket of sockets) socket.close();
    await app.close();
  });

  it("accepts a valid access token", async () => {
    const account = await register(app);
    const outcome = await attempt(app.url, { token: account.accessToken });
    expect(outcome.connected).toBe(true);
    if (outcome.connected) sockets.push(outcome.socket);
  });

  it.each([
    ["no token", {}, "auth.unauthenticated", 401],
    ["a malformed token", { token: "abc.def.ghi" }, "auth.invalid_token", 401],
  ])("refuses %s with a readable error", async (_name, auth, code, status) => {
    const outcome = await attempt(app.url, auth);
    expect(outcome.connected).toBe(false);
    if (!outcome.connected) {
      expect(outcome.data).toEqual({ code, status });
      expect(outcome.message.length).toBeGreaterThan(0);
    }
  });

  it("refuses a suspended user and drops their open connections", async () => {
    const account = await register(app, "contractor");
    const open = await attempt(app.url, { token: account.accessToken });
    expect(open.connected).toBe(true);
    if (!open.connected) return;
    sockets.push(open.socket);
    const disconnected = new Promise<string>((resolveReason) =>
      open.socket.on("disconnect", (reason) => resolveReason(reason)),
    );

    const admin = await login(app, adminEmail, adminPassword);
    const suspend = await app.request("PATCH", `/api/v1/admin/users/${account.id}`, {
      token: admin.accessToken,
      body: { status: "suspended" },
    });
    expect(suspend.status).toBe(200);
    expect(await disconnected).toBe("io server disconnect");

    const again = await attempt(app.url, { token: account.accessToken });
    expect(again.connected).toBe(false);
    if (!again.connected) expect(again.data).toEqual({ code: "auth.account_suspended", status: 403 });
  });
});

// socket_io_client (Dart) and socket.io-client (JS) start with HTTP long-polling and upgrade to WebSocket unless
// told otherwise; both the default and polling alone must reach the server, not the API's 404.
describe.each([
  ["the client's default transports (polling, then upgrade)", undefined],
  ["long-polling only", ["polling" as const]],
])("Socket.IO over %s", (_name, transports) => {
  let app: TestServer;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    app = await startTestServer();
  });
  afterAll(async () => {
    for (const socket of sockets) socket.close();
    await app.close();
  });

  it("connects with the access token and receives what is sent to the user's room", async () => {
    const account = await register(app);
    const outcome = await attempt(app.url, { token: account.accessToken }, transports);
    expect(outcome.connected).toBe(true);
    if (!outcome.connected) return;
    sockets.push(outcome.socket);
    if (transports === undefined) {
      await new Promise<void>((upgraded) => {
        if (outcome.socket.io.engine.transport.name === "websocket") upgraded();
        else outcome.socket.io.engine.once("upgrade", () => upgraded());
      });
      expect(outcome.socket.io.engine.transport.name).toBe("websocket");
    } else {
      expect(outcome.socket.io.engine.transport.name).toBe("polling");
    }
    const received = new Promise<unknown>((resolveEvent) =>
      outcome.socket.on("notification:new" as never, (payload: unknown) => resolveEvent(payload)),
    );
    // The room a module addresses a user through; the server end is the running server's own Socket.IO.
    (app.server.io.to(userRoom(account.id)) as unknown as { emit(event: string, data: unknown): void }).emit(
      "notification:new",
      { notification: { id: "n1" } },
    );
    expect(await received).toEqual({ notification: { id: "n1" } });
  });

  it("refuses a handshake without a token with connect_error carrying the code", async () => {
    const outcome = await attempt(app.url, {}, transports);
    expect(outcome.connected).toBe(false);
    if (!outcome.connected) expect(outcome.data).toEqual({ code: "auth.unauthenticated", status: 401 });
  });

  it("refuses a token of an ended session", async () => {
    const account = await register(app);
    const logout = await app.request("POST", "/api/v1/auth/logout-all", { token: account.accessToken });
    expect(logout.status).toBe(204);
    const outcome = await attempt(app.url, { token: account.accessToken }, transports);
    expect(outcome.connected).toBe(false);
    if (!outcome.connected) expect(outcome.data).toEqual({ code: "auth.session_ended", status: 401 });
  });
});
