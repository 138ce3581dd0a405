import { createHash } from "node:crypto";
import { chmod, mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { startEmbeddedPostgres } from "../src/db/embedded.js";

describe("embedded PostgreSQL", () => {
  it("runs from a project in a folder only its owner can enter, keeping data across restarts", async () => {
    const privateFolder = await mkdtemp(join(tmpdir(), "jobsphere-private-"));
    await chmod(privateFolder, 0o700);
    const dataDir = join(privateFolder, ".data");
    const relocated = join(
      "/var/tmp",
      `jobsphere-postgres-${createHash("sha256").update(dataDir).digest("hex").slice(0, 12)}`,
    );
    const logger = pino({ level: "silent" });
    try {
      const first = await startEmbeddedPostgres({ dir: dataDir, logger });
      const client = new pg.Client({ connectionString: first.url("postgres") });
      await client.connect();
      await client.query("create table kept (value text)");
      await client.query("insert into kept values ('still here')");
      await client.end();
      await first.stop();

      const second = await startEmbeddedPostgres({ dir: dataDir, logger });
      const again = new pg.Client({ connectionString: second.url("postgres") });
      await again.connect();
      const { rows } = await again.query<{ value: string }>("select value from kept");
      await again.end();
      await second.stop();
      expect(rows).toEqual([{ value: "still here" }]);
      // As root the server runs as the postgres user, which cannot enter the private folder: the cluster then
      // lives under /var/tmp. As anyone else it stays in the data folder.
      const asRoot = process.getuid?.() === 0;
      expect(await stat(join(asRoot ? relocated : dataDir, "postgres", "PG_VERSION")).then(() => true)).toBe(
        true,
      );
    } finally {
      await rm(privateFolder, { recursive: true, force: true });
      await rm(relocated, { recursive: true, force: true });
    }
  });
});
