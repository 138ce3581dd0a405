import { type ChildProcess, spawn } from "node:child_process";
import { chmod, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mainScript, spawnServer, waitFor } from "./process.js";

const migrateCli = fileURLToPath(new URL("../src/db/migrate-cli.ts", import.meta.url));

/**
 * One embedded cluster, initialised once, for the whole file: each test starts servers and CLIs on it and
 * injects its fault.
 */
describe("the embedded PostgreSQL's lifecycle", { timeout: 120_000 }, () => {
  let root: string;
  let dataDir: string;
  const clusterDir = () => join(dataDir, "postgres");
  const env = () => ({
    DATA_DIR: dataDir,
    DATABASE_URL: "",
    DEMO_DATA: "false",
    EMBEDDED_POSTGRES_RESTARTS: "3",
  });

  async function postmasterPid(): Promise<number | undefined> {
    const text = await readFile(join(clusterDir(), "postmaster.pid"), "utf8").catch(() => "");
    return text ? Number(text.split("\n")[0]) : undefined;
  }
  /** Whether a postmaster serving this cluster is running. */
  async function clusterRunning(): Promise<boolean> {
    const pid = await postmasterPid();
    if (!pid) return false;
    const cmdline = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "");
    return cmdline.split("\0").includes(clusterDir());
  }
  /** Runs a script to its end, or signals it once its output shows `at`. */
  function runScript(script: string, options: { at?: string; signal?: NodeJS.Signals } = {}) {
    return new Promise<{ code: number | null; output: string }>((resolveRun) => {
      const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", script], {
        env: {
          ...process.env,
          ...env(),
          PORT: "0",
          HOST: "127.0.0.1",
          LOG_FORMAT: "json",
          LOG_LEVEL: "info",
        },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let output = "";
      let signalled = false;
      const collect = (chunk: Buffer) => {
        output += chunk.toString();
        if (options.at && !signalled && output.includes(options.at)) {
          signalled = true;
          child.kill(options.signal ?? "SIGINT");
        }
      };
      child.stdout?.on("data", collect);
      child.stderr?.on("data", collect);
      child.on("exit", (code) => resolveRun({ code, output }));
    });
  }

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "jobsphere-lifecycle-"));
    // The postgres user must reach the cluster (a private folder would move it under /var/tmp).
    await chmod(root, 0o755);
    dataDir = join(root, "data");
  });
  afterAll(async () => {
    const pid = await postmasterPid();
    if (pid && (await clusterRunning())) process.kill(pid, "SIGQUIT");
    await rm(root, { recursive: true, force: true });
  });

  it("refuses a second server on the same DATA_DIR while the first serves on", async () => {
    const first = await spawnServer(env());
    try {
      const second = await runScript(mainScript);
      expect(second.code).toBe(1);
      expect(second.output).toContain(`belongs to another running server (PID ${first.child.pid})`);
      expect((await fetch(`${first.base}/health/ready`)).status).toBe(200);
    } finally {
      first.child.kill("SIGTERM");
      expect(await first.exited).toBe(0);
    }
    expect(await clusterRunning()).toBe(false);
  });

  it("takes over the cluster a SIGKILLed server left running, and stops it on exit", async () => {
    const killed = await spawnServer(env());
    killed.child.kill("SIGKILL");
    await killed.exited;
    expect(await clusterRunning()).toBe(true);
    const orphan = await postmasterPid();

    const next = await spawnServer(env());
    expect((await fetch(`${next.base}/health/ready`)).status).toBe(200);
    expect(await postmasterPid()).not.toBe(orphan);
    next.child.kill("SIGTERM");
    expect(await next.exited).toBe(0);
    expect(await clusterRunning()).toBe(false);
  });

  it("starts despite a leftover postmaster.pid naming a live process that is not our postgres", async () => {
    const foreign = spawn("sleep", ["60"]);
    try {
      const { writeFile } = await import("node:fs/promises");
      await writeFile(join(clusterDir(), "postmaster.pid"), `${foreign.pid}\n${clusterDir()}\n0\n5432\n`);
      const server = await spawnServer(env());
      expect((await fetch(`${server.base}/health/ready`)).status).toBe(200);
      server.child.kill("SIGTERM");
      expect(await server.exited).toBe(0);
    } finally {
      foreign.kill("SIGKILL");
    }
  });

  it("restarts a postmaster killed under a running server; readiness tells the truth during a shutdown", async () => {
    const server = await spawnServer(env());
    try {
      // A smart shutdown keeps the sessions it has and refuses new ones: the pool still works, new clients not.
      const first = await postmasterPid();
      expect(first).toBeDefined();
      process.kill(first as number, "SIGTERM");
      await waitFor(async () => (await fetch(`${server.base}/health/ready`)).status === 503, 10_000, 100);

      const dying = await postmasterPid();
      process.kill(dying as number, "SIGKILL");
      await waitFor(async () => (await fetch(`${server.base}/health/ready`)).status === 200, 30_000, 200);
      expect(await postmasterPid()).not.toBe(dying);
      // The database accepts connections a moment before the restart returns and liveness turns back to 200.
      await waitFor(async () => (await fetch(`${server.base}/health/live`)).status === 200, 5_000, 50);
      expect(server.logs.join("\n")).toContain("embedded PostgreSQL restarted");
    } finally {
      server.child.kill("SIGTERM");
      expect(await server.exited).toBe(0);
    }
    expect(await clusterRunning()).toBe(false);
  });

  it("stops its PostgreSQL on SIGTERM during start-up, and a CLI stops its own on Ctrl-C", async () => {
    const server = await runScript(mainScript, { at: "embedded PostgreSQL is up", signal: "SIGTERM" });
    expect(server.code).toBe(0);
    expect(server.output).toContain("stopped during start-up");
    expect(await clusterRunning()).toBe(false);

    const cli = await runScript(migrateCli, { at: "embedded PostgreSQL is up", signal: "SIGINT" });
    expect(cli.code).toBe(130);
    expect(await clusterRunning()).toBe(false);
  });
});
