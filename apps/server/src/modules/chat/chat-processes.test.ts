import { generateKeyPairSync, randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Socket } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Account, register } from "../../../test/accounts.js";
import { ask, next } from "../../../test/chat.js";
import { createContractor } from "../../../test/fixtures.js";
import { type ServerProcess, spawnServer } from "../../../test/process.js";
import { httpRequest, startTestServer, type TestServer } from "../../../test/server.js";
import { openSocket } from "../../../test/sockets.js";

interface Message {
  id: string;
  text: string;
}

describe("chat across two server processes on one database", () => {
  // A runs in the test's process, B is a process of its own started as `npm start` starts it; both share
  // the database and the signing key, as two instances behind a load balancer do.
  let a: TestServer;
  let b: ServerProcess;
  let dataDir: string;
  const sockets: Socket[] = [];
  const jwtKey = generateKeyPairSync("ed25519")
    .privateKey.export({ type: "pkcs8", format: "pem" })
    .toString();

  const on = async (base: string, account: Account) => {
    const socket = await openSocket(base, account.accessToken);
    sockets.push(socket);
    return socket;
  };

  beforeAll(async () => {
    a = await startTestServer({ JWT_PRIVATE_KEY: jwtKey });
    dataDir = await mkdtemp(join(tmpdir(), "jobsphere-chat-b-"));
    b = await spawnServer({
      DATABASE_URL: a.database.url,
      JWT_PRIVATE_KEY: jwtKey,
      DATA_DIR: dataDir,
      UPLOAD_DIR: join(dataDir, "upload"),
    });
  }, 120_000);
  afterAll(async () => {
    for (const socket of sockets) socket.close();
    b?.child.kill("SIGTERM");
    await b?.exited;
    await a?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it("a message sent through A reaches the recipient and the sender's other device on B; receipts and typing come back", async () => {
    const customer = await register(a, "customer");
    const contractor = await createContractor(a);
    const opened = await a.request("POST", "/api/v1/conversations", {
      token: customer.accessToken,
      body: { participantId: contractor.id },
    });
    const conversationId: string = opened.body.id;
    const phoneOnA = await on(a.url, customer);
    const tabletOnB = await on(b.base, customer);
    const tomOnB = await on(b.base, contractor);

    const toTom = next<{ message: Message }>(tomOnB, "message:new");
    const toTablet = next<{ message: Message }>(tabletOnB, "message:new");
    const sent = await ask<{ message: Message }>(phoneOnA, "message:send", {
      conversationId,
      text: "Sent through A",
      clientMessageId: randomUUID(),
    });
    expect((await toTom).message).toEqual(sent.message);
    expect((await toTablet).message).toEqual(sent.message);

    const receipt = next<{ upToMessageId: string; userId: string }>(phoneOnA, "message:read");
    const typing = next<{ typing: boolean; userId: string }>(phoneOnA, "typing:update");
    await ask(tomOnB, "message:read", { conversationId, upToMessageId: sent.message.id });
    await ask(tomOnB, "typing:start", { conversationId });
    expect(await receipt).toMatchObject({ userId: contractor.id, upToMessageId: sent.message.id });
    expect(await typing).toMatchObject({ userId: contractor.id, typing: true });

    // A reply over B's REST API reaches the socket on A.
    const reply = next<{ message: Message }>(phoneOnA, "message:new");
    const answered = await httpRequest(b.base, "POST", `/api/v1/conversations/${conversationId}/messages`, {
      token: contractor.accessToken,
      body: { text: "Answered through B" },
    });
    expect(answered.status).toBe(201);
    expect((await reply).message.id).toBe(answered.body.id);
  });
});
