import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { type EmbeddedDatabase, startEmbeddedPostgres } from "../../apps/server/src/db/embedded.js";

/** A benchmark run's own folder (for its servers' files too) and the embedded PostgreSQL kept in it. */
export interface RunFolder {
  folder: string;
  embedded: EmbeddedDatabase;
  /** Stops the database and deletes the folder, cluster included. */
  remove(): Promise<void>;
}

/**
 * A fresh folder holding a new embedded PostgreSQL cluster. The cluster goes in the folder itself, which it
 * opens to the postgres user: in a folder under it (mkdtemp makes them private) the cluster would move to
 * /var/tmp and outlive the run, some 350 MB each time.
 */
export async function startRunFolder(name: string): Promise<RunFolder> {
  const folder = await mkdtemp(join(tmpdir(), `jobsphere-bench-${name}-`));
  const removeFolder = () => rm(folder, { recursive: true, force: true });
  let embedded: EmbeddedDatabase;
  try {
    embedded = await startEmbeddedPostgres({ dir: folder, logger: pino({ level: "silent" }) });
  } catch (error) {
    await removeFolder();
    throw error;
  }
  return {
    folder,
    embedded,
    async remove() {
      await embedded.stop();
      await removeFolder();
    },
  };
}
