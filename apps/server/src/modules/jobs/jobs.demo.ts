import { eq } from "drizzle-orm";
import type { Executor } from "../../db/client.js";
import { jobs } from "./jobs.tables.js";

/**
 * Demo data only: moves an open job's expiry into the past, so the demo can show an expired job without
 * waiting for it (the service's `expire` then closes it as its timer would).
 */
export async function backdateDemoJobExpiry(db: Executor, jobId: string, at: Date): Promise<void> {
  await db.update(jobs).set({ expiresAt: at }).where(eq(jobs.id, jobId));
}
