import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Account, login, strongPassword } from "../../../test/accounts.js";
import { adminQuery } from "../../../test/database.js";
import { createContractor, samplePdf, uploadedFileId } from "../../../test/fixtures.js";
import { startTestServer, type TestServer } from "../../../test/server.js";

describe("verification decisions in the audit log", () => {
  let app: TestServer;
  let admin: Account;

  beforeAll(async () => {
    app = await startTestServer({ ADMIN_EMAIL: "verifier@example.com", ADMIN_PASSWORD: strongPassword });
    admin = await login(app, "verifier@example.com", strongPassword);
  });
  afterAll(async () => {
    await app?.close();
  });

  async function pendingRequest(): Promise<{ contractor: Account; requestId: string }> {
    const contractor = await createContractor(app);
    const file = await uploadedFileId(
      app,
      contractor.accessToken,
      "verification_document",
      samplePdf,
      "licence.pdf",
    );
    const submitted = await app.request("POST", "/api/v1/contractors/me/verification", {
      token: contractor.accessToken,
      body: { fileIds: [file] },
    });
    expect(submitted.status, JSON.stringify(submitted.body)).toBe(201);
    return { contractor, requestId: submitted.body.id };
  }

  const decide = (id: string, body: unknown) =>
    app.request("POST", `/api/v1/admin/verifications/${id}/decision`, { token: admin.accessToken, body });
  const entriesFor = async (id: string) =>
    (await app.request("GET", `/api/v1/admin/audit-log?targetId=${id}`, { token: admin.accessToken })).body
      .items;

  it("records an approval and a rejection with the admin, the request, its contractor and the reason", async () => {
    const approved = await pendingRequest();
    expect((await decide(approved.requestId, { decision: "approve" })).status).toBe(200);
    expect(await entriesFor(approved.requestId)).toEqual([
      expect.objectContaining({
        action: "verification.approve",
        actor: expect.objectContaining({ id: admin.id }),
        targetType: "verification_request",
        targetId: approved.requestId,
        before: { status: "pending" },
        after: { status: "approved", contractorId: approved.contractor.id },
        reason: null,
      }),
    ]);

    const rejected = await pendingRequest();
    expect(
      (await decide(rejected.requestId, { decision: "reject", reason: "The licence has expired" })).status,
    ).toBe(200);
    const [entry] = await entriesFor(rejected.requestId);
    expect(entry).toMatchObject({
      action: "verification.reject",
      after: { status: "rejected", contractorId: rejected.contractor.id },
      reason: "The licence has expired",
    });
    const byAction = await app.request("GET", "/api/v1/admin/audit-log?action=verification.reject", {
      token: admin.accessToken,
    });
    expect(byAction.body.items.map((item: { targetId: string }) => item.targetId)).toContain(
      rejected.requestId,
    );
  });

  it("records one decision of a parallel burst, and nothing for the refused ones", async () => {
    const { requestId } = await pendingRequest();
    const answers = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        decide(requestId, i % 2 ? { decision: "approve" } : { decision: "reject", reason: "Blurry scan" }),
      ),
    );
    expect(answers.filter((answer) => answer.status === 200)).toHaveLength(1);
    expect(answers.filter((answer) => answer.status === 409)).toHaveLength(5);
    expect(await entriesFor(requestId)).toHaveLength(1);
  });

  it("undoes the decision when its audit entry cannot be written", async () => {
    const { requestId, contractor } = await pendingRequest();
    // The audit insert fails after the decision's own writes, inside the same transaction.
    await adminQuery(
      app.database.url,
      `create function refuse_audit() returns trigger language plpgsql as $$
       begin raise exception 'audit log unavailable'; end $$;
       create trigger refuse_audit before insert on audit_log for each row execute function refuse_audit();`,
    );
    try {
      const failed = await decide(requestId, { decision: "approve" });
      expect(failed.status).toBe(500);
    } finally {
      await adminQuery(
        app.database.url,
        "drop trigger refuse_audit on audit_log; drop function refuse_audit();",
      );
    }
    const own = await app.request("GET", "/api/v1/contractors/me/verification", {
      token: contractor.accessToken,
    });
    expect(own.body.status).toBe("pending");
    const profile = await app.request("GET", `/api/v1/contractors/${contractor.id}`);
    expect(profile.body.verified).toBe(false);
    // Decided again once the log works, it is recorded.
    expect((await decide(requestId, { decision: "approve" })).status).toBe(200);
    expect(await entriesFor(requestId)).toHaveLength(1);
  });
});
