import type { Socket } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Account, login, register } from "../../test/accounts.js";
import { TestClock } from "../../test/clock.js";
import { startTestServer, type TestServer } from "../../test/server.js";
import { codeIn, startSmtp, type TestSmtp } from "../../test/smtp.js";
import { openSocket } from "../../test/sockets.js";

/** Resolves with the disconnect reason once the server drops the socket. */
function dropped(socket: Socket): Promise<string> {
  return new Promise((resolveReason) => socket.once("disconnect", (reason) => resolveReason(reason)));
}

/** The session (`sid`) an account's access token belongs to. */
function sessionIdOf(account: Account): string {
  const claims = JSON.parse(Buffer.from(account.accessToken.split(".")[1] ?? "", "base64url").toString()) as {
    sid: string;
  };
  return claims.sid;
}

/** Lets the server finish what it does after answering (the signal runs right after the commit). */
const settle = () => new Promise((resolveWait) => setTimeout(resolveWait, 300));

describe("sockets end with their sessions", () => {
  let app: TestServer;
  let smtp: TestSmtp;
  const clock = new TestClock();
  const sockets: Socket[] = [];

  const track = async (promise: Promise<Socket>) => {
    const socket = await promise;
    sockets.push(socket);
    return socket;
  };

  /** A user with three sessions (A, B, C), two sockets on A and one each on B and C. */
  async function threeSessions() {
    const a = await register(app);
    const b = await login(app, a.email, a.password);
    const c = await login(app, a.email, a.password);
    return {
      sessions: { a, b, c },
      sockets: {
        a1: await track(openSocket(app.url, a.accessToken)),
        a2: await track(openSocket(app.url, a.accessToken)),
        b: await track(openSocket(app.url, b.accessToken)),
        c: await track(openSocket(app.url, c.accessToken)),
      },
    };
  }

  let bystander: Socket;

  /**
   * Another instance's logout whose notification this one missed (its listening connection was down): the
   * sessions are revoked in the database and nothing tells this process.
   */
  const revokeWithoutSignal = (sessionIds: string[]) =>
    app.server.database.pool.query(
      "update sessions set revoked_at = now(), revoked_reason = 'logout' where id = any($1)",
      [sessionIds],
    );

  beforeAll(async () => {
    smtp = await startSmtp();
    app = await startTestServer({ SMTP_URL: smtp.url }, { clock });
    const other: Account = await register(app);
    bystander = await track(openSocket(app.url, other.accessToken));
  });
  afterAll(async () => {
    for (const socket of sockets) socket.close();
    await app.close();
    await smtp.close();
  });

  it("logout closes only the sockets of that session", async () => {
    const user = await threeSessions();
    const gone = [dropped(user.sockets.a1), dropped(user.sockets.a2)];
    const response = await app.request("POST", "/api/v1/auth/logout", {
      token: user.sessions.a.accessToken,
      body: { refreshToken: user.sessions.a.refreshToken },
    });
    expect(response.status).toBe(204);
    expect(await Promise.all(gone)).toEqual(["io server disconnect", "io server disconnect"]);
    await settle();
    expect(user.sockets.b.connected).toBe(true);
    expect(user.sockets.c.connected).toBe(true);
    expect(bystander.connected).toBe(true);
  });

  it("logout-all closes every socket of the user and no one else's", async () => {
    const user = await threeSessions();
    const gone = Object.values(user.sockets).map(dropped);
    const response = await app.request("POST", "/api/v1/auth/logout-all", {
      token: user.sessions.b.accessToken,
    });
    expect(response.status).toBe(204);
    expect(await Promise.all(gone)).toHaveLength(4);
    await settle();
    expect(bystander.connected).toBe(true);
  });

  it("a password change closes every socket of the user, the current session's included", async () => {
    const user = await threeSessions();
    const gone = Object.values(user.sockets).map(dropped);
    const response = await app.request("POST", "/api/v1/auth/password/change", {
      token: user.sessions.c.accessToken,
      body: { currentPassword: user.sessions.a.password, newPassword: "a completely new passphrase" },
    });
    expect(response.status).toBe(204);
    expect(await Promise.all(gone)).toHaveLength(4);
    await settle();
    expect(bystander.connected).toBe(true);
  });

  it("a password reset closes every socket of the user", async () => {
    const user = await threeSessions();
    const gone = Object.values(user.sockets).map(dropped);
    const email = user.sessions.a.email;
    await app.request("POST", "/api/v1/auth/password/forgot", { body: { email } });
    const code = codeIn(await smtp.waitFor(email, /password reset code/));
    const response = await app.request("POST", "/api/v1/auth/password/reset", {
      body: { email, code, newPassword: "a completely new passphrase" },
    });
    expect(response.status).toBe(204);
    expect(await Promise.all(gone)).toHaveLength(4);
    await settle();
    expect(bystander.connected).toBe(true);
  });

  it("a replayed refresh token closes the sockets of the session it ends", async () => {
    const user = await threeSessions();
    const gone = dropped(user.sockets.b);
    const body = { refreshToken: user.sessions.b.refreshToken };
    expect((await app.request("POST", "/api/v1/auth/refresh", { body })).status).toBe(200);
    clock.advance(31_000); // past REFRESH_REUSE_GRACE_SECONDS: a retry, not a replay, inside it
    const replay = await app.request("POST", "/api/v1/auth/refresh", { body });
    expect(replay.body.code).toBe("auth.refresh_reused");
    expect(await gone).toBe("io server disconnect");
    await settle();
    expect(user.sockets.a1.connected).toBe(true);
    expect(user.sockets.c.connected).toBe(true);
  });

  it("notices a session ended without a signal (one missed while listening was down) at the next event", async () => {
    const user = await threeSessions();
    await revokeWithoutSignal([sessionIdOf(user.sessions.b)]);

    // Past the check's cache, the next event from each socket re-checks its session.
    clock.advance(6_000);
    const gone = dropped(user.sockets.b);
    user.sockets.b.emit("typing:start", { conversationId: "00000000-0000-7000-8000-000000000000" });
    user.sockets.c.emit("typing:start", { conversationId: "00000000-0000-7000-8000-000000000000" });
    expect(await gone).toBe("io server disconnect");
    await settle();
    expect(user.sockets.c.connected).toBe(true);
    expect(user.sockets.a1.connected).toBe(true);
  });

  it("checks the sessions of many sockets due at once together, closing exactly the ended ones", async () => {
    const users = await Promise.all(Array.from({ length: 12 }, () => register(app)));
    const connected = await Promise.all(
      users.map((account) => track(openSocket(app.url, account.accessToken))),
    );
    // Without a signal: three sessions revoked, one expired, one account suspended.
    await revokeWithoutSignal(
      [users[1], users[4], users[9]].map((account) => sessionIdOf(account as Account)),
    );
    await app.server.database.pool.query("update sessions set expires_at = now() where id = $1", [
      sessionIdOf(users[6] as Account),
    ]);
    await app.server.database.pool.query("update users set status = 'suspended' where id = $1", [
      users[7]?.id,
    ]);
    const ended = new Set([1, 4, 6, 7, 9]);

    clock.advance(6_000);
    const outcomes = await Promise.all(
      connected.map(
        (socket) =>
          new Promise<string>((settled) => {
            socket.once("disconnect", (reason) => settled(reason));
            socket.emit(
              "conversation:close",
              { conversationId: "00000000-0000-7000-8000-000000000000" },
              () => settled("answered"),
            );
          }),
      ),
    );
    expect(outcomes).toEqual(
      connected.map((_, index) => (ended.has(index) ? "io server disconnect" : "answered")),
    );
  });

  it("renews a busy socket's check beside its events, and still closes a session ended without a signal", async () => {
    const user = await threeSessions();
    await revokeWithoutSignal([sessionIdOf(user.sessions.b)]);
    // An event answered without a query of its own, so its answer cannot lose a race with the check's.
    const conversationId = "00000000-0000-7000-8000-000000000000";
    const closeView = (socket: Socket) =>
      new Promise<unknown>((answered) => socket.emit("conversation:close", { conversationId }, answered));

    // Half the check's period old: the event is answered without waiting, and the check runs beside it.
    clock.advance(3_000);
    const gone = dropped(user.sockets.b);
    const burst = Array.from({ length: 20 }, () => closeView(user.sockets.b));
    expect(await Promise.race([burst[0], gone])).toEqual({ ok: true });
    expect(await gone).toBe("io server disconnect");
    // A session that holds stays connected, its events answered all along.
    expect(await closeView(user.sockets.c)).toEqual({ ok: true });
    await settle();
    expect(user.sockets.c.connected).toBe(true);

    // Past the whole period, an event of an ended session is not answered at all: the socket closes first.
    await app.server.database.pool.query(
      "update sessions set revoked_at = now(), revoked_reason = 'logout' where user_id = $1 and revoked_at is null",
      [user.sessions.c.id],
    );
    clock.advance(6_000);
    const closed = dropped(user.sockets.c);
    const late = closeView(user.sockets.c);
    expect(await Promise.race([late.then(() => "answered"), closed])).toBe("io server disconnect");
  });
});
