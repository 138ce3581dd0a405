import { mkdir, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { ConfigError } from "./config.js";

/** Fails with a ConfigError naming `variable` unless this process can create and write files in `dir`. */
export async function checkWritableFolder(dir: string, variable: string): Promise<void> {
  const probe = join(dir, `.write-check-${process.pid}`);
  try {
    // Created one level at a time: a recursive mkdir under /proc never returns.
    const missing: string[] = [];
    let current = dir;
    while (!(await stat(current).catch(() => undefined))) {
      missing.unshift(current);
      const parent = dirname(current);
      if (parent === current) break;
      current = parent;
    }
    for (const folder of missing) await mkdir(folder);
    await writeFile(probe, "");
    await rm(probe, { force: true });
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new ConfigError(`Invalid configuration: ${variable} (${dir}) is not a writable folder (${reason})`);
  }
}
