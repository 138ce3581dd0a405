import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import type { TestProject } from "vitest/node";
import { readEnvironment } from "../src/config.js";
import { type EmbeddedDatabase, startEmbeddedPostgres } from "../src/db/embedded.js";
import { runMigrations } from "../src/db/migrate.js";
import { startJobQueue, stopJobQueue } from "../src/jobs/queue.js";
import { adminQuery, databaseUrl } from "./database.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** A connection URL with the right to create databases. */
    databaseAdminUrl: string;
    /** A migrated database that each test file clones. */
    templateDatabase: string;
  }
}

/**
 * One PostgreSQL for the whole run: `DATABASE_URL` if set, else an embedded server in a temporary folder.
 * A template database is migrated once (pg-boss's schema included); every test file clones it.
 */
export default async function setup(project: TestProject) {
  const logger = pino({ level: "silent" });
  const env = readEnvironment();
  let embedded: EmbeddedDatabase | undefined;
  let folder: string | undefined;
  let adminUrl = env.DATABASE_URL;
  if (!adminUrl) {
    folder = await mkdtemp(join(tmpdir(), "jobsphere-test-"));
    embedded = await startEmbeddedPostgres({ dir: folder, logger });
    adminUrl = embedded.url("postgres");
  }
  const template = `jobsphere_template_${process.pid}_${Date.now().toString(36)}`;
  await adminQuery(adminUrl, `create database "${template}"`);
  const templateUrl = databaseUrl(adminUrl, template);
  await runMigrations(templateUrl);
  await stopJobQueue(await startJobQueue(templateUrl, logger), 5_000);

  project.provide("databaseAdminUrl", adminUrl);
  project.provide("templateDatabase", template);

  return async () => {
    if (embedded) {
      await embedded.stop();
    } else {
      const names = await adminQuery<{ datname: string }>(
        adminUrl,
        "select datname from pg_database where datname like $1 or datname = $2",
        [`jobsphere_test_${template.slice("jobsphere_template_".length)}_%`, template],
      );
      for (const { datname } of names)
        await adminQuery(adminUrl, `drop database if exists "${datname}" with (force)`);
    }
    if (folder) await rm(folder, { recursive: true, force: true });
  };
}
