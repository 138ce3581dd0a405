import type { Request } from "express";

/**
 * The address a request came from, as rate limits and session records key it. Express knows it unless the
 * socket closed before it was read; those requests share one key rather than escaping every per-address limit.
 */
export function clientAddress(req: Request): string {
  return req.ip ?? "unknown";
}
