import type { ServerOptions } from "node:http";
import type { RequestHandler } from "express";
import type { Config } from "../config.js";
import { AppError, coreErrors } from "./errors.js";
import { sendProblem } from "./middleware.js";

/**
 * Node's own deadlines for the HTTP server. Its `requestTimeout` covers the whole request and applies to
 * every route, so it is set to the uploads' (the longest); `requestTimeout()` below holds the other requests
 * to the shorter limit.
 */
export function serverTimeouts(http: Config["http"]): ServerOptions {
  return {
    headersTimeout: http.headersTimeoutMs,
    requestTimeout: http.uploadTimeoutMs,
    keepAliveTimeout: http.keepAliveTimeoutMs,
    // Node checks the header and request deadlines on this interval (30 s by default), which would let a
    // slow-headers client hold its connection long past headersTimeout.
    connectionsCheckingInterval: Math.max(100, Math.min(1_000, Math.floor(http.headersTimeoutMs / 4))),
  };
}

/**
 * A request other than an upload must have arrived whole (headers and body) within `ms`; otherwise it is
 * answered 408 and its connection closed, so a client trickling a body cannot hold a connection for the
 * server-wide upload deadline. Uploads (multipart/form-data) stream large files and keep that longer limit.
 * A request without a body has nothing left to arrive once its headers are in (Node's `headersTimeout`
 * covered those), so it needs no timer.
 */
export function requestTimeout(ms: number): RequestHandler {
  return (req, res, next) => {
    const hasBody =
      req.headers["transfer-encoding"] !== undefined ||
      (req.headers["content-length"] !== undefined && req.headers["content-length"] !== "0");
    if (!hasBody || req.is("multipart/form-data")) {
      next();
      return;
    }
    const timer = setTimeout(() => {
      if (req.complete || res.headersSent) return;
      res.set("Connection", "close");
      sendProblem(
        req,
        res,
        new AppError(coreErrors.requestTimeout, `The request did not arrive whole within ${ms} ms`),
      );
    }, ms);
    timer.unref();
    res.on("close", () => clearTimeout(timer));
    next();
  };
}
