import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Account, login, register, strongPassword } from "../../../test/accounts.js";
import { adminQuery } from "../../../test/database.js";
import { startTestServer, type TestServer } from "../../../test/server.js";

describe("admin audit log", () => {
  let app: TestServer;
  let admin: Account;
  let otherAdmin: Account;

  beforeAll(async () => {
    app = await startTestServer({ ADMIN_EMAIL: "root@example.com", ADMIN_PASSWORD: strongPassword });
    admin = await login(app, "root@example.com", strongPassword);
    const second = await register(app, "customer", { name: "Second Admin" });
    await adminQuery(app.database.url, "update users set role = 'admin' where id = $1", [second.id]);
    otherAdmin = await login(app, second.email, strongPassword);
  });

  afterAll(async () => {
    await app?.close();
  });

  const edit = (by: Account, userId: string, body: Record<string, unknown>) =>
    app.request("PATCH", `/api/v1/admin/users/${userId}`, { token: by.accessToken, body });

  const log = (query: string, by: Account = admin) =>
    app.request("GET", `/api/v1/admin/audit-log${query}`, { token: by.accessToken });

  it("records a suspension and a reactivation with the fields changed, the reason and the admin", async () => {
    const user = await register(app, "contractor", { name: "Dan Fixit" });
    expect((await edit(admin, user.id, { status: "suspended", reason: "Three no-shows" })).status).toBe(200);
    expect((await edit(otherAdmin, user.id, { status: "active" })).status).toBe(200);

    const answer = await log(`?targetType=user&targetId=${user.id}`);
    expect(answer.status).toBe(200);
    expect(answer.body.items).toMatchObject([
      {
        action: "user.reactivate",
        actor: { id: otherAdmin.id, name: "Second Admin", email: otherAdmin.email },
        targetType: "user",
        targetId: user.id,
        before: { status: "suspended" },
        after: { status: "active" },
        reason: null,
      },
      {
        action: "user.suspend",
        actor: { id: admin.id, email: "root@example.com" },
        before: { status: "active" },
        after: { status: "suspended" },
        reason: "Three no-shows",
      },
    ]);
    const [latest, first] = answer.body.items;
    expect(Date.parse(latest.at)).toBeGreaterThanOrEqual(Date.parse(first.at));
  });

  it("records only the fields an edit changed, and nothing for an edit that changed nothing", async () => {
    const user = await register(app, "customer", { name: "Ann Old" });
    await edit(admin, user.id, { name: "Ann New", phone: null, reason: "Asked by phone" });
    await edit(admin, user.id, { name: "Ann New" });
    await edit(admin, user.id, { status: "active" });

    const answer = await log(`?targetId=${user.id}`);
    expect(answer.body.items).toEqual([
      expect.objectContaining({
        action: "user.update",
        before: { name: "Ann Old" },
        after: { name: "Ann New" },
        reason: "Asked by phone",
      }),
    ]);
  });

  it("records nothing when the write is refused", async () => {
    const user = await register(app, "customer");
    const deleted = await app.request("DELETE", "/api/v1/me", {
      token: user.accessToken,
      body: { password: strongPassword },
    });
    expect(deleted.status).toBe(204);
    expect((await edit(admin, user.id, { status: "suspended", reason: "x" })).status).toBe(409);
    expect((await edit(admin, admin.id, { status: "suspended", reason: "x" })).status).toBe(409);

    expect((await log(`?targetId=${user.id}`)).body.items).toEqual([]);
    expect((await log(`?targetId=${admin.id}`)).body.items).toEqual([]);
  });

  it("gives one entry when many admins suspend the same account at once", async () => {
    const user = await register(app, "contractor");
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        edit(i % 2 ? admin : otherAdmin, user.id, { status: "suspended", reason: `burst ${i}` }),
      ),
    );
    expect(answers.map((answer) => answer.status)).toEqual(Array(20).fill(200));
    const entries = (await log(`?targetId=${user.id}`)).body.items;
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ action: "user.suspend", after: { status: "suspended" } });
  });

  it("filters by admin and action, and pages with cursors bound to the filters", async () => {
    const users = await Promise.all(Array.from({ length: 5 }, () => register(app, "customer")));
    for (const user of users) await edit(otherAdmin, user.id, { status: "suspended", reason: "paging" });

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = `?actorId=${otherAdmin.id}&action=user.suspend&limit=2${cursor ? `&cursor=${cursor}` : ""}`;
      const page = await log(query);
      expect(page.status).toBe(200);
      for (const item of page.body.items) {
        expect(item.actor.id).toBe(otherAdmin.id);
        expect(item.action).toBe("user.suspend");
        seen.push(item.targetId);
      }
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    for (const user of users) expect(seen).toContain(user.id);

    const first = await log(`?actorId=${otherAdmin.id}&limit=1`);
    const swapped = await log(`?actorId=${admin.id}&limit=1&cursor=${first.body.nextCursor}`);
    expect(swapped.status).toBe(400);
    expect(swapped.body.code).toBe("pagination.invalid_cursor");
  });

  it("filters by time", async () => {
    const user = await register(app, "customer");
    await edit(admin, user.id, { status: "suspended" });
    const future = new Date(Date.now() + 3_600_000).toISOString();
    const past = new Date(Date.now() - 3_600_000).toISOString();
    expect((await log(`?targetId=${user.id}&from=${future}`)).body.items).toEqual([]);
    expect((await log(`?targetId=${user.id}&from=${past}&to=${future}`)).body.items).toHaveLength(1);
    expect((await log(`?targetId=${user.id}&to=${past}`)).body.items).toEqual([]);
  });

  it("refuses malformed filters with the field named", async () => {
    const cases: [string, string][] = [
      ["?actorId=not-a-uuid", "actorId"],
      ["?action=user%00suspend", "action"],
      ["?targetId=a%2F..%2Fb", "targetId"],
      [
        `?from=${encodeURIComponent("2026-12-01T00:00:00Z")}&to=${encodeURIComponent("2026-11-01T00:00:00Z")}`,
        "to",
      ],
      ["?cursor=bm90LWEtY3Vyc29y", "cursor"],
      ["?actorid=x", "actorid"],
    ];
    for (const [query, field] of cases) {
      const answer = await log(query);
      expect(answer.status, query).toBe(400);
      expect(
        answer.body.errors.map((error: { path: string }) => error.path),
        query,
      ).toContain(field);
    }
  });

  it("is for admins only", async () => {
    const customer = await register(app, "customer");
    expect((await log("", customer)).status).toBe(403);
    expect((await app.request("GET", "/api/v1/admin/audit-log")).status).toBe(401);
  });

  it("cannot be edited, removed or emptied, even with direct database access", async () => {
    const user = await register(app, "customer");
    await edit(admin, user.id, { status: "suspended" });
    for (const statement of [
      "update audit_log set reason = 'covered up'",
      "delete from audit_log",
      "truncate audit_log",
    ]) {
      await expect(adminQuery(app.database.url, statement), statement).rejects.toThrow(
        /cannot be changed or removed/,
      );
    }
    expect((await log(`?targetId=${user.id}`)).body.items).toHaveLength(1);
  });
});
