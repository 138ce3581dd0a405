import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";

/**
 * s3rver runs in a child process because it encrypts ListObjectsV2 continuation tokens with single DES,
 * which OpenSSL 3 (Node 17+) only offers through the legacy provider; without it every truncated listing
 * fails with a 500.
 */
const serverScript = `
const [modulePath, directory] = process.argv.slice(1);
const S3rver = require(modulePath);
const server = new S3rver({ address: "127.0.0.1", port: 0, directory, silent: true });
server.run().then(
  (address) => process.stdout.write(JSON.stringify(address) + "\\n"),
  (error) => { console.error(error); process.exit(1); },
);
process.stdin.on("end", () => server.close().finally(() => process.exit(0)));
process.stdin.resume();
`;

export interface FakeS3 {
  endpoint: string;
  stop(): Promise<void>;
}

/** A real S3-compatible server (s3rver) on loopback, for the S3 driver and storage migration tests. */
export async function startS3rver(): Promise<FakeS3> {
  const directory = await mkdtemp(join(tmpdir(), "jobsphere-s3rver-"));
  const modulePath = createRequire(import.meta.url).resolve("s3rver");
  const child: ChildProcess = spawn(
    process.execPath,
    ["--openssl-legacy-provider", "-e", serverScript, modulePath, directory],
    { stdio: ["pipe", "pipe", "inherit"] },
  );
  const exited = once(child, "exit");
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      // Closing stdin lets the server shut down cleanly; the timer covers a server that hangs.
      child.stdin?.end();
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
    }
    await rm(directory, { recursive: true, force: true });
  };
  const exitedEarly = exited.then(([code]) => Promise.reject(new Error(`s3rver exited with ${code}`)));
  // Once the server is up, its exit at stop() is expected, not a failure.
  exitedEarly.catch(() => {});
  try {
    const lines = createInterface({ input: child.stdout as Readable });
    const [line] = (await Promise.race([once(lines, "line"), exitedEarly])) as [string];
    lines.close();
    const { port } = JSON.parse(line) as { port: number };
    return { endpoint: `http://127.0.0.1:${port}`, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
