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
    drop: async () => {
      await adminQuery(adminUrl, `drop database if exists "${name}" with (force)`);
    },
  };
}
