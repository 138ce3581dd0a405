import { createHash } from "node:crypto";

/**
 * A cursor as the server would issue it for `filters` (the parsed parameters other than cursor and limit)
 * and a sort key: what a client that worked out the format could send. Tests use it to reach the checks of
 * each part behind the digest.
 */
export function forgeCursor(filters: Record<string, unknown>, key: unknown[]): string {
  const entries = Object.entries(filters).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const digest = createHash("sha256")
    .update(JSON.stringify([entries, key]))
    .digest("base64url")
    .slice(0, 22);
  return Buffer.from(JSON.stringify([digest, ...key])).toString("base64url");
}
