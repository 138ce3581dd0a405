import { generateKeyPairSync } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Account, login, register, strongPassword } from "../../test/accounts.js";
import { adminQuery } from "../../test/database.js";
import type { TestServer } from "../../test/server.js";
import { startTestServer } from "../../test/server.js";

/**
 * Sessions are cached per instance. Two instances on one database, as behind a load balancer: whatever ends a
 * session on B must be refused on A from the moment B has answered, although A had the session cached.
 */
describe("the session cache across instances", () => {
  let a: TestServer;
  let b: TestServer;
  const env = {
    ADMIN_EMAIL: "root@example.com",
    ADMIN_PASSWORD: strongPassword,
    // Any reuse of a spent refresh token ends its session.
    REFRESH_REUSE_GRACE_SECONDS: "0",
    // Longer than any test: only the signal, never the TTL, may end a cached session here.
    SESSION_CACHE_TTL_SECONDS: "3600",
    JWT_PRIVATE_KEY: generateKeyPairSync("ed25519")
      .privateKey.export({ type: "pkcs8", format: "pem" })
      .toString(),
  };

  beforeAll(async () => {
    a = await startTestServer(env);
    b = await startTestServer(env, { database: a.database });
  });
  afterAll(async () => {
    await b.close();
    await a.close();
  });

  const me = (server: TestServer, account: Pick<Account, "accessToken">) =>
    server.request("GET", "/api/v1/me", { token: account.accessToken });

  /** A signs the account in (its session is now cached on A), as an app does at start. */
  async function cachedOnA(account: Account): Promise<void> {
    for (let call = 0; call < 3; call += 1) expect((await me(a, account)).status).toBe(200);
  }

  const listeners = () =>
    adminQuery<{ pid: number }>(
      a.database.url,
      "select pid from pg_stat_activity where application_name = 'jobsphere-listen-jobsphere_sessions_ended'",
    );

  async function listenersBack(count: number): Promise<void> {
    const deadline = Date.now() + 15_000;
    while ((await listeners()).length < count) {
      if (Date.now() > deadline) throw new Error("the listeners did not come back");
      await new Promise((settle) => setTimeout(settle, 50));
    }
  }

  it("logout-all on B: the old token is refused on A at once, and another user's still works", async () => {
    const user = await register(a);
    const other = await register(a);
    await cachedOnA(user);
    await cachedOnA(other);

    expect((await b.request("POST", "/api/v1/auth/logout-all", { token: user.accessToken })).status).toBe(
      204,
    );
    const refused = await me(a, user);
    expect(refused.status).toBe(401);
    expect(refused.body.code).toBe("auth.session_ended");
    expect((await me(a, other)).status).toBe(200);
  });

  it("logout on B ends only that session on A", async () => {
    const first = await register(a);
    const second = await login(a, first.email, first.password);
    await cachedOnA(first);
    await cachedOnA(second);

    const response = await b.request("POST", "/api/v1/auth/logout", {
      token: first.accessToken,
      body: { refreshToken: first.refreshToken },
    });
    expect(response.status).toBe(204);
    expect((await me(a, first)).body.code).toBe("auth.session_ended");
    expect((await me(a, second)).status).toBe(200);
  });

  it("a suspension on B is refused on A at once with the suspension's own code", async () => {
    const admin = await login(b, "root@example.com", strongPassword);
    const user = await register(a);
    await cachedOnA(user);

    const response = await b.request("PATCH", `/api/v1/admin/users/${user.id}`, {
      token: admin.accessToken,
      body: { status: "suspended" },
    });
    expect(response.status).toBe(200);
    const refused = await me(a, user);
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe("auth.account_suspended");
  });

  it("a password change on B ends every session of the user on A", async () => {
    const user = await register(a);
    const phone = await login(a, user.email, user.password);
    await cachedOnA(user);
    await cachedOnA(phone);

    const response = await b.request("POST", "/api/v1/auth/password/change", {
      token: user.accessToken,
      body: { currentPassword: user.password, newPassword: `${strongPassword} again` },
    });
    expect(response.status).toBe(204);
    expect((await me(a, user)).body.code).toBe("auth.session_ended");
    expect((await me(a, phone)).body.code).toBe("auth.session_ended");
  });

  it("an account deleted on B is refused on A at once", async () => {
    const user = await register(a);
    await cachedOnA(user);

    const response = await b.request("DELETE", "/api/v1/me", {
      token: user.accessToken,
      body: { password: user.password },
    });
    expect(response.status).toBe(204);
    expect((await me(a, user)).status).toBe(401);
  });

  it("a refresh token replayed on B ends its session on A", async () => {
    const user = await register(a);
    await cachedOnA(user);
    const first = await b.request("POST", "/api/v1/auth/refresh", {
      body: { refreshToken: user.refreshToken },
    });
    expect(first.status).toBe(200);
    // The new pair's session is the same one, cached on A as well.
    await cachedOnA({ ...user, accessToken: first.body.accessToken });

    const replay = await b.request("POST", "/api/v1/auth/refresh", {
      body: { refreshToken: user.refreshToken },
    });
    expect(replay.status).toBe(401);
    expect(replay.body.code).toBe("auth.refresh_reused");
    expect((await me(a, user)).body.code).toBe("auth.session_ended");
    expect((await me(a, { accessToken: first.body.accessToken })).body.code).toBe("auth.session_ended");
  });

  it("requests on A that start after B answered a logout-all are all refused, in a parallel burst", async () => {
    const user = await register(a);
    await cachedOnA(user);
    let answeredAt = Number.POSITIVE_INFINITY;
    const late: number[] = [];
    let stop = false;
    // Eight clients keep calling A while B ends the session; each call records whether it began after B's answer.
    const clients = Array.from({ length: 8 }, async () => {
      while (!stop) {
        const startedAt = performance.now();
        const response = await me(a, user);
        if (startedAt > answeredAt) late.push(response.status);
      }
    });
    await new Promise((settle) => setTimeout(settle, 100));
    const response = await b.request("POST", "/api/v1/auth/logout-all", { token: user.accessToken });
    answeredAt = performance.now();
    expect(response.status).toBe(204);
    // A count of late calls rather than a time: a loaded machine makes fewer calls in any given time.
    const deadline = Date.now() + 20_000;
    while (late.length < 16 && Date.now() < deadline) await new Promise((settle) => setTimeout(settle, 20));
    stop = true;
    await Promise.all(clients);
    expect(late.length).toBeGreaterThanOrEqual(16);
    expect(late.every((status) => status === 401)).toBe(true);
  });

  it("a PATCH /me on B is what GET /me answers on A", async () => {
    const user = await register(a);
    await cachedOnA(user);
    const patched = await b.request("PATCH", "/api/v1/me", {
      token: user.accessToken,
      body: { name: "Renamed On B", phone: "+447700900123" },
    });
    expect(patched.status).toBe(200);
    const seen = await me(a, user);
    expect(seen.body).toMatchObject({ name: "Renamed On B", phone: "+447700900123" });
  });

  it("an admin's edit on B is what GET /me answers on A, in a parallel burst", async () => {
    const user = await register(a, "customer", { name: "Before Rename" });
    await cachedOnA(user);
    const admin = await login(b, "root@example.com", strongPassword);
    const edited = await b.request("PATCH", `/api/v1/admin/users/${user.id}`, {
      token: admin.accessToken,
      body: { name: "After Rename", phone: "+447700900456" },
    });
    expect(edited.status).toBe(200);
    const answers = await Promise.all(Array.from({ length: 30 }, () => me(a, user)));
    for (const answer of answers) {
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ name: "After Rename", phone: "+447700900456" });
    }
  });

  it("a change made directly in the database is what GET /me answers at once, on both instances", async () => {
    const user = await register(a, "customer", { name: "Hand Edited" });
    await cachedOnA(user);
    for (let call = 0; call < 3; call += 1) expect((await me(b, user)).status).toBe(200);
    await adminQuery(
      a.database.url,
      "update users set name = 'Fixed By Support', email_verified_at = now() where id = $1",
      [user.id],
    );
    for (const server of [a, b]) {
      expect((await me(server, user)).body).toMatchObject({ name: "Fixed By Support", emailVerified: true });
    }
  });

  it("while A's listener is down, A reads sessions from the database; once back, nothing cached before is trusted", async () => {
    const user = await register(a);
    const other = await register(a);
    await cachedOnA(user);
    await cachedOnA(other);

    // Both instances lose their listening connection, as in a database failover.
    const before = await listeners();
    expect(before.length).toBe(2);
    await adminQuery(a.database.url, "select pg_terminate_backend(pid) from unnest($1::int[]) pid", [
      before.map((row) => row.pid),
    ]);
    // Ended while nobody listens: the notification is lost, and a direct change sends none at all.
    expect((await b.request("POST", "/api/v1/auth/logout-all", { token: user.accessToken })).status).toBe(
      204,
    );
    expect((await me(a, user)).body.code).toBe("auth.session_ended");
    await adminQuery(a.database.url, "update sessions set revoked_at = now() where user_id = $1", [other.id]);
    expect((await me(a, other)).body.code).toBe("auth.session_ended");

    // Back: what A cached before the outage is not trusted (the ended sessions stay refused), and the cache
    // works again: a new session is served, and ending it on B is refused on A at once.
    await listenersBack(2);
    expect((await me(a, user)).body.code).toBe("auth.session_ended");
    expect((await me(a, other)).body.code).toBe("auth.session_ended");
    const fresh = await register(a);
    await cachedOnA(fresh);
    expect((await b.request("POST", "/api/v1/auth/logout-all", { token: fresh.accessToken })).status).toBe(
      204,
    );
    expect((await me(a, fresh)).body.code).toBe("auth.session_ended");
  });

  it("forged notifications on the channel cannot let an ended session in; at worst they cost reads", async () => {
    const ended = await register(a);
    const active = await register(a);
    await cachedOnA(ended);
    await cachedOnA(active);
    expect((await b.request("POST", "/api/v1/auth/logout-all", { token: ended.accessToken })).status).toBe(
      204,
    );

    // Anyone with database access may NOTIFY any channel: malformed, oversized, or well-formed for another user.
    const forged = [
      "not json",
      "{}",
      JSON.stringify({ userId: "nobody" }),
      JSON.stringify({ userId: active.id }),
      JSON.stringify({ userId: ended.id, sessionIds: [] }),
      JSON.stringify({ userId: active.id, sessionIds: ["0192f0c0-0000-7000-8000-000000000000"] }),
      "x".repeat(7_000),
      `{"userId":"${ended.id}\u0000"}`.replace("\u0000", "\\u0000"),
      JSON.stringify({ kind: "account_changed", userId: ended.id }),
      JSON.stringify({ kind: "account_changed", userId: "nobody" }),
      JSON.stringify({ kind: "account_changed", userId: active.id, sessionIds: [] }),
    ];
    for (const payload of forged) {
      await adminQuery(a.database.url, "select pg_notify('jobsphere_sessions_ended', $1)", [payload]);
      expect((await me(a, ended)).body.code).toBe("auth.session_ended");
      expect((await me(a, active)).status).toBe(200);
    }
    // Guessed barrier channels and tokens are ignored too.
    await adminQuery(a.database.url, "select pg_notify('jobsphere_sessions_ended_sync', '1')");
    expect((await me(a, ended)).body.code).toBe("auth.session_ended");
    expect((await me(a, active)).status).toBe(200);
  });
});
