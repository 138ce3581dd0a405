/**
 * Request overhead: JobSphere's cheapest route and an authenticated read, next to a bare `node:http` server
 * and a bare Express 5 app with the same middleware, measured in one run.
 * Run from the repository root: `npm run bench:http` (or `npx tsx bench/http.ts`).
 *
 * Each server under test runs in a child process of its own (this file, forked with a mode argument), so the
 * load generator (autocannon, in this process) never shares an event loop with the server it measures.
 *
 * The targets take turns in short rounds (BENCH_ROUNDS of BENCH_ROUND_SECONDS each, default 5 × 3 s), so
 * a burst of other work on the machine falls on all of them alike and the ratios hold on a noisy machine.
 * Settings (environment): BENCH_ROUNDS, BENCH_ROUND_SECONDS, BENCH_CONNECTIONS (default 50),
 * BENCH_PROFILE=<folder>: each server records a CPU profile of the measured rounds (after warm-up), written
 * there as `<target>.cpuprofile` (open it in Chrome DevTools or speedscope), and the top self-time frames and
 * packages are printed.
 */
import { type ChildProcess, fork } from "node:child_process";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { once } from "node:events";
import { mkdir } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import cors from "cors";
import express from "express";
import helmet from "helmet";
import { loadConfig } from "../apps/server/src/config.js";
import { runMigrations } from "../apps/server/src/db/migrate.js";
import { createLogger } from "../apps/server/src/logger.js";
import { startServer } from "../apps/server/src/server.js";
import { type RunFolder, startRunFolder } from "./lib/database.js";
import { answerProfiler, printTopFrames, startProfile, stopChild } from "./lib/profile.js";

const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const roundSeconds = Number(process.env.BENCH_ROUND_SECONDS ?? 3);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 50);
const profileDir = process.env.BENCH_PROFILE;
const warmUpSeconds = 2;
const goals = { liveOverExpress: 0.8, meOverLive: 0.5 };

type Mode = "node" | "express" | "jobsphere";

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
    const listener =
      mode === "node"
        ? createServer((_req, res) => {
            res.setHeader("Content-Type", "application/json; charset=utf-8");
            res.end(JSON.stringify({ status: "live" }));
          })
        : createServer(bareExpress());
    listener.listen(0, "127.0.0.1");
    await once(listener, "listening");
    port = (listener.address() as AddressInfo).port;
    stop = async () => {
      listener.closeAllConnections();
      await new Promise((closed) => listener.close(closed));
    };
  }
  answerProfiler(stop);
  process.send?.({ port });
}

/** The framework's own cost: Express 5 with the middleware JobSphere runs on every request. */
function bareExpress() {
  const app = express();
  app.disable("x-powered-by");
  app.use(helmet());
  app.use(cors());
  app.use(express.json());
  app.get("/health/live", (_req, res) => {
    res.json({ status: "live" });
  });
  return app;
}

interface Child {
  process: ChildProcess;
  name: string;
  url: string;
}

async function spawnServer(mode: Mode, name: string, env: Record<string, string> = {}): Promise<Child> {
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
  return { process: child, name, url: `http://127.0.0.1:${message.port}` };
}

async function stopServer(child: Child): Promise<void> {
  await stopChild(child.process, profileDir !== undefined);
}

interface Target {
  label: string;
  child: Child;
  path: string;
  headers?: Record<string, string>;
}

interface Tally {
  requests: number;
  seconds: number;
  failed: number;
  latencies: number[];
}

/** One autocannon run against `target`, added to `tally`: every answer's latency is kept for the percentiles. */
async function hit(target: Target, seconds: number, tally?: Tally): Promise<void> {
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const run = autocannon(
      {
        url: `${target.child.url}${target.path}`,
        connections,
        duration: seconds,
        headers: target.headers ?? {},
      },
      (error, done) => (error ? reject(error) : resolve(done)),
    );
    if (tally) {
      run.on("response", (_client, statusCode, _bytes, responseTime) => {
        tally.latencies.push(responseTime);
        if (statusCode < 200 || statusCode >= 300) tally.failed += 1;
      });
    }
  });
  if (!tally) return;
  tally.requests += result.requests.total;
  tally.seconds += result.duration;
  tally.failed += result.errors + result.timeouts;
}

function percentile(values: number[], p: number): number {
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? Number.NaN;
}

async function main(): Promise<void> {
  let run: RunFolder | undefined;
  const children: Child[] = [];
  try {
    if (profileDir) await mkdir(profileDir, { recursive: true });
    run = await startRunFolder("http");
    const work = run.folder;
    const databaseUrl = run.embedded.url("postgres");
    await runMigrations(databaseUrl, { connectTimeoutMs: 10_000 });

    const jobsphereEnv = {
      DATABASE_URL: databaseUrl,
      HOST: "127.0.0.1",
      PORT: "0",
      DATA_DIR: join(work, "data"),
      UPLOAD_DIR: join(work, "upload"),
      SHUTDOWN_DRAIN_MS: "0",
      JWT_PRIVATE_KEY: generateKeyPairSync("ed25519")
        .privateKey.export({ type: "pkcs8", format: "pem" })
        .toString(),
    };
    // One process per target (the two JobSphere ones share the database), so each profile shows one kind
    // of request. All stay up, idle while another is measured.
    for (const [mode, name, env] of [
      ["node", "node", {}],
      ["express", "express", {}],
      ["jobsphere", "live", jobsphereEnv],
      ["jobsphere", "me", jobsphereEnv],
    ] as const) {
      children.push(await spawnServer(mode, name, env));
    }
    const [nodeServer, expressServer, liveServer, meServer] = children;
    if (!nodeServer || !expressServer || !liveServer || !meServer) throw new Error("a server is missing");
    const registered = await fetch(`${meServer.url}/api/v1/auth/register`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        email: `bench-${randomBytes(4).toString("hex")}@example.com`,
        password: "plumb-bob tangerine 42",
        name: "Bench User",
        role: "customer",
      }),
    });
    if (registered.status !== 201) throw new Error(`register: ${registered.status}`);
    const { accessToken } = (await registered.json()) as { accessToken: string };

    const targets: Target[] = [
      { label: "bare `node:http`", child: nodeServer, path: "/health/live" },
      {
        label: "bare Express 5 + helmet, cors, `express.json()`",
        child: expressServer,
        path: "/health/live",
      },
      { label: "JobSphere `GET /health/live`", child: liveServer, path: "/health/live" },
      {
        label: "JobSphere `GET /api/v1/me` (access token)",
        child: meServer,
        path: "/api/v1/me",
        headers: { authorization: `Bearer ${accessToken}` },
      },
    ];
    for (const target of targets) await hit(target, warmUpSeconds);
    if (profileDir)
      for (const target of targets)
        await startProfile(target.child.process, join(profileDir, `${target.child.name}.cpuprofile`));
    // Short rounds, taking turns: a neighbour's burst of load falls on every target alike, not on one.
    const tallies = targets.map(() => ({ requests: 0, seconds: 0, failed: 0, latencies: [] as number[] }));
    for (let round = 0; round < rounds; round += 1) {
      for (const [index, target] of targets.entries()) await hit(target, roundSeconds, tallies[index]);
    }
    for (const child of children.splice(0)) await stopServer(child);
    const results = targets.map((target, index) => {
      const tally = tallies[index] as Tally;
      if (tally.failed > 0) throw new Error(`${target.label}: ${tally.failed} requests failed`);
      return {
        target: target.label,
        requestsPerSecond: tally.requests / tally.seconds,
        p50: percentile(tally.latencies, 50),
        p99: percentile(tally.latencies, 99),
      };
    });
    type Measure = (typeof results)[number];
    const [, bareExpressResult, live, me] = results;
    if (!bareExpressResult || !live || !me) throw new Error("a measurement is missing");
    console.log(
      `\n${connections} connections; ${rounds} rounds of ${roundSeconds} s per target, taking turns, after ${warmUpSeconds} s of warm-up each\n`,
    );
    console.log("| target | req/s | p50 ms | p99 ms |");
    console.log("|---|---:|---:|---:|");
    for (const row of results) {
      console.log(
        `| ${row.target} | ${Math.round(row.requestsPerSecond).toLocaleString("en")} | ${row.p50.toFixed(1)} | ${row.p99.toFixed(1)} |`,
      );
    }
    const ratio = (a: Measure, b: Measure) => a.requestsPerSecond / b.requestsPerSecond;
    const liveRatio = ratio(live, bareExpressResult);
    const meRatio = ratio(me, live);
    const verdict = (value: number, goal: number) => (value >= goal ? "met" : "NOT met");
    console.log("\n| ratio | measured | goal | |");
    console.log("|---|---:|---:|---|");
    console.log(
      `| \`/health/live\` / bare Express | ${liveRatio.toFixed(2)} | ≥ ${goals.liveOverExpress} | ${verdict(liveRatio, goals.liveOverExpress)} |`,
    );
    console.log(
      `| \`/me\` / \`/health/live\` | ${meRatio.toFixed(2)} | ≥ ${goals.meOverLive} | ${verdict(meRatio, goals.meOverLive)} |`,
    );
    if (profileDir) {
      for (const name of ["express", "live", "me"])
        await printTopFrames(join(profileDir, `${name}.cpuprofile`));
    }
  } finally {
    for (const child of children) child.process.kill("SIGKILL");
    await run?.remove();
  }
}

const mode = process.argv[2] as Mode | undefined;
if (mode) await serve(mode);
else await main();
