import { io as connect, type Socket } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Account, login, register, strongPassword } from "../../../test/accounts.js";
import { createContractor, pngImage, uploadedFileId } from "../../../test/fixtures.js";
import { startTestServer, type TestServer } from "../../../test/server.js";

const adminEmail = "only-admin@jobsphere.test";
const adminPassword = "the only admin passphrase";

describe("DELETE /me: deleting one's own account", () => {
  let app: TestServer;
  // Accounts a test-only module says still hold money: its blocker is registered like a real module's.
  const holdingMoney = new Set<string>();

  beforeAll(async () => {
    app = await startTestServer(
      { ADMIN_EMAIL: adminEmail, ADMIN_PASSWORD: adminPassword, LIMIT_PASSWORD_CHANGE: "3/15m" },
      {
        testRoutes: async ({ onAccountDeletion }) => {
          onAccountDeletion({
            blocker: async (_db, userId) =>
              holdingMoney.has(userId) ? "12.50 USD is still held for this contractor" : undefined,
          });
          return () => {};
        },
      },
    );
  });
  afterAll(async () => {
    await app.close();
  });

  const deleteMe = (account: Account, password = account.password) =>
    app.request("DELETE", "/api/v1/me", { token: account.accessToken, body: { password } });

  async function contractorWithFiles(name: string) {
    const contractor = await createContractor(app, name);
    const avatarId = await uploadedFileId(app, contractor.accessToken, "avatar", await pngImage(), "me.png");
    const photoId = await uploadedFileId(app, contractor.accessToken, "portfolio", await pngImage(), "a.png");
    expect(
      (
        await app.request("PATCH", "/api/v1/me", {
          token: contractor.accessToken,
          body: { avatarFileId: avatarId },
        })
      ).status,
    ).toBe(200);
    const item = await app.request("POST", "/api/v1/contractors/me/portfolio", {
      token: contractor.accessToken,
      body: { title: "Fuse board", fileIds: [photoId] },
    });
    expect(item.status).toBe(201);
    const profile = await app.request("GET", `/api/v1/contractors/${contractor.id}`);
    expect(profile.status).toBe(200);
    const me = await app.request("GET", "/api/v1/me", { token: contractor.accessToken });
    const urls = [me.body.avatarUrl as string, profile.body.portfolio[0].images[0].url as string];
    for (const url of urls) expect((await fetch(url)).status).toBe(200);
    return { contractor, urls };
  }

  const searchNames = async () => {
    const found = await app.request("GET", "/api/v1/contractors?category=electrician&limit=100");
    expect(found.status).toBe(200);
    return (found.body.items as { id: string }[]).map((item) => item.id);
  };

  it("anonymises a contractor: no sign-in, gone from search and profile, files unserved, sockets closed, email free", async () => {
    const { contractor, urls } = await contractorWithFiles("Dana Deleted");
    const { contractor: other, urls: otherUrls } = await contractorWithFiles("Olga Other");
    expect(await searchNames()).toEqual(expect.arrayContaining([contractor.id, other.id]));

    const socket: Socket = connect(app.url, { auth: { token: contractor.accessToken }, reconnection: false });
    await new Promise<void>((connected, failed) => {
      socket.on("connect", () => connected());
      socket.on("connect_error", failed);
    });
    const disconnected = new Promise<string>((closed) => socket.on("disconnect", (reason) => closed(reason)));

    const deleted = await deleteMe(contractor);
    expect(deleted.status, JSON.stringify(deleted.body)).toBe(204);
    expect(await disconnected).toBe("io server disconnect");

    const signIn = await app.request("POST", "/api/v1/auth/login", {
      body: { email: contractor.email, password: contractor.password },
    });
    expect(signIn.status).toBe(401);
    expect(signIn.body.code).toBe("auth.invalid_credentials");
    const refresh = await app.request("POST", "/api/v1/auth/refresh", {
      body: { refreshToken: contractor.refreshToken },
    });
    expect(refresh.status).toBe(401);

    const ids = await searchNames();
    expect(ids).not.toContain(contractor.id);
    expect(ids).toContain(other.id);
    expect((await app.request("GET", `/api/v1/contractors/${contractor.id}`)).status).toBe(404);
    for (const url of urls) expect((await fetch(url)).status, url).toBe(404);
    for (const url of otherUrls) expect((await fetch(url)).status, url).toBe(200);
    expect((await app.request("GET", `/api/v1/contractors/${other.id}`)).body.portfolio).toHaveLength(1);

    // The row stays for the records that point at it, holding nothing personal.
    const { rows } = await app.server.database.pool.query(
      "select name, email, phone, avatar_file_id, password_hash, status from users where id = $1",
      [contractor.id],
    );
    expect(rows[0]).toEqual({
      name: "Deleted user",
      email: `deleted-${contractor.id}@deleted.invalid`,
      phone: null,
      avatar_file_id: null,
      password_hash: "",
      status: "deleted",
    });
    const owned = await app.server.database.pool.query(
      "select count(*)::int as n from files where owner_id = $1",
      [contractor.id],
    );
    expect(owned.rows[0].n).toBe(0);
    const sessions = await app.server.database.pool.query(
      "select ip, user_agent, revoked_at from sessions where user_id = $1",
      [contractor.id],
    );
    for (const session of sessions.rows) expect(session).toMatchObject({ ip: null, user_agent: null });
    expect(sessions.rows.every((session) => session.revoked_at !== null)).toBe(true);

    const again = await register(app, "customer", { email: contractor.email.toUpperCase() });
    expect(again.id).not.toBe(contractor.id);
  });

  it("a second deletion with the same token answers 401: the session ended with the account", async () => {
    const customer = await register(app, "customer");
    expect((await deleteMe(customer)).status).toBe(204);
    const twice = await deleteMe(customer);
    expect(twice.status).toBe(401);
    expect(twice.body.code).toBe("auth.session_ended");
  });

  it("refuses a wrong or missing password and keeps the account", async () => {
    const customer = await register(app, "customer");
    const wrong = await deleteMe(customer, "not my password at all");
    expect(wrong.status).toBe(400);
    expect(wrong.body.code).toBe("auth.wrong_password");
    expect(wrong.body.errors).toEqual([expect.objectContaining({ path: "password" })]);
    const missing = await app.request("DELETE", "/api/v1/me", { token: customer.accessToken });
    expect(missing.status).toBe(400);
    expect(missing.body.code).toBe("validation.failed");
    expect((await login(app, customer.email, strongPassword)).id).toBe(customer.id);
  });

  it("limits wrong passwords per account: a parallel burst gets the limit and 429s", async () => {
    const customer = await register(app, "customer");
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => deleteMe(customer, "a wrong guess at it")),
    );
    const statuses = answers.map((answer) => answer.status).sort();
    expect(statuses).toEqual([400, 400, 400, 429, 429, 429, 429, 429]);
    const limited = answers.find((answer) => answer.status === 429);
    expect(Number(limited?.headers.get("retry-after"))).toBeGreaterThan(0);
    // Even the right password waits now, like password change.
    expect((await deleteMe(customer)).status).toBe(429);
    expect((await app.request("GET", "/api/v1/me", { token: customer.accessToken })).status).toBe(200);
  });

  it("answers 409 with the reason a module gives (money held) and deletes nothing", async () => {
    const contractor = await createContractor(app, "Mona Money");
    holdingMoney.add(contractor.id);
    const refused = await deleteMe(contractor);
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe("user.deletion_blocked");
    expect(refused.body.detail).toBe("12.50 USD is still held for this contractor");
    expect((await app.request("GET", `/api/v1/contractors/${contractor.id}`)).status).toBe(200);
    expect((await login(app, contractor.email, contractor.password)).id).toBe(contractor.id);
    holdingMoney.delete(contractor.id);
    expect((await deleteMe(contractor)).status).toBe(204);
  });

  it("a deleted account stays deleted: an admin cannot reactivate or rename it (409 user.deleted)", async () => {
    const customer = await register(app, "customer");
    expect((await deleteMe(customer)).status).toBe(204);
    const admin = await login(app, adminEmail, adminPassword);
    const shown = await app.request("GET", `/api/v1/admin/users/${customer.id}`, {
      token: admin.accessToken,
    });
    expect(shown.status).toBe(200);
    expect(shown.body).toMatchObject({
      name: "Deleted user",
      status: "deleted",
      phone: null,
      avatarUrl: null,
      emailVerified: false,
    });
    expect(shown.body.email).not.toBe(customer.email);
    // A burst of edits, reactivation and rename alike: each is refused, none slips through.
    const edits = await Promise.all(
      [{ status: "active" }, { name: "Back Again" }, { status: "suspended" }, { phone: "+14155550199" }].map(
        (body) =>
          app.request("PATCH", `/api/v1/admin/users/${customer.id}`, { token: admin.accessToken, body }),
      ),
    );
    for (const edit of edits) {
      expect(edit.status).toBe(409);
      expect(edit.body).toMatchObject({ code: "user.deleted", status: 409 });
      expect(edit.body.detail).toMatch(/deleted/);
    }
    const after = await app.request("GET", `/api/v1/admin/users/${customer.id}`, {
      token: admin.accessToken,
    });
    expect(after.body).toEqual(shown.body);
    // An id that never existed is still 404, not the deleted account's 409.
    const unknown = await app.request("PATCH", "/api/v1/admin/users/0192f3a4-5b6c-7d8e-9f01-23456789abcd", {
      token: admin.accessToken,
      body: { name: "Nobody" },
    });
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe("user.not_found");
  });

  it("admins list deleted accounts with status=deleted, anonymised, and find them by no personal detail", async () => {
    const admin = await login(app, adminEmail, adminPassword);
    const list = (query: string) =>
      app.request("GET", `/api/v1/admin/users?${query}`, { token: admin.accessToken });
    const kept = await register(app, "customer");
    const gone = await register(app, "contractor");
    const goneName = "Gina Gone";
    expect(
      (await app.request("PATCH", "/api/v1/me", { token: gone.accessToken, body: { name: goneName } }))
        .status,
    ).toBe(200);
    expect((await deleteMe(gone)).status).toBe(204);
    const goneToo = await register(app, "customer");
    expect((await deleteMe(goneToo)).status).toBe(204);

    const deleted = await list("status=deleted&limit=100");
    expect(deleted.status).toBe(200);
    const items = deleted.body.items as Record<string, unknown>[];
    expect(items.map((user) => user.id)).toContain(gone.id);
    expect(items.map((user) => user.id)).not.toContain(kept.id);
    for (const user of items) {
      expect(user).toMatchObject({ status: "deleted", name: "Deleted user", phone: null, avatarUrl: null });
    }
    const shown = JSON.stringify(items.find((user) => user.id === gone.id));
    expect(shown).not.toContain(gone.email);
    expect(shown).not.toContain(goneName);
    expect(shown).not.toMatch(/Gina/);

    // The old name and email lead nowhere; the other statuses leave deleted accounts out.
    for (const q of [goneName, gone.email]) {
      const found = await list(`q=${encodeURIComponent(q)}`);
      expect(found.status).toBe(200);
      expect(found.body.items).toEqual([]);
    }
    const active = await list("status=active&limit=100");
    expect((active.body.items as { id: string }[]).map((user) => user.id)).not.toContain(gone.id);
    expect((active.body.items as { id: string }[]).map((user) => user.id)).toContain(kept.id);

    // Paging through the deleted accounts with a cursor keeps the filter; an unknown status is a 400.
    const first = await list("status=deleted&limit=1");
    expect(first.body.items).toHaveLength(1);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const next = await list(`status=deleted&limit=100&cursor=${first.body.nextCursor}`);
    expect(next.status).toBe(200);
    expect(next.body.items.length).toBeGreaterThan(0);
    for (const user of next.body.items) expect(user.status).toBe("deleted");
    const replayed = await list(`status=active&limit=1&cursor=${first.body.nextCursor}`);
    expect(replayed.status).toBe(400);
    const bogus = await list("status=removed");
    expect(bogus.status).toBe(400);
    expect(bogus.body.errors[0]).toMatchObject({ path: "status", in: "query" });
  });

  it("a failure in the middle changes nothing: profile, files and sign-in survive", async () => {
    const { contractor, urls } = await contractorWithFiles("Fiona Failure");
    // A failure injected after the contractors module erased its rows: the anonymisation of the user row fails.
    await app.server.database.pool.query(`
      create function refuse_deletion() returns trigger language plpgsql as $$
      begin if new.status = 'deleted' then raise exception 'injected failure'; end if; return new; end $$;
      create trigger refuse_deletion before update on users for each row execute function refuse_deletion();
    `);
    try {
      expect((await deleteMe(contractor)).status).toBe(500);
    } finally {
      await app.server.database.pool.query(
        "drop trigger refuse_deletion on users; drop function refuse_deletion();",
      );
    }
    const profile = await app.request("GET", `/api/v1/contractors/${contractor.id}`);
    expect(profile.status).toBe(200);
    expect(profile.body.portfolio).toHaveLength(1);
    for (const url of urls) expect((await fetch(url)).status, url).toBe(200);
    expect((await app.request("GET", "/api/v1/me", { token: contractor.accessToken })).status).toBe(200);
    expect((await login(app, contractor.email, contractor.password)).id).toBe(contractor.id);
  });

  it("refuses to delete the last admin", async () => {
    const admin = await login(app, adminEmail, adminPassword);
    const refused = await deleteMe(admin, adminPassword);
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe("user.last_admin");
    expect((await app.request("GET", "/api/v1/me", { token: admin.accessToken })).body.status).toBe("active");
  });
});
