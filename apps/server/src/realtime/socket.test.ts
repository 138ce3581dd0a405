import { io as connect, type Socket } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { login, register } from "../../test/accounts.js";
import { startTestServer, type TestServer } from "../../test/server.js";

const adminEmail = "root@jobsphere.test";
const adminPassword = "root pass for socket tests";

type Outcome =
  | { connected: true; socket: Socket }
  | { connected: false; message: string; data: { code: string; status: number } };

function attempt(url: string, auth: Record<string, unknown>): Promise<Outcome> {
  return new Promise((resolveOutcome) => {
    const socket = connect(url, { path: "/socket.io", auth, transports: ["websocket"], reconnection: false });
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
