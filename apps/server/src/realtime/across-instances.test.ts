import { generateKeyPairSync } from "node:crypto";
import pg from "pg";
import type { Socket } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Account, login, register, strongPassword } from "../../test/accounts.js";
import { TestClock } from "../../test/clock.js";
import { startTestServer, type TestServer } from "../../test/server.js";
import { openSocket } from "../../test/sockets.js";
import { until } from "../../test/until.js";
import { adapterWarmUpMs, userRoom } from "./socket.js";

/** Emits `event` to a user's room from `server`, as a module would. */
function emitToUser(server: TestServer, userId: string, event: string, payload: unknown): void {
  // The typed server declares no events of its own; the modules that push events add theirs.
  (server.server.io as unknown as { to(room: string): { emit(event: string, payload: unknown): void } })
    .to(userRoom(userId))
    .emit(event, payload);
}

/** Resolves with the disconnect reason and how long after `since` the server dropped the socket. */
function dropped(socket: Socket, since: () => number): Promise<{ reason: string; afterMs: number }> {
  return new Promise((resolveDrop) =>
    socket.once("disconnect", (reason) => resolveDrop({ reason, afterMs: Date.now() - since() })),
  );
}

describe("ending a session closes its sockets on every instance", () => {
  // Two instances on one database, as behind a load balancer. The sockets' periodic session check is left
  // at ten minutes, so only the cross-instance signal can close an idle socket within the test.
  let a: TestServer;
  let b: TestServer;
  const sockets: Socket[] = [];
  const env = {
    ADMIN_EMAIL: "root@example.com",
    ADMIN_PASSWORD: strongPassword,
    SOCKET_SESSION_CHECK_MS: "600000",
    // Instances behind one balancer share the signing key: a token issued by A is honoured by B.
    JWT_PRIVATE_KEY: generateKeyPairSync("ed25519")
      .privateKey.export({ type: "pkcs8", format: "pem" })
      .toString(),
  };

  const track = async (promise: Promise<Socket>) => {
    const socket = await promise;
    sockets.push(socket);
    return socket;
  };

  beforeAll(async () => {
    a = await startTestServer(env);
    b = await startTestServer(env, { database: a.database });
  });
  afterAll(async () => {
    for (const socket of sockets) socket.close();
    await b.close();
    await a.close();
  });

  it("logout-all through B closes the user's sockets on A at once, and not another user's", async () => {
    const user = await register(a);
    const other: Account = await register(a);
    const onA = await track(openSocket(a.url, user.accessToken));
    const bystander = await track(openSocket(a.url, other.accessToken));
    let sentAt = 0;
    const gone = dropped(onA, () => sentAt);

    sentAt = Date.now();
    const response = await b.request("POST", "/api/v1/auth/logout-all", { token: user.accessToken });
    expect(response.status).toBe(204);
    const drop = await gone;
    expect(drop.reason).toBe("io server disconnect");
    expect(drop.afterMs).toBeLessThan(2_000);
    await new Promise((settle) => setTimeout(settle, 300));
    expect(bystander.connected).toBe(true);
  });

  it("logout through B closes only that session's socket on A", async () => {
    const first = await register(a);
    const second = await login(a, first.email, first.password);
    const ended = await track(openSocket(a.url, first.accessToken));
    const kept = await track(openSocket(a.url, second.accessToken));
    let sentAt = 0;
    const gone = dropped(ended, () => sentAt);

    sentAt = Date.now();
    const response = await b.request("POST", "/api/v1/auth/logout", {
      token: first.accessToken,
      body: { refreshToken: first.refreshToken },
    });
    expect(response.status).toBe(204);
    expect((await gone).afterMs).toBeLessThan(2_000);
    await new Promise((settle) => setTimeout(settle, 300));
    expect(kept.connected).toBe(true);
  });

  it("a suspension made on B closes the user's sockets on A", async () => {
    const admin = await login(b, "root@example.com", strongPassword);
    const user = await register(a);
    const other = await register(a);
    const onA = await track(openSocket(a.url, user.accessToken));
    const bystander = await track(openSocket(a.url, other.accessToken));
    let sentAt = 0;
    const gone = dropped(onA, () => sentAt);

    sentAt = Date.now();
    const response = await b.request("PATCH", `/api/v1/admin/users/${user.id}`, {
      token: admin.accessToken,
      body: { status: "suspended" },
    });
    expect(response.status).toBe(200);
    const drop = await gone;
    expect(drop.reason).toBe("io server disconnect");
    expect(drop.afterMs).toBeLessThan(2_000);
    await new Promise((settle) => setTimeout(settle, 300));
    expect(bystander.connected).toBe(true);
  });

  it("ignores a malformed notification on the channel and keeps serving", async () => {
    const user = await register(a);
    const socket = await track(openSocket(a.url, user.accessToken));
    await a.database.admin("select pg_notify('jobsphere_sessions_ended', $1)", ["not json {"]);
    await a.database.admin("select pg_notify('jobsphere_sessions_ended', $1)", [
      JSON.stringify({ userId: "nobody" }),
    ]);
    await new Promise((settle) => setTimeout(settle, 300));
    expect(socket.connected).toBe(true);
    expect((await a.request("GET", "/health/live")).status).toBe(200);
  });

  it("an event sent to a user's room on B reaches that user's sockets on A, small or large, and no one else", async () => {
    const user = await register(a);
    const other = await register(a);
    const onA = await track(openSocket(a.url, user.accessToken));
    const onB = await track(openSocket(b.url, user.accessToken));
    const bystander = await track(openSocket(a.url, other.accessToken));
    const seen: unknown[] = [];
    bystander.on("booking:updated", (payload: unknown) => seen.push(payload));
    // Over NOTIFY's 8000 bytes, a packet travels through the socket_io_attachments table instead.
    for (const note of ["small", "x".repeat(20_000)]) {
      const received = Promise.all(
        [onA, onB].map(
          (socket) =>
            new Promise<unknown>((resolveEvent) =>
              socket.once("booking:updated", (payload) => resolveEvent(payload)),
            ),
        ),
      );
      emitToUser(b, user.id, "booking:updated", { booking: { id: "b-1", note } });
      expect(await received).toEqual([{ booking: { id: "b-1", note } }, { booking: { id: "b-1", note } }]);
    }
    await new Promise((settle) => setTimeout(settle, 300));
    expect(seen).toEqual([]);
  });
});

describe("an instance alone publishes no broadcasts, and one that starts beside it gets them from its first socket", () => {
  const env = {
    JWT_PRIVATE_KEY: generateKeyPairSync("ed25519")
      .privateKey.export({ type: "pkcs8", format: "pem" })
      .toString(),
  };
  const closers: (() => Promise<unknown> | unknown)[] = [];
  afterAll(async () => {
    for (const close of closers.reverse()) await close();
  });

  /** What the instances publish on the adapter's channel, as another process listening there hears it. */
  async function watchChannel(url: string): Promise<{ type: number; uid: string }[]> {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    closers.push(() => client.end());
    const heard: { type: number; uid: string }[] = [];
    client.on("notification", (notice) => heard.push(JSON.parse(notice.payload ?? "{}")));
    await client.query('LISTEN "socket.io#/"');
    return heard;
  }
  const broadcastType = 3;

  /**
   * Instance A on a clock of the test's (advanced past the warm-up if `warmedUp`), a process listening on its
   * channel, and one user's socket on A.
   */
  async function instanceA(warmedUp: boolean) {
    const clock = new TestClock();
    const a = await startTestServer(env, { clock });
    if (warmedUp) clock.advance(adapterWarmUpMs);
    closers.push(() => a.close());
    const heard = await watchChannel(a.database.url);
    const user = await register(a);
    const onA = await openSocket(a.url, user.accessToken);
    closers.push(() => onA.close());
    const broadcasts = () => heard.filter((message) => message.type === broadcastType).length;
    return { clock, a, heard, user, onA, broadcasts };
  }
  const emitTo = (server: TestServer, userId: string, note: string) =>
    emitToUser(server, userId, "booking:updated", { note });
  const next = (socket: Socket) =>
    new Promise<unknown>((resolveEvent) =>
      socket.once("booking:updated", (payload) => resolveEvent(payload)),
    );

  it("publishes everything until it has listened for a heartbeat, then keeps broadcasts local while alone", async () => {
    const { clock, a, user, onA, broadcasts } = await instanceA(false);

    // Just started, it cannot know whether the others' answers to its announcement reached it: it publishes.
    const early = next(onA);
    emitTo(a, user.id, "early");
    expect(await early).toEqual({ note: "early" });
    await until("the early broadcast on the channel", () => (broadcasts() === 1 ? true : undefined));
    clock.advance(adapterWarmUpMs - 1_000);
    const stillEarly = next(onA);
    emitTo(a, user.id, "still early");
    expect(await stillEarly).toEqual({ note: "still early" });
    await until("the second broadcast on the channel", () => (broadcasts() === 2 ? true : undefined));

    // A heartbeat later, an empty list of other instances is believed.
    clock.advance(1_000);
    const alone = next(onA);
    emitTo(a, user.id, "alone");
    expect(await alone).toEqual({ note: "alone" });
    await new Promise((settle) => setTimeout(settle, 300));
    expect(broadcasts()).toBe(2);
  });

  it("publishes again from the moment its listening connection is lost, until it has listened a heartbeat anew", async () => {
    const { clock, a, user, onA, broadcasts } = await instanceA(true);
    const admin = new pg.Client({ connectionString: a.database.url });
    await admin.connect();
    closers.push(() => admin.end());
    const listener = async () => {
      const { rows } = await admin.query<{ pid: number }>(
        "select pid from pg_stat_activity where datname = current_database() and application_name = 'jobsphere-socket-listen' and query like 'LISTEN %'",
      );
      return rows.map((row) => row.pid);
    };

    const alone = next(onA);
    emitTo(a, user.id, "alone");
    expect(await alone).toEqual({ note: "alone" });
    await new Promise((settle) => setTimeout(settle, 300));
    expect(broadcasts()).toBe(0);

    // The database drops the listening connection (a restart, a failover, an administrator). Whatever the
    // others published meanwhile never reached A, so A can no longer trust that it is alone.
    const [lost] = await listener();
    expect(lost).toBeDefined();
    await admin.query("select pg_terminate_backend($1)", [lost]);
    await until("the adapter listening again on a new connection", async () => {
      const pids = await listener();
      return pids.length === 1 && pids[0] !== lost;
    });
    const afterLoss = next(onA);
    emitTo(a, user.id, "after the loss");
    expect(await afterLoss).toEqual({ note: "after the loss" });
    await until("the broadcast after the loss on the channel", () => (broadcasts() === 1 ? true : undefined));

    // A heartbeat of listening later, it trusts an empty list again.
    clock.advance(adapterWarmUpMs);
    const aloneAgain = next(onA);
    emitTo(a, user.id, "alone again");
    expect(await aloneAgain).toEqual({ note: "alone again" });
    await new Promise((settle) => setTimeout(settle, 300));
    expect(broadcasts()).toBe(1);
  });

  it("delivers locally while alone, publishes once B has started, and stops again when B is gone", async () => {
    const { a, heard, user, onA } = await instanceA(true);

    const alone = next(onA);
    emitTo(a, user.id, "alone");
    expect(await alone).toEqual({ note: "alone" });
    await new Promise((settle) => setTimeout(settle, 300));
    expect(heard.filter((message) => message.type === broadcastType)).toEqual([]);

    // B starts and its first socket connects; A's very next emit reaches it, and B's reaches A's (B, just
    // started, publishes whether or not it has heard of A yet).
    const b = await startTestServer(env, { database: a.database });
    let bClosed = false;
    closers.push(() => (bClosed ? undefined : b.close()));
    const onB = await openSocket(b.url, user.accessToken);
    closers.push(() => onB.close());
    for (const [from, note] of [
      [a, "from A"],
      [b, "from B"],
    ] as const) {
      const both = Promise.all([next(onA), next(onB)]);
      emitTo(from, user.id, note);
      expect(await both).toEqual([{ note }, { note }]);
    }
    // The channel's other listeners hear the two broadcasts on their own time.
    await until("both broadcasts on the channel", () =>
      heard.filter((message) => message.type === broadcastType).length >= 2 ? true : undefined,
    );
    expect(heard.filter((message) => message.type === broadcastType)).toHaveLength(2);

    // B stops (saying so on the channel): A is alone again and its broadcasts stay local.
    onB.close();
    await b.close();
    bClosed = true;
    await new Promise((settle) => setTimeout(settle, 300));
    const published = heard.filter((message) => message.type === broadcastType).length;
    const again = next(onA);
    emitTo(a, user.id, "alone again");
    expect(await again).toEqual({ note: "alone again" });
    await new Promise((settle) => setTimeout(settle, 300));
    expect(heard.filter((message) => message.type === broadcastType)).toHaveLength(published);
  });
});
