import type { Request } from "express";

/**
 * Bytes still read and discarded from a client whose request was refused, while the answer is written; past
 * them the request is paused, and the connection closes once the answer is out.
 */
const drainAllowance = 1024 * 1024;

/**
 * Stops reading a request whose answer is a refusal: the client gets the answer at once, its connection is
 * closed after it, and meanwhile at most `drainAllowance` more bytes are read (so a client that sends before
 * it reads sees the answer rather than a reset), never the rest of a large or endless body.
 */
export function abandonBody(req: Request): void {
  if (req.complete || req.destroyed) return;
  if (!req.res?.headersSent) req.res?.setHeader("Connection", "close");
  req.unpipe();
  let drained = 0;
  req.on("data", (chunk: Buffer) => {
    drained += chunk.length;
    if (drained > drainAllowance) req.pause();
  });
  req.resume();
}
