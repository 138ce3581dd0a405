import { Agent, request } from "node:http";
import { io as connect } from "socket.io-client";
import { describe, expect, it } from "vitest";
import { freePort } from "../src/db/embedded.js";
import { createTestDatabase } from "./database.js";
import { spawnServer, waitFor } from "./process.js";
import { httpRequest } from "./server.js";

interface Outcome {
  status?: number;
  connectionClose?: boolean;
  error?: string;
  afterSignal: boolean;
}

function get(base: string, path: string, agent: Agent | false): Promise<Omit<Outcome, "afterSignal">> {
  const url = new URL(path, base);
  return new Promise((resolveOutcome) => {
    const req = request(
      { host: url.hostname, port: url.port, path: url.pathname, agent, timeout: 15_000 },
      (res) => {
        res.resume();
        res.on("end", () =>
          resolveOutcome({ status: res.statusCode, connectionClose: res.headers.connection === "close" }),
        );
        res.on("error", (error: NodeJS.ErrnoException) =>
          resolveOutcome({ error: error.code ?? error.message }),
        );
      },
    );
    req.on("timeout", () => req.destroy(Object.assign(new Error("timeout"), { code: "TIMEOUT" })));
    req.on("error", (error: NodeJS.ErrnoException) => resolveOutcome({ error: error.code ?? error.message }));
    req.end();
  });
}

describe("deploys", () => {
  it("drains on SIGTERM: readiness turns 503, nothing that reached the server is reset", {
    timeout: 90_000,
  }, async () => {
    const database = await createTestDatabase();
    const server = await spawnServer({ DATABASE_URL: database.url, SHUTDOWN_DRAIN_MS: "700" });
    const outcomes: Outcome[] = [];
    const readiness: { status?: number; afterSignal: boolean }[] = [];
    let signalled = false;
    let refused = false;
    // Bounded: 150 requests before the signal, at most 250 after it; then the load stops as a balancer's would.
    let limit = 1_000;
    try {
      const keepAlive = new Agent({ keepAlive: true, maxSockets: 4 });
      const worker = async (agent: Agent | false) => {
        while (!refused && outcomes.length < limit) {
          const afterSignal = signalled;
          const outcome = await get(server.base, "/health/live", agent);
          outcomes.push({ ...outcome, afterSignal });
          // The listener is closed: nothing more can reach this server.
          if (outcome.error === "ECONNREFUSED") refused = true;
        }
      };
      const probe = async () => {
        while (!refused && outcomes.length < limit) {
          const afterSignal = signalled;
          const outcome = await get(server.base, "/health/ready", false);
          readiness.push({ status: outcome.status, afterSignal });
          await new Promise((resolveWait) => setTimeout(resolveWait, 50));
        }
      };
      const load = Promise.all([
        ...Array.from({ length: 4 }, () => worker(keepAlive)),
        ...Array.from({ length: 4 }, () => worker(false)),
        probe(),
      ]);
      // The balancer must have seen the server ready before it drains, however slowly the machine runs.
      await waitFor(
        () => outcomes.length >= 150 && readiness.some((probe) => probe.status === 200),
        30_000,
        10,
      );
      signalled = true;
      limit = outcomes.length + 250;
      server.child.kill("SIGTERM");
      await load;
      keepAlive.destroy();

      expect(outcomes.length).toBeGreaterThan(300);
      expect(outcomes.filter((outcome) => outcome.error)).toEqual([]);
      expect(outcomes.filter((outcome) => outcome.status !== undefined && outcome.status !== 200)).toEqual(
        [],
      );
      const servedWhileDraining = outcomes.filter((outcome) => outcome.afterSignal && outcome.status === 200);
      expect(servedWhileDraining.length).toBeGreaterThan(20);
      expect(servedWhileDraining.some((outcome) => outcome.connectionClose)).toBe(true);
      expect(readiness.some((probe) => !probe.afterSignal && probe.status === 200)).toBe(true);
      expect(readiness.some((probe) => probe.afterSignal && probe.status === 503)).toBe(true);
      expect(await server.exited).toBe(0);
      expect((await get(server.base, "/health/live", false)).error).toBe("ECONNREFUSED");
    } finally {
      server.child.kill("SIGKILL");
      await database.drop();
    }
  });

  it("realtime clients reconnect by themselves to the restarted server", { timeout: 90_000 }, async () => {
    const database = await createTestDatabase();
    const port = String(await freePort());
    const env = { DATABASE_URL: database.url, PORT: port, SHUTDOWN_DRAIN_MS: "0" };
    let server = await spawnServer(env);
    const socket = connect(server.base, {
      path: "/socket.io",
      autoConnect: false,
      transports: ["websocket"],
      reconnectionDelay: 100,
      reconnectionDelayMax: 500,
    });
    try {
      const registered = await httpRequest(server.base, "POST", "/api/v1/auth/register", {
        body: {
          email: "live@example.com",
          password: "plumb-bob tangerine 42",
          name: "Live",
          role: "customer",
        },
      });
      expect(registered.status).toBe(201);
      socket.auth = { token: registered.body.accessToken };
      let connects = 0;
      const reasons: string[] = [];
      socket.on("connect", () => {
        connects++;
      });
      socket.on("disconnect", (reason) => reasons.push(reason));
      socket.connect();
      await waitFor(() => connects === 1, 10_000);

      server.child.kill("SIGTERM");
      expect(await server.exited).toBe(0);
      await waitFor(() => reasons.length === 1, 5_000);
      expect(reasons).toEqual(["transport close"]);

      server = await spawnServer(env);
      await waitFor(() => connects === 2, 15_000);
      expect(socket.connected).toBe(true);
    } finally {
      socket.close();
      server.child.kill("SIGKILL");
      await database.drop();
    }
  });
});
