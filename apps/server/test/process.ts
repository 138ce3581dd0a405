import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

export const mainScript = fileURLToPath(new URL("../src/main.ts", import.meta.url));

export interface ServerProcess {
  child: ChildProcess;
  base: string;
  /** Every line the process wrote so far, stdout and stderr. */
  logs: string[];
  /** Resolves with the exit code (or the signal's name) once the process ends. */
  exited: Promise<number | string | null>;
}

/**
 * Starts `src/main.ts` as `npm start` does (JSON logs, loopback, a free port unless PORT is given) and waits
 * for its "up" line.
 */
export async function spawnServer(env: Record<string, string>, timeoutMs = 60_000): Promise<ServerProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", mainScript], {
    env: { ...process.env, PORT: "0", HOST: "127.0.0.1", LOG_FORMAT: "json", LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const logs: string[] = [];
  const exited = new Promise<number | string | null>((resolveExit) =>
    child.on("exit", (code, signal) => resolveExit(code ?? signal)),
  );
  const base = await new Promise<string>((resolveBase, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${logs.join("\n")}`)), timeoutMs);
    child.stderr?.on("data", (chunk: Buffer) => logs.push(chunk.toString()));
    child.stdout?.on("data", (chunk: Buffer) => {
      for (const line of chunk.toString().split("\n")) {
        if (line === "") continue;
        logs.push(line);
        if (line.includes('"api"')) {
          clearTimeout(timer);
          resolveBase(new URL((JSON.parse(line) as { api: string }).api).origin);
        }
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${logs.join("\n")}`));
    });
  });
  return { child, base, logs, exited };
}

/** Waits until `check` holds, polling every `everyMs`, failing after `timeoutMs`. */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number, everyMs = 50) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolveWait) => setTimeout(resolveWait, everyMs));
  }
}
