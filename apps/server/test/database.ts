import { randomBytes } from "node:crypto";
import pg from "pg";
import { inject } from "vitest";

export function databaseUrl(adminUrl: string, database: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

export async function adminQuery<Row extends pg.QueryResultRow = pg.QueryResultRow>(
  url: string,
  text: string,
  values: unknown[] = [],
): Promise<Row[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<Row>(text, values)).rows;
  } finally {
    await client.end();
  }
}

export interface TestDatabase {
  name: string;
  url: string;
  /** Runs SQL on the maintenance database (to block or drop this one). */
  admin<Row extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<Row[]>;
  drop(): Promise<void>;
}

/**
 * A database of its own for the calling test file: a clone of the migrated template, or an empty one.
 * Names share the template's suffix so the run's teardown can find leftovers.
 */
export async function createTestDatabase(options: { empty?: boolean } = {}): Promise<TestDatabase> {
  const adminUrl = inject("databaseAdminUrl");
  const template = inject("templateDatabase");
  const name = `jobsphere_test_${template.slice("jobsphere_template_".length)}_${randomBytes(4).toString("hex")}`;
  await adminQuery(
    adminUrl,
    options.empty ? `create database "${name}"` : `create database "${name}" template "${template}"`,
  );
  return {
    name,
    url: databaseUrl(adminUrl, name),
    admin: (text, values) => adminQuery(adminUrl, text, values),
    drop: () => dropDatabase(adminUrl, name),
  };
}

/**
 * Drops a test database once the connections its pools closed are gone. `pool.end()` resolves when each
 * client has sent its Terminate, not when its server process has read it; a forced drop in that gap
 * terminates the process, whose "terminating connection due to administrator command" then reaches a pool
 * that has no listener left and crashes the test file. Connections still open after the wait are a pool
 * somebody forgot to end, and are forced out.
 */
async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const deadline = Date.now() + 5_000;
    while (Date.now() < deadline) {
      const { rows } = await client.query<{ connected: boolean }>(
        "select exists (select from pg_stat_activity where datname = $1) as connected",
        [name],
      );
      if (!rows[0]?.connected) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await client.query(`drop database if exists "${name}" with (force)`);
  } finally {
    await client.end();
  }
}
