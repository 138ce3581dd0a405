import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Account, register } from "../../../test/accounts.js";
import { createContractor, pngImage, samplePdf, uploadedFileId } from "../../../test/fixtures.js";
import { startTestServer, type TestServer } from "../../../test/server.js";

describe("contractor portfolio", () => {
  let app: TestServer;

  beforeAll(async () => {
    app = await startTestServer();
  });
  afterAll(async () => {
    await app.close();
  });

  async function upload(account: Account, purpose: string, bytes?: Buffer): Promise<string> {
    return bytes
      ? uploadedFileId(app, account.accessToken, purpose, bytes, "doc.pdf")
      : uploadedFileId(app, account.accessToken, purpose, await pngImage(), "work.png");
  }

  const contractorWithProfile = () => createContractor(app);

  async function create(account: Account, title: string, fileIds: string[], description?: string) {
    return app.request("POST", "/api/v1/contractors/me/portfolio", {
      token: account.accessToken,
      body: { title, description, fileIds },
    });
  }

  async function list(account: Account) {
    const response = await app.request("GET", "/api/v1/contractors/me/portfolio", {
      token: account.accessToken,
    });
    expect(response.status).toBe(200);
    return response.body.items as { id: string; title: string; position: number }[];
  }

  async function fileOf(account: Account, id: string) {
    return app.request("GET", `/api/v1/files/${id}`, { token: account.accessToken });
  }

  it("creates items at the end, with images whose URLs work", async () => {
    const contractor = await contractorWithProfile();
    const [first, second, third] = [
      await upload(contractor, "portfolio"),
      await upload(contractor, "portfolio"),
      await upload(contractor, "portfolio"),
    ];
    const kitchen = await create(
      contractor,
      "  Kitchen rewire  ",
      [second as string, first as string],
      "Full job",
    );
    expect(kitchen.status, JSON.stringify(kitchen.body)).toBe(201);
    expect(kitchen.body).toMatchObject({
      title: "Kitchen rewire",
      description: "Full job",
      position: 0,
      images: [
        { id: second, width: 64, height: 64 },
        { id: first, width: 64, height: 64 },
      ],
    });
    for (const image of kitchen.body.images) {
      const full = await fetch(image.url);
      expect(full.status).toBe(200);
      expect(full.headers.get("content-type")).toContain("image/png");
      await full.arrayBuffer();
      const thumbnail = await fetch(image.thumbnailUrl);
      expect(thumbnail.status).toBe(200);
      await thumbnail.arrayBuffer();
    }

    const garden = await create(contractor, "Garden lights", [third as string]);
    expect(garden.status).toBe(201);
    expect(garden.body).toMatchObject({ position: 1, description: null });

    const items = await list(contractor);
    expect(items.map((item) => item.title)).toEqual(["Kitchen rewire", "Garden lights"]);
    expect(items[0]).toEqual(kitchen.body);
  });

  it("validates the body, naming each bad field", async () => {
    const contractor = await contractorWithProfile();
    const file = await upload(contractor, "portfolio");
    const bad = await app.request("POST", "/api/v1/contractors/me/portfolio", {
      token: contractor.accessToken,
      body: { title: "   ", fileIds: [file, file, "not-a-uuid"], extra: true },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe("validation.failed");
    const paths = bad.body.errors.map((error: { path: string }) => error.path);
    expect(paths).toEqual(expect.arrayContaining(["title", "fileIds.2"]));
    const none = await create(contractor, "No images", []);
    expect(none.status).toBe(400);
    expect(none.body.errors[0].path).toBe("fileIds");
    const repeated = await create(contractor, "Twice", [file, file]);
    expect(repeated.status).toBe(400);
    expect(repeated.body.errors[0].path).toBe("fileIds");
  });

  it("accepts only the contractor's own portfolio uploads, and changes nothing otherwise", async () => {
    const contractor = await contractorWithProfile();
    const other = await contractorWithProfile();
    const mine = await upload(contractor, "portfolio");
    const theirs = await upload(other, "portfolio");

    const foreign = await create(contractor, "Borrowed", [mine, theirs]);
    expect(foreign.status).toBe(404);
    expect(foreign.body.code).toBe("file.not_found");
    expect(foreign.body.errors[0].path).toBe("fileIds.1");

    const document = await upload(contractor, "verification_document", samplePdf);
    const wrongPurpose = await create(contractor, "A licence", [document]);
    expect(wrongPurpose.status).toBe(422);
    expect(wrongPurpose.body.code).toBe("file.wrong_purpose");
    expect(wrongPurpose.body.errors[0].path).toBe("fileIds.0");

    // The failed attempts rolled back whole: no item, and the good file is still free to use.
    expect(await list(contractor)).toEqual([]);
    const used = await create(contractor, "Own work", [mine]);
    expect(used.status).toBe(201);
    const again = await create(contractor, "Same photo", [mine]);
    expect(again.status).toBe(409);
    expect(again.body.code).toBe("file.already_attached");
  });

  it("updates title, description and images, releasing the dropped images", async () => {
    const contractor = await contractorWithProfile();
    const [a, b, c] = [
      await upload(contractor, "portfolio"),
      await upload(contractor, "portfolio"),
      await upload(contractor, "portfolio"),
    ] as [string, string, string];
    const created = await create(contractor, "Bathroom", [a, b], "Before and after");
    const path = `/api/v1/contractors/me/portfolio/${created.body.id}`;

    const renamed = await app.request("PATCH", path, {
      token: contractor.accessToken,
      body: { title: "Bathroom refit", description: null },
    });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ title: "Bathroom refit", description: null, position: 0 });
    expect(renamed.body.images.map((image: { id: string }) => image.id)).toEqual([a, b]);

    const replaced = await app.request("PATCH", path, {
      token: contractor.accessToken,
      body: { fileIds: [c, a] },
    });
    expect(replaced.status, JSON.stringify(replaced.body)).toBe(200);
    expect(replaced.body.title).toBe("Bathroom refit");
    expect(replaced.body.images.map((image: { id: string }) => image.id)).toEqual([c, a]);
    expect((await list(contractor))[0]).toEqual(replaced.body);

    // The dropped image is free again: it can go on another item.
    const reused = await create(contractor, "Hallway", [b]);
    expect(reused.status).toBe(201);

    const stolen = await app.request("PATCH", path, {
      token: contractor.accessToken,
      body: { fileIds: [c, b] },
    });
    expect(stolen.status).toBe(409);
    expect(stolen.body.code).toBe("file.already_attached");
    expect(stolen.body.errors[0].path).toBe("fileIds.1");

    const other = await contractorWithProfile();
    const foreign = await app.request("PATCH", path, {
      token: other.accessToken,
      body: { title: "Mine now" },
    });
    expect(foreign.status).toBe(404);
    expect(foreign.body.code).toBe("portfolio.not_found");
    const theirFile = await upload(other, "portfolio");
    const foreignFile = await app.request("PATCH", path, {
      token: contractor.accessToken,
      body: { fileIds: [a, theirFile] },
    });
    expect(foreignFile.status).toBe(404);
    expect(foreignFile.body.errors[0].path).toBe("fileIds.1");
    expect((await list(contractor))[0]).toEqual(replaced.body);
  });

  it("reorders items, and refuses a list that is not exactly the contractor's items", async () => {
    const contractor = await contractorWithProfile();
    const ids: string[] = [];
    for (const title of ["One", "Two", "Three"]) {
      const created = await create(contractor, title, [await upload(contractor, "portfolio")]);
      ids.push(created.body.id);
    }
    const [one, two, three] = ids as [string, string, string];
    const reordered = await app.request("PUT", "/api/v1/contractors/me/portfolio/order", {
      token: contractor.accessToken,
      body: { itemIds: [three, one, two] },
    });
    expect(reordered.status, JSON.stringify(reordered.body)).toBe(200);
    expect(reordered.body.items.map((item: { title: string }) => item.title)).toEqual([
      "Three",
      "One",
      "Two",
    ]);
    expect(reordered.body.items.map((item: { position: number }) => item.position)).toEqual([0, 1, 2]);
    expect((await list(contractor)).map((item) => item.id)).toEqual([three, one, two]);

    const other = await contractorWithProfile();
    const foreignItem = (await create(other, "Theirs", [await upload(other, "portfolio")])).body.id;
    for (const itemIds of [
      [three, one],
      [three, one, two, foreignItem],
      [three, one, foreignItem],
    ]) {
      const refused = await app.request("PUT", "/api/v1/contractors/me/portfolio/order", {
        token: contractor.accessToken,
        body: { itemIds },
      });
      expect(refused.status).toBe(400);
      expect(refused.body.code).toBe("validation.failed");
      expect(refused.body.errors[0].path).toBe("itemIds");
    }
    const repeated = await app.request("PUT", "/api/v1/contractors/me/portfolio/order", {
      token: contractor.accessToken,
      body: { itemIds: [three, one, one] },
    });
    expect(repeated.status).toBe(400);
    expect(repeated.body.errors[0].path).toBe("itemIds");
    expect((await list(contractor)).map((item) => item.id)).toEqual([three, one, two]);
  });

  it("deletes an item, closing the gap and releasing its images", async () => {
    const contractor = await contractorWithProfile();
    const files: string[] = [];
    const ids: string[] = [];
    for (const title of ["First", "Middle", "Last"]) {
      const file = await upload(contractor, "portfolio");
      files.push(file);
      ids.push((await create(contractor, title, [file])).body.id);
    }
    const other = await contractorWithProfile();
    const foreign = await app.request("DELETE", `/api/v1/contractors/me/portfolio/${ids[1]}`, {
      token: other.accessToken,
    });
    expect(foreign.status).toBe(404);
    expect(foreign.body.code).toBe("portfolio.not_found");

    const deleted = await app.request("DELETE", `/api/v1/contractors/me/portfolio/${ids[1]}`, {
      token: contractor.accessToken,
    });
    expect(deleted.status).toBe(204);
    const remaining = await list(contractor);
    expect(remaining.map((item) => [item.title, item.position])).toEqual([
      ["First", 0],
      ["Last", 1],
    ]);
    const again = await app.request("DELETE", `/api/v1/contractors/me/portfolio/${ids[1]}`, {
      token: contractor.accessToken,
    });
    expect(again.status).toBe(404);

    // Still the owner's file, but free: it can be attached again.
    expect((await fileOf(contractor, files[1] as string)).status).toBe(200);
    expect((await create(contractor, "Middle again", [files[1] as string])).body.position).toBe(2);
  });

  it("needs a contractor profile, and a contractor account", async () => {
    const bare = await register(app, "contractor");
    const file = await upload(bare, "portfolio");
    const created = await create(bare, "Too early", [file]);
    expect(created.status).toBe(409);
    expect(created.body.code).toBe("contractor.profile_missing");
    const listed = await app.request("GET", "/api/v1/contractors/me/portfolio", { token: bare.accessToken });
    expect(listed.status).toBe(409);
    expect(listed.body.code).toBe("contractor.profile_missing");

    const customer = await register(app, "customer");
    const customerFile = await upload(customer, "portfolio");
    const forbidden = await create(customer, "Not a contractor", [customerFile]);
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.code).toBe("auth.forbidden");
    expect(
      (await app.request("GET", "/api/v1/contractors/me/portfolio", { token: customer.accessToken })).status,
    ).toBe(403);
    expect((await app.request("GET", "/api/v1/contractors/me/portfolio")).status).toBe(401);
  });
});
