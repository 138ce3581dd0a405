/**
 * Chat throughput and delivery latency: N connected customer–contractor pairs sending persisted messages
 * through JobSphere, next to a bare Socket.IO echo server that delivers the same events the same way (ack to
 * the sender, `message:new` to the recipient's user room) without storing anything, measured in one run.
 * Run from the repository root: `npm run bench:chat` (or `npx tsx bench/chat.ts`).
 *
 * Each server runs in a child process of its own (this file, forked with a mode argument); the clients
 * (socket.io-client, WebSocket transport) run in this process. Every client keeps BENCH_INFLIGHT messages
 * waiting for their ack and sends the next as soon as one is acknowledged; the recipient measures the delay
 * from the send to its `message:new`. The targets take turns in rounds (BENCH_ROUNDS of BENCH_ROUND_SECONDS),
 * so other work on the machine falls on both alike. That is the saturation phase: how many messages each
 * target takes when the clients wait for nothing but acks.
 *
 * Latency is measured in a second phase at a fixed offered rate (BENCH_RATE messages per second over all the
 * sockets, the goal's 3,000 by default), in turns as well: each socket sends on its own schedule, evenly spread,
 * whether or not earlier messages were acknowledged (an open loop, as users type), and a delivery's latency is
 * counted from the time its message was due, so a server that falls behind is charged for the whole backlog.
 * In the saturation phase the latency says only how long the clients' own queue is (in-flight messages divided
 * by throughput), whatever the server does, which is why the goal's latency is taken at its rate. Both phases
 * print the CPU time per message of the clients, the server and its database, and how many cores were busy.
 * Settings (environment): BENCH_PAIRS (default 50), BENCH_INFLIGHT (default 2), BENCH_ROUNDS (default 4),
 * BENCH_ROUND_SECONDS (default 5), BENCH_RATE (default 3000), BENCH_PROFILE=<folder>: each server records a
 * CPU profile of the saturation rounds (after warm-up), written there as `<target>.cpuprofile` (`jobsphere`,
 * `echo`), and the top self-time frames and packages are printed. BENCH_COLD_WAL=1: the database starts with
 * a fresh cluster's WAL (see `warmWal`).
 */
import { type ChildProcess, fork } from "node:child_process";
import { generateKeyPairSync, randomBytes, randomUUID } from "node:crypto";
import { once } from "node:events";
import { mkdir, readFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { Server } from "socket.io";
import { io as connect, type Socket } from "socket.io-client";
import { loadConfig } from "../apps/server/src/config.js";
import { runMigrations } from "../apps/server/src/db/migrate.js";
import { createLogger } from "../apps/server/src/logger.js";
import { startServer } from "../apps/server/src/server.js";
import { startSmtp, type TestSmtp } from "../apps/server/test/smtp.js";
import { processCpuMs, processTreeCpuMs } from "./lib/cpu.js";
import { type RunFolder, startRunFolder } from "./lib/database.js";
import { answerProfiler, printTopFrames, startProfile, stopChild, writeProfile } from "./lib/profile.js";

const pairs = Number(process.env.BENCH_PAIRS ?? 50);
const inflight = Number(process.env.BENCH_INFLIGHT ?? 2);
const rounds = Number(process.env.BENCH_ROUNDS ?? 4);
const roundSeconds = Number(process.env.BENCH_ROUND_SECONDS ?? 5);
const rate = Number(process.env.BENCH_RATE ?? 3000);
const profileDir = process.env.BENCH_PROFILE;
const coldWal = process.env.BENCH_COLD_WAL === "1";
const warmUpSeconds = 2;
const goals = { messagesPerSecond: 3000, p99Ms: 50, ratio: 0.5 };

type Mode = "jobsphere" | "echo";

/** Child side: starts one server on an ephemeral port, reports the port, stops when told. */
async function serve(mode: Mode): Promise<void> {
  let stop: () => Promise<void>;
  let port: number;
  if (mode === "jobsphere") {
    const config = loadConfig({ ...process.env, NODE_ENV: "production", LOG_LEVEL: "warn" });
    const server = await startServer(config, createLogger(config));
    port = server.port;
    stop = () => server.close();
  } else {
    // The bare echo: who you are comes from the handshake, a message goes to the other side's room and is
    // acknowledged with what a stored message would look like; nothing is checked or kept.
    const http = createServer();
    const io = new Server(http, { path: "/socket.io", serveClient: false });
    io.on("connection", (socket) => {
      const userId = String(socket.handshake.auth.userId);
      void socket.join(`user:${userId}`);
      socket.on("message:send", (payload: Record<string, unknown>, ack?: (answer: unknown) => void) => {
        const message = {
          id: randomUUID(),
          conversationId: payload.conversationId,
          senderId: userId,
          text: payload.text,
          attachments: [],
          clientMessageId: payload.clientMessageId,
          createdAt: new Date().toISOString(),
        };
        io.to([`user:${String(payload.to)}`, `user:${userId}`])
          .except(socket.id)
          .emit("message:new", { message });
        ack?.({ message });
      });
    });
    http.listen(0, "127.0.0.1");
    await once(http, "listening");
    port = (http.address() as AddressInfo).port;
    stop = async () => {
      await io.close();
    };
  }
  answerProfiler(stop);
  process.send?.({ port });
}

/**
 * A database that has been running a while recycles its WAL segments at each checkpoint. A fresh cluster
 * creates them instead, one 16 MB segment every few seconds at this benchmark's rate, each zero-filled and
 * flushed while every commit waits behind it. Writing and dropping a couple of hundred megabytes and then
 * checkpointing leaves segments to recycle, so the rounds measure the steady state; BENCH_COLD_WAL=1 skips it.
 */
async function warmWal(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(
      "create table bench_wal_warm as select g, repeat('x', 500) as pad from generate_series(1, 400000) g",
    );
    await client.query("drop table bench_wal_warm");
    await client.query("checkpoint");
  } finally {
    await client.end();
  }
}

interface Child {
  process: ChildProcess;
  name: Mode;
  url: string;
}

async function spawnServer(mode: Mode, env: Record<string, string> = {}): Promise<Child> {
  const child = fork(fileURLToPath(import.meta.url), [mode], {
    execArgv: process.execArgv,
    env: { ...process.env, ...env },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const [message] = (await Promise.race([
    once(child, "message"),
    once(child, "exit").then(([code]) => {
      throw new Error(`the ${mode} server exited with ${String(code)} before listening`);
    }),
  ])) as [{ port: number }];
  return { process: child, name: mode, url: `http://127.0.0.1:${message.port}` };
}

/** One side of a pair, connected: who it is, whom it writes to, in which conversation. */
interface Client {
  socket: Socket;
  userId: string;
  otherId: string;
  conversationId: string;
  /**
   * Sent with each message: the echo server is told the recipient (JobSphere knows it from the conversation,
   * and refuses fields it does not know).
   */
  extra: Record<string, string>;
}

interface Target {
  label: string;
  server: Child;
  clients: Client[];
}

interface Tally {
  acked: number;
  delivered: number;
  failed: number;
  latencies: number[];
  seconds: number;
  /** CPU time spent during the rounds, ms: this process (the clients), the server, its database (if any). */
  cpu: { clients: number; server: number; database: number };
}

/** CPU time used so far by the clients (this process), the server and the database cluster, ms. */
async function cpuNow(serverPid: number | undefined, databasePid: number | undefined) {
  const own = process.cpuUsage();
  return {
    clients: (own.user + own.system) / 1000,
    server: serverPid ? await processCpuMs(serverPid) : 0,
    database: databasePid ? await processTreeCpuMs(databasePid) : 0,
  };
}

function open(url: string, auth: Record<string, string>): Promise<Socket> {
  return new Promise((resolveSocket, rejectSocket) => {
    const socket = connect(url, { path: "/socket.io", auth, transports: ["websocket"], reconnection: false });
    socket.once("connect", () => resolveSocket(socket));
    socket.once("connect_error", rejectSocket);
  });
}

async function api(url: string, path: string, body: unknown, token?: string) {
  const response = await fetch(`${url}/api/v1${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  const answer = (await response.json()) as Record<string, unknown>;
  if (response.status >= 300) throw new Error(`${path}: ${response.status} ${JSON.stringify(answer)}`);
  return answer;
}

/** Registers N pairs on JobSphere, opens their conversations and connects both sides of each. */
async function jobsphereClients(url: string): Promise<Client[]> {
  const register = async (role: "customer" | "contractor") => {
    const answer = await api(url, "/auth/register", {
      email: `bench-${role}-${randomBytes(6).toString("hex")}@example.com`,
      password: "plumb-bob tangerine 42",
      name: `Bench ${role}`,
      role,
    });
    return { id: (answer.user as { id: string }).id, token: answer.accessToken as string };
  };
  const clients: Client[] = [];
  for (let index = 0; index < pairs; index += 1) {
    const customer = await register("customer");
    const contractor = await register("contractor");
    const conversation = await api(url, "/conversations", { participantId: contractor.id }, customer.token);
    const conversationId = conversation.id as string;
    clients.push(
      {
        socket: await open(url, { token: customer.token }),
        userId: customer.id,
        otherId: contractor.id,
        conversationId,
        extra: {},
      },
      {
        socket: await open(url, { token: contractor.token }),
        userId: contractor.id,
        otherId: customer.id,
        conversationId,
        extra: {},
      },
    );
  }
  return clients;
}

async function echoClients(url: string): Promise<Client[]> {
  const clients: Client[] = [];
  for (let index = 0; index < pairs; index += 1) {
    const customerId = randomUUID();
    const contractorId = randomUUID();
    const conversationId = randomUUID();
    clients.push(
      {
        socket: await open(url, { userId: customerId }),
        userId: customerId,
        otherId: contractorId,
        conversationId,
        extra: { to: contractorId },
      },
      {
        socket: await open(url, { userId: contractorId }),
        userId: contractorId,
        otherId: customerId,
        conversationId,
        extra: { to: customerId },
      },
    );
  }
  return clients;
}

/** Every client sends for `seconds`, keeping `inflight` messages unacknowledged; counted into `tally` if given. */
/** Sends one message stamped with `at` (when it was sent, or due), waiting up to 30 s for its acknowledgement. */
function send(client: Client, at: number): Promise<{ message?: unknown; error?: { code: string } }> {
  return client.socket.timeout(30_000).emitWithAck("message:send", {
    conversationId: client.conversationId,
    text: `t ${at}`,
    clientMessageId: randomUUID(),
    ...client.extra,
  });
}

/**
 * Calls `record` with the latency of every `message:new` the clients receive for a message stamped at or after
 * `since` (earlier ones belong to the previous round); answers the function that stops listening.
 */
function listenForDeliveries(clients: Client[], since: number, record: (latencyMs: number) => void) {
  const onMessage = ({ message }: { message: { text: string } }) => {
    const at = Number(message.text.slice(message.text.indexOf(" ") + 1));
    if (at >= since) record(performance.now() - at);
  };
  for (const client of clients) client.socket.on("message:new", onMessage);
  return () => {
    for (const client of clients) client.socket.off("message:new", onMessage);
  };
}

async function load(clients: Client[], seconds: number, tally?: Tally): Promise<void> {
  const started = performance.now();
  const until = started + seconds * 1000;
  const stopListening = listenForDeliveries(clients, started, (latency) => {
    if (!tally) return;
    tally.delivered += 1;
    tally.latencies.push(latency);
  });
  const loop = async (client: Client) => {
    while (performance.now() < until) {
      const answer = await send(client, performance.now());
      if (!tally) continue;
      if (answer.message) tally.acked += 1;
      else tally.failed += 1;
    }
  };
  await Promise.all(clients.flatMap((client) => Array.from({ length: inflight }, () => loop(client))));
  // Deliveries of the last acknowledged messages may still be on their way.
  await new Promise((settle) => setTimeout(settle, 200));
  stopListening();
  if (tally) tally.seconds += (performance.now() - started) / 1000 - 0.2;
}

/** What the fixed-rate phase measured of one target. */
interface RateTally {
  sent: number;
  acked: number;
  failed: number;
  /** Deliveries of the messages sent in the rounds, latency from when each was due. */
  latencies: number[];
  seconds: number;
  /** CPU time spent during the rounds and their wait for the last deliveries, ms, as in `Tally`. */
  cpu: { clients: number; server: number; database: number };
  /** How long that CPU time was taken over, s. */
  cpuSeconds: number;
}

/**
 * Every client sends on a fixed schedule for `seconds`: `rate` messages per second over all the clients,
 * spaced evenly and staggered between clients, without waiting for acknowledgements. A message carries the
 * time it was due; one due while the client's event loop was busy goes late but keeps that time. Deliveries
 * still missing 2 s after the last send count as lost (an infinite latency).
 */
async function steady(clients: Client[], seconds: number, tally?: RateTally): Promise<void> {
  const interval = (1000 * clients.length) / rate;
  const started = performance.now();
  const until = started + seconds * 1000;
  let due = 0;
  let delivered = 0;
  // Counted in warm-up too, so that its end waits only for deliveries still on their way.
  const stopListening = listenForDeliveries(clients, started, (latency) => {
    delivered += 1;
    tally?.latencies.push(latency);
  });
  const acks: Promise<void>[] = [];
  const schedule = clients.map((_, index) => started + (index * interval) / clients.length);
  while (performance.now() < until) {
    const now = performance.now();
    for (const [index, client] of clients.entries()) {
      while ((schedule[index] as number) <= now && (schedule[index] as number) < until) {
        const dueAt = schedule[index] as number;
        schedule[index] = dueAt + interval;
        due += 1;
        acks.push(
          send(client, dueAt).then(
            (answer) => {
              if (!tally) return;
              if (answer.message) tally.acked += 1;
              else tally.failed += 1;
            },
            () => {
              if (tally) tally.failed += 1;
            },
          ),
        );
      }
    }
    await new Promise((tick) => setTimeout(tick, 1));
  }
  await Promise.all(acks);
  const waitUntil = performance.now() + 2000;
  while (delivered < due && performance.now() < waitUntil) await new Promise((tick) => setTimeout(tick, 5));
  stopListening();
  if (!tally) return;
  tally.sent += due;
  tally.seconds += seconds;
  for (let lost = delivered; lost < due; lost += 1) tally.latencies.push(Number.POSITIVE_INFINITY);
}

/** CPU time per message of each part (µs), and how many cores the parts kept busy together. */
function cpuShares(cpu: Tally["cpu"], messages: number, seconds: number) {
  return {
    perMessageUs: {
      clients: (1000 * cpu.clients) / messages,
      server: (1000 * cpu.server) / messages,
      database: (1000 * cpu.database) / messages,
    },
    cores: (cpu.clients + cpu.server + cpu.database) / (1000 * seconds),
  };
}

function printCpu(
  per: string,
  rows: ({ target: string } & ReturnType<typeof cpuShares>)[],
  withoutDatabase: string,
): void {
  console.log(
    `\nCPU time per ${per} (µs), and how many of the machine's ${availableParallelism()} cores were busy\n`,
  );
  console.log("| target | clients | server | PostgreSQL | total | cores busy |");
  console.log("|---|---:|---:|---:|---:|---:|");
  for (const row of rows) {
    const { clients, server, database } = row.perMessageUs;
    console.log(
      `| ${row.target} | ${clients.toFixed(0)} | ${server.toFixed(0)} | ${row.target === withoutDatabase ? "–" : database.toFixed(0)} | ${(clients + server + database).toFixed(0)} | ${row.cores.toFixed(2)} |`,
    );
  }
}

function percentile(values: number[], p: number): number {
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? Number.NaN;
}

async function main(): Promise<void> {
  let run: RunFolder | undefined;
  const children: Child[] = [];
  const sockets: Socket[] = [];
  let smtp: TestSmtp | undefined;
  try {
    if (profileDir) await mkdir(profileDir, { recursive: true });
    run = await startRunFolder("chat");
    const { folder: work, embedded } = run;
    const databaseUrl = embedded.url("postgres");
    await runMigrations(databaseUrl, { connectTimeoutMs: 10_000 });
    if (!coldWal) await warmWal(databaseUrl);
    // The registrations' verification emails go somewhere, as in production, instead of a warning each.
    smtp = await startSmtp();
    const jobsphere = await spawnServer("jobsphere", {
      DATABASE_URL: databaseUrl,
      SMTP_URL: smtp.url,
      HOST: "127.0.0.1",
      PORT: "0",
      DATA_DIR: join(work, "data"),
      UPLOAD_DIR: join(work, "upload"),
      SHUTDOWN_DRAIN_MS: "0",
      LIMIT_REGISTER_ADDRESS: "100000/1h",
      LIMIT_CHAT_MESSAGES: "100000000/1h",
      JWT_PRIVATE_KEY: generateKeyPairSync("ed25519")
        .privateKey.export({ type: "pkcs8", format: "pem" })
        .toString(),
    });
    children.push(jobsphere);
    const echo = await spawnServer("echo");
    children.push(echo);

    const targets: Target[] = [
      { label: "bare Socket.IO echo (no storage)", server: echo, clients: await echoClients(echo.url) },
      {
        label: "JobSphere `message:send` (stored, then delivered)",
        server: jobsphere,
        clients: await jobsphereClients(jobsphere.url),
      },
    ];
    for (const target of targets) sockets.push(...target.clients.map((client) => client.socket));
    for (const target of targets) await load(target.clients, warmUpSeconds);
    if (profileDir)
      for (const child of children)
        await startProfile(child.process, join(profileDir, `${child.name}.cpuprofile`));
    const tallies: Tally[] = targets.map(() => ({
      acked: 0,
      delivered: 0,
      failed: 0,
      latencies: [],
      seconds: 0,
      cpu: { clients: 0, server: 0, database: 0 },
    }));
    // The first line of postmaster.pid is the postmaster's; its children are the backends and helpers.
    const databasePid = Number(
      (await readFile(join(embedded.dataDir, "postmaster.pid"), "utf8")).split("\n")[0],
    );
    /** Runs one round of `target`, adding the CPU it took to `cpu`; answers how long it ran, s. */
    const measured = async (target: Target, cpu: Tally["cpu"], round: () => Promise<void>) => {
      const ownDatabase = target.server === jobsphere ? databasePid : undefined;
      const started = performance.now();
      const before = await cpuNow(target.server.process.pid, ownDatabase);
      await round();
      const after = await cpuNow(target.server.process.pid, ownDatabase);
      for (const part of ["clients", "server", "database"] as const) cpu[part] += after[part] - before[part];
      return (performance.now() - started) / 1000;
    };
    for (let round = 0; round < rounds; round += 1) {
      for (const [index, target] of targets.entries()) {
        const tally = tallies[index] as Tally;
        await measured(target, tally.cpu, () => load(target.clients, roundSeconds, tally));
      }
    }
    if (profileDir) for (const child of children) await writeProfile(child.process);
    const rateTallies: RateTally[] = targets.map(() => ({
      sent: 0,
      acked: 0,
      failed: 0,
      latencies: [],
      seconds: 0,
      cpu: { clients: 0, server: 0, database: 0 },
      cpuSeconds: 0,
    }));
    for (const target of targets) await steady(target.clients, warmUpSeconds);
    for (let round = 0; round < rounds; round += 1) {
      for (const [index, target] of targets.entries()) {
        const tally = rateTallies[index] as RateTally;
        tally.cpuSeconds += await measured(target, tally.cpu, () =>
          steady(target.clients, roundSeconds, tally),
        );
      }
    }
    const stored = await fetch(`${jobsphere.url}/health/live`);
    if (!stored.ok) throw new Error("the JobSphere server is not live after the run");
    for (const socket of sockets.splice(0)) socket.close();
    for (const child of children.splice(0)) await stopChild(child.process, false);

    const results = targets.map((target, index) => {
      const tally = tallies[index] as Tally;
      if (tally.failed > 0) throw new Error(`${target.label}: ${tally.failed} sends failed`);
      return {
        target: target.label,
        ackedPerSecond: tally.acked / tally.seconds,
        deliveredPerSecond: tally.delivered / tally.seconds,
        p50: percentile(tally.latencies, 50),
        p99: percentile(tally.latencies, 99),
        ...cpuShares(tally.cpu, tally.delivered, tally.seconds),
      };
    });
    const steadyResults = targets.map((target, index) => {
      const tally = rateTallies[index] as RateTally;
      if (tally.failed > 0) throw new Error(`${target.label}: ${tally.failed} sends failed at ${rate} msg/s`);
      const lost = tally.latencies.filter((latency) => latency === Number.POSITIVE_INFINITY).length;
      return {
        target: target.label,
        offeredPerSecond: tally.sent / tally.seconds,
        deliveredPerSecond: (tally.latencies.length - lost) / tally.seconds,
        lost,
        p50: percentile(tally.latencies, 50),
        p99: percentile(tally.latencies, 99),
        max: percentile(tally.latencies, 100),
        ...cpuShares(tally.cpu, tally.sent, tally.cpuSeconds),
      };
    });
    const [bare, ours] = results;
    const [bareSteady, oursSteady] = steadyResults;
    if (!bare || !ours || !bareSteady || !oursSteady) throw new Error("a measurement is missing");
    const ms = (value: number) => (Number.isFinite(value) ? value.toFixed(1) : "lost");
    console.log(
      `\n${pairs} pairs (${pairs * 2} sockets). Saturation: ${inflight} unacknowledged messages per socket; ${rounds} rounds of ${roundSeconds} s per target, taking turns, after ${warmUpSeconds} s of warm-up each; WAL ${coldWal ? "of a fresh cluster (BENCH_COLD_WAL=1)" : "segments recycled, as in a database that has been running"}\n`,
    );
    console.log(
      "| target | acked msg/s | delivered msg/s | delivery p50 ms (queued) | delivery p99 ms (queued) |",
    );
    console.log("|---|---:|---:|---:|---:|");
    for (const row of results) {
      console.log(
        `| ${row.target} | ${Math.round(row.ackedPerSecond).toLocaleString("en")} | ${Math.round(row.deliveredPerSecond).toLocaleString("en")} | ${row.p50.toFixed(1)} | ${row.p99.toFixed(1)} |`,
      );
    }
    printCpu(`delivered message in the saturation rounds`, results, bare.target);
    console.log(
      `\nFixed rate: ${rate.toLocaleString("en")} msg/s offered over the ${pairs * 2} sockets without waiting for acks; ${rounds} rounds of ${roundSeconds} s per target, after ${warmUpSeconds} s of warm-up each; latency from when each message was due\n`,
    );
    console.log(
      "| target | offered msg/s | delivered msg/s | not delivered | delivery p50 ms | delivery p99 ms | max ms |",
    );
    console.log("|---|---:|---:|---:|---:|---:|---:|");
    for (const row of steadyResults) {
      console.log(
        `| ${row.target} | ${Math.round(row.offeredPerSecond).toLocaleString("en")} | ${Math.round(row.deliveredPerSecond).toLocaleString("en")} | ${row.lost} | ${ms(row.p50)} | ${ms(row.p99)} | ${ms(row.max)} |`,
      );
    }
    printCpu(
      `message at ${rate.toLocaleString("en")} msg/s (the rounds and their last deliveries)`,
      steadyResults,
      bare.target,
    );
    const ratio = ours.deliveredPerSecond / bare.deliveredPerSecond;
    const verdict = (met: boolean) => (met ? "met" : "NOT met");
    console.log("\n| measure | measured | goal | |");
    console.log("|---|---:|---:|---|");
    console.log(
      `| persisted messages/s | ${Math.round(ours.deliveredPerSecond).toLocaleString("en")} | ≥ ${goals.messagesPerSecond.toLocaleString("en")} | ${verdict(ours.deliveredPerSecond >= goals.messagesPerSecond)} |`,
    );
    console.log(
      `| delivery p99 at ${rate.toLocaleString("en")} msg/s | ${ms(oursSteady.p99)} ms | < ${goals.p99Ms} ms | ${verdict(oursSteady.p99 < goals.p99Ms && rate >= goals.messagesPerSecond)} |`,
    );
    console.log(
      `| JobSphere / bare echo | ${ratio.toFixed(2)} | ≥ ${goals.ratio} | ${verdict(ratio >= goals.ratio)} |`,
    );
    if (profileDir)
      for (const name of ["jobsphere", "echo"]) await printTopFrames(join(profileDir, `${name}.cpuprofile`));
  } finally {
    for (const socket of sockets) socket.close();
    for (const child of children.splice(0)) child.process.kill("SIGKILL");
    await smtp?.close();
    await run?.remove();
  }
}

const mode = process.argv[2];
if (mode === "jobsphere" || mode === "echo") await serve(mode);
else await main();
