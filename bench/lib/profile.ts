/**
 * CPU profiles of benchmark servers, shared by the benchmarks that fork their servers (`BENCH_PROFILE=<folder>`).
 * The parent tells a child over IPC to start recording (`startProfile`) and, when the rounds are over, to write
 * the profile (`stopChild`); `topFrames` sums a profile's self time by function and by package.
 */
import type { ChildProcess } from "node:child_process";
import { once } from "node:events";
import { readFile, writeFile } from "node:fs/promises";
import { Session } from "node:inspector/promises";

/**
 * Child side: answers the parent's messages. `{ profile: file }` starts recording (200 µs sampling); "stop"
 * writes the profile when one is being recorded, else stops the server and ends the process.
 */
export function answerProfiler(stop: () => Promise<void>): void {
  let profiling: { session: Session; file: string } | undefined;
  process.on("message", async (message: { profile: string } | "stop") => {
    if (message !== "stop") {
      profiling = { session: new Session(), file: message.profile };
      profiling.session.connect();
      await profiling.session.post("Profiler.enable");
      await profiling.session.post("Profiler.setSamplingInterval", { interval: 200 });
      await profiling.session.post("Profiler.start");
      process.send?.("profiling");
    } else if (profiling) {
      const { session, file } = profiling;
      profiling = undefined;
      const { profile } = await session.post("Profiler.stop");
      await writeFile(file, JSON.stringify(profile));
      session.disconnect();
      process.send?.("profiled");
    } else {
      await stop();
      process.exit(0);
    }
  });
}

/** Parent side: the child records from now until `stopChild`. */
export async function startProfile(child: ChildProcess, file: string): Promise<void> {
  const started = once(child, "message");
  child.send({ profile: file });
  await started;
}

/** Parent side: ends the child's profile and waits until it is written; the child goes on serving. */
export async function writeProfile(child: ChildProcess): Promise<void> {
  // While a profile is being recorded, "stop" ends it (written before the reply); the next one ends the process.
  const written = once(child, "message");
  child.send("stop");
  await written;
}

/** Parent side: writes the child's profile first when one is still recorded, then stops it. */
export async function stopChild(child: ChildProcess, profiled: boolean): Promise<void> {
  const exited = once(child, "exit");
  if (profiled) await writeProfile(child);
  child.send("stop");
  await exited;
}

/** Self time in `file` per function and per package (or source file of ours), largest first, in %. */
async function topFrames(file: string, count = 15): Promise<{ functions: string[]; packages: string[] }> {
  const profile = JSON.parse(await readFile(file, "utf8")) as {
    nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
    samples: number[];
    timeDeltas: number[];
  };
  const byId = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
  const functions = new Map<string, number>();
  const packages = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, index) => {
    const frame = byId.get(id);
    const delta = profile.timeDeltas[index] ?? 0;
    // Shares of the busy time: the servers wait while the others are measured.
    if (!frame || frame.functionName === "(idle)") return;
    const where = frame.url.replace(/^.*node_modules\//, "").replace(/^.*\/apps\/server\//, "");
    const name = `${frame.functionName || "(anonymous)"} ${where}:${frame.lineNumber + 1}`;
    const owner = frame.url.includes("node_modules/")
      ? (/node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(frame.url)?.[1] ?? where)
      : frame.url.startsWith("node:")
        ? "node (built-in)"
        : frame.url === ""
          ? frame.functionName
          : where;
    functions.set(name, (functions.get(name) ?? 0) + delta);
    packages.set(owner, (packages.get(owner) ?? 0) + delta);
    total += delta;
  });
  const top = (map: Map<string, number>) =>
    [...map]
      .sort(([, a], [, b]) => b - a)
      .slice(0, count)
      .map(([name, time]) => `${((time / total) * 100).toFixed(1).padStart(5)} %  ${name}`);
  return { functions: top(functions), packages: top(packages) };
}

/** Prints `topFrames` of `file`. */
export async function printTopFrames(file: string): Promise<void> {
  const top = await topFrames(file);
  console.log(`\nSelf time of ${file}, by function:`);
  for (const line of top.functions) console.log(line);
  console.log("By package or source file:");
  for (const line of top.packages) console.log(line);
}
