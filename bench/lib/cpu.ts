/**
 * CPU time of processes, from `/proc` (Linux): what a benchmark's server and its database spent, so that a
 * throughput can be read as CPU per request and set against what the machine has. Elsewhere it reads nothing.
 */
import { readdir, readFile } from "node:fs/promises";

/** `/proc/<pid>/stat` counts in clock ticks, which Linux exposes at 100 per second on every architecture. */
const msPerTick = 10;

/** The fields after the command name (which may hold spaces and parentheses), from the state on. */
async function statFields(pid: number | string): Promise<string[] | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  } catch {
    return undefined;
  }
}

/** User plus system CPU time of one process, in ms; 0 when it cannot be read. */
export async function processCpuMs(pid: number): Promise<number> {
  const fields = await statFields(pid);
  // utime and stime are the stat file's 14th and 15th fields; these start at the 3rd.
  return fields ? (Number(fields[11]) + Number(fields[12])) * msPerTick : 0;
}

/**
 * CPU time of a process and its children (a PostgreSQL postmaster and its backends), in ms. Time of a child
 * that ended meanwhile is lost, so the processes measured should live through the measurement (pooled
 * connections do).
 */
export async function processTreeCpuMs(rootPid: number): Promise<number> {
  let entries: string[];
  try {
    entries = await readdir("/proc");
  } catch {
    return 0;
  }
  let total = 0;
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = await statFields(entry);
    if (!fields) continue;
    if (Number(entry) === rootPid || Number(fields[1]) === rootPid)
      total += (Number(fields[11]) + Number(fields[12])) * msPerTick;
  }
  return total;
}
