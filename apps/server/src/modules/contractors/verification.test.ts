import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Account, login, register } from "../../../test/accounts.js";
import { forgeCursor } from "../../../test/cursors.js";
import { createContractor, pngImage, samplePdf, uploadedFileId } from "../../../test/fixtures.js";
import { startTestServer, type TestServer } from "../../../test/server.js";

describe("contractor verification", () => {
  let app: TestServer;
  let admin: Account;
  const adminEmail = "verification-admin@jobsphere.test";
  const adminPassword = "verification admin passphrase";

  beforeAll(async () => {
    app = await startTestServer({ ADMIN_EMAIL: adminEmail, ADMIN_PASSWORD: adminPassword });
    admin = await login(app, adminEmail, adminPassword);
  });
  afterAll(async () => {
    await app.close();
  });

  async function upload(account: Account, purpose: string, kind: "pdf" | "png" = "pdf"): Promise<string> {
    return kind === "pdf"
      ? uploadedFileId(app, account.accessToken, purpose, samplePdf, "licence.pdf")
      : uploadedFileId(app, account.accessToken, purpose, await pngImage(), "id-card.png");
  }

  const contractorWithProfile = (name?: string) => createContractor(app, name);

  async function submit(account: Account, fileIds: string[], note?: string) {
    return app.request("POST", "/api/v1/contractors/me/verification", {
      token: account.accessToken,
      body: { fileIds, note },
    });
  }

  async function decide(id: string, body: unknown, token = admin.accessToken) {
    return app.request("POST", `/api/v1/admin/verifications/${id}/decision`, { token, body });
  }

  async function own(account: Account) {
    const response = await app.request("GET", "/api/v1/contractors/me/verification", {
      token: account.accessToken,
    });
    expect(response.status).toBe(200);
    return response.body;
  }

  async function pendingQueue(): Promise<{ id: string; contractor: { id: string } }[]> {
    const items: { id: string; contractor: { id: string } }[] = [];
    let cursor: string | null = null;
    do {
      const query: string = `status=pending&limit=2${cursor ? `&cursor=${cursor}` : ""}`;
      const page = await app.request("GET", `/api/v1/admin/verifications?${query}`, {
        token: admin.accessToken,
      });
      expect(page.status, JSON.stringify(page.body)).toBe(200);
      items.push(...page.body.items);
      cursor = page.body.nextCursor;
    } while (cursor);
    return items;
  }

  it("submits a request, refuses a second, and lets an admin approve it", async () => {
    const contractor = await contractorWithProfile("Vera Volt");
    const [licence, card] = [
      await upload(contractor, "verification_document"),
      await upload(contractor, "verification_document", "png"),
    ];
    const submitted = await submit(contractor, [licence, card], "  Licence and ID  ");
    expect(submitted.status, JSON.stringify(submitted.body)).toBe(201);
    expect(submitted.body).toMatchObject({
      status: "pending",
      note: "Licence and ID",
      reason: null,
      decidedAt: null,
      documents: [
        { id: licence, contentType: "application/pdf", originalName: "licence.pdf" },
        { id: card, contentType: "image/png", originalName: "id-card.png" },
      ],
    });
    const document = await fetch(submitted.body.documents[0].url);
    expect(document.status).toBe(200);
    expect(Buffer.from(await document.arrayBuffer()).equals(samplePdf)).toBe(true);

    expect(await own(contractor)).toMatchObject({ status: "pending", requests: [{ id: submitted.body.id }] });
    const profileBefore = await app.request("GET", "/api/v1/contractors/me/profile", {
      token: contractor.accessToken,
    });
    expect(profileBefore.body).toMatchObject({ verified: false, verificationStatus: "pending" });

    const second = await submit(contractor, [await upload(contractor, "verification_document")]);
    expect(second.status).toBe(409);
    expect(second.body.code).toBe("verification.already_pending");

    const queue = await pendingQueue();
    const listed = queue.find((item) => item.id === submitted.body.id);
    expect(listed).toMatchObject({
      status: "pending",
      contractor: { id: contractor.id, name: "Vera Volt", email: contractor.email },
      documents: [{ id: licence }, { id: card }],
    });

    const approved = await decide(submitted.body.id, { decision: "approve" });
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    expect(approved.body).toMatchObject({
      id: submitted.body.id,
      status: "approved",
      decidedBy: admin.id,
      reason: null,
      contractor: { id: contractor.id },
    });
    expect(approved.body.decidedAt).not.toBeNull();

    const profileAfter = await app.request("GET", "/api/v1/contractors/me/profile", {
      token: contractor.accessToken,
    });
    expect(profileAfter.body).toMatchObject({ verified: true, verificationStatus: "verified" });
    expect(await own(contractor)).toMatchObject({ status: "verified", requests: [{ status: "approved" }] });
    expect((await pendingQueue()).some((item) => item.id === submitted.body.id)).toBe(false);

    const twice = await decide(submitted.body.id, { decision: "reject", reason: "Changed my mind" });
    expect(twice.status).toBe(409);
    expect(twice.body.code).toBe("verification.already_decided");

    const afterVerified = await submit(contractor, [await upload(contractor, "verification_document")]);
    expect(afterVerified.status).toBe(409);
    expect(afterVerified.body.code).toBe("verification.already_verified");
  });

  it("rejects only with a reason, after which the contractor may ask again", async () => {
    const contractor = await contractorWithProfile();
    const first = await submit(contractor, [await upload(contractor, "verification_document")]);
    expect(first.status).toBe(201);
    expect(first.body.note).toBeNull();

    const noReason = await decide(first.body.id, { decision: "reject" });
    expect(noReason.status).toBe(400);
    expect(noReason.body.code).toBe("validation.failed");
    expect(noReason.body.errors[0].path).toBe("reason");
    const blankReason = await decide(first.body.id, { decision: "reject", reason: "   " });
    expect(blankReason.status).toBe(400);
    expect(blankReason.body.errors[0].path).toBe("reason");
    const badDecision = await decide(first.body.id, { decision: "maybe" });
    expect(badDecision.status).toBe(400);
    expect(badDecision.body.errors[0].path).toBe("decision");

    const rejected = await decide(first.body.id, {
      decision: "reject",
      reason: "The licence photo is blurred",
    });
    expect(rejected.status).toBe(200);
    expect(rejected.body).toMatchObject({ status: "rejected", reason: "The licence photo is blurred" });
    expect(await own(contractor)).toMatchObject({
      status: "rejected",
      requests: [{ id: first.body.id, status: "rejected", reason: "The licence photo is blurred" }],
    });
    const profileRejected = await app.request("GET", "/api/v1/contractors/me/profile", {
      token: contractor.accessToken,
    });
    expect(profileRejected.body).toMatchObject({ verified: false, verificationStatus: "rejected" });

    const rejectedList = await app.request("GET", "/api/v1/admin/verifications?status=rejected", {
      token: admin.accessToken,
    });
    expect(rejectedList.body.items.map((item: { id: string }) => item.id)).toContain(first.body.id);

    const again = await submit(
      contractor,
      [await upload(contractor, "verification_document")],
      "Sharper photo",
    );
    expect(again.status).toBe(201);
    const status = await own(contractor);
    expect(status.status).toBe("pending");
    expect(status.requests.map((request: { id: string }) => request.id)).toEqual([
      again.body.id,
      first.body.id,
    ]);

    const decidedTwice = await decide(first.body.id, { decision: "approve" });
    expect(decidedTwice.status).toBe(409);
    expect(decidedTwice.body.code).toBe("verification.already_decided");

    const unknown = await decide("0190a0a0-0000-7000-8000-000000000000", { decision: "approve" });
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe("verification.not_found");
  });

  it("lists the pending queue oldest first, page by page", async () => {
    const ids: string[] = [];
    for (let index = 0; index < 3; index += 1) {
      const contractor = await contractorWithProfile();
      ids.push((await submit(contractor, [await upload(contractor, "verification_document")])).body.id);
    }
    const queue = (await pendingQueue()).map((item) => item.id);
    const positions = ids.map((id) => queue.indexOf(id));
    expect(positions.every((position) => position >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    expect(new Set(queue).size).toBe(queue.length);

    const newestFirst = await app.request("GET", "/api/v1/admin/verifications?limit=100", {
      token: admin.accessToken,
    });
    const all = newestFirst.body.items.map((item: { id: string }) => item.id);
    expect(all.indexOf(ids[2])).toBeLessThan(all.indexOf(ids[0]));

    const firstPage = await app.request("GET", "/api/v1/admin/verifications?status=pending&limit=1", {
      token: admin.accessToken,
    });
    const foreignCursor = await app.request(
      "GET",
      `/api/v1/admin/verifications?status=approved&cursor=${firstPage.body.nextCursor}`,
      { token: admin.accessToken },
    );
    expect(foreignCursor.status).toBe(400);
    expect(foreignCursor.body.code).toBe("pagination.invalid_cursor");
  });

  it("answers 400 pagination.invalid_cursor to every forged or malformed cursor", async () => {
    for (const contractor of [await contractorWithProfile(), await contractorWithProfile()]) {
      expect((await submit(contractor, [await upload(contractor, "verification_document")])).status).toBe(
        201,
      );
    }
    const first = await app.request("GET", "/api/v1/admin/verifications?status=pending&limit=1", {
      token: admin.accessToken,
    });
    expect(first.status).toBe(200);
    const [, list, at, id] = JSON.parse(Buffer.from(first.body.nextCursor, "base64url").toString("utf8"));
    expect(list).toBe("pending");
    // Forged with the digest a client could compute, so each reaches the checks of the parts behind it.
    const encode = (key: unknown[]) => forgeCursor({ status: "pending" }, key);
    const forgeries = [
      "not-a-cursor",
      "!!!!",
      Buffer.from(JSON.stringify({ list, at, id })).toString("base64url"),
      Buffer.from(JSON.stringify([list, at, id])).toString("base64url"),
      forgeCursor({ status: "approved" }, [list, at, id]),
      encode([list, at]),
      encode([list, at, id, "extra"]),
      encode([list, at, "not-a-uuid"]),
      encode([list, at, "x'); drop table users; --"]),
      encode([list, at, `${id}\u0000`]),
      encode([list, at, id.toUpperCase()]),
      encode([list, at, 42]),
      encode([list, Date.parse(at), id]),
      encode([list, "yesterday", id]),
      encode([list, "1", id]),
      encode([list, "2026-02-30T00:00:00.000Z", id]),
      encode([list, "-271821-04-20T00:00:00.000Z", id]),
      encode([list, "+275760-09-13T00:00:00.000Z", id]),
      encode([list, `${at}\u0000`, id]),
      encode(["all", at, id]),
      encode(["pending\u0000", at, id]),
    ];
    for (const cursor of forgeries) {
      const response = await app.request(
        "GET",
        `/api/v1/admin/verifications?status=pending&cursor=${encodeURIComponent(cursor)}`,
        { token: admin.accessToken },
      );
      expect(response.status, cursor).toBe(400);
      expect(response.body.code, cursor).toBe("pagination.invalid_cursor");
      expect(response.body.errors).toEqual([
        { path: "cursor", code: "invalid_value", message: expect.any(String), in: "query" },
      ]);
    }
    // The genuine cursor still continues the queue.
    const next = await app.request(
      "GET",
      `/api/v1/admin/verifications?status=pending&limit=1&cursor=${first.body.nextCursor}`,
      { token: admin.accessToken },
    );
    expect(next.status).toBe(200);
  });

  it("accepts only the contractor's own verification documents", async () => {
    const contractor = await contractorWithProfile();
    const other = await contractorWithProfile();
    const theirs = await upload(other, "verification_document");
    const foreign = await submit(contractor, [await upload(contractor, "verification_document"), theirs]);
    expect(foreign.status).toBe(404);
    expect(foreign.body.code).toBe("file.not_found");
    expect(foreign.body.errors[0].path).toBe("fileIds.1");

    const photo = await upload(contractor, "portfolio", "png");
    const wrongPurpose = await submit(contractor, [photo]);
    expect(wrongPurpose.status).toBe(422);
    expect(wrongPurpose.body.code).toBe("file.wrong_purpose");
    expect(wrongPurpose.body.errors[0].path).toBe("fileIds.0");
    expect(await own(contractor)).toEqual({ status: "unverified", requests: [] });

    const bad = await submit(contractor, []);
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].path).toBe("fileIds");
  });

  it("keeps the documents private to the contractor and admins", async () => {
    const contractor = await contractorWithProfile();
    const document = await upload(contractor, "verification_document");
    const submitted = await submit(contractor, [document]);
    expect(submitted.status).toBe(201);

    const other = await contractorWithProfile();
    const customer = await register(app, "customer");
    for (const stranger of [other, customer]) {
      const denied = await app.request("GET", `/api/v1/files/${document}`, { token: stranger.accessToken });
      expect(denied.status).toBe(404);
      expect(denied.body.code).toBe("file.not_found");
    }
    const byAdmin = await app.request("GET", `/api/v1/files/${document}`, { token: admin.accessToken });
    expect(byAdmin.status).toBe(200);
    expect((await fetch(byAdmin.body.url)).status).toBe(200);
    const byOwner = await app.request("GET", `/api/v1/files/${document}`, { token: contractor.accessToken });
    expect(byOwner.status).toBe(200);
  });

  it("needs a profile, and keeps everyone but admins off the admin routes", async () => {
    const bare = await register(app, "contractor");
    const file = await upload(bare, "verification_document");
    const early = await submit(bare, [file]);
    expect(early.status).toBe(409);
    expect(early.body.code).toBe("contractor.profile_missing");
    const status = await app.request("GET", "/api/v1/contractors/me/verification", {
      token: bare.accessToken,
    });
    expect(status.status).toBe(409);

    const contractor = await contractorWithProfile();
    const pending = await submit(contractor, [await upload(contractor, "verification_document")]);
    const customer = await register(app, "customer");
    for (const account of [customer, contractor]) {
      const listed = await app.request("GET", "/api/v1/admin/verifications", { token: account.accessToken });
      expect(listed.status).toBe(403);
      expect(listed.body.code).toBe("auth.forbidden");
      const decided = await decide(pending.body.id, { decision: "approve" }, account.accessToken);
      expect(decided.status).toBe(403);
    }
    const customerSubmit = await submit(customer, [await upload(customer, "verification_document")]);
    expect(customerSubmit.status).toBe(403);
    expect((await app.request("GET", "/api/v1/admin/verifications")).status).toBe(401);
    expect(await own(contractor)).toMatchObject({ status: "pending" });
  });
});
