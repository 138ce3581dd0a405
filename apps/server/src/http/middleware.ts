import { randomUUID } from "node:crypto";
import type { ErrorRequestHandler, Express, Request, RequestHandler, Response } from "express";
import { databaseFault } from "../db/errors.js";
import { type Logger, redactUrl } from "../logger.js";
import { abandonBody } from "./abandon-body.js";
import { AppError, coreErrors, toProblem } from "./errors.js";

const requestIdPattern = /^[\w.:-]{1,128}$/;

declare module "http" {
  interface IncomingMessage {
    /** The request's id (`X-Request-Id`), set by `requestLogging`. */
    id: string;
    /** The logger of this request: its lines carry the request's id, method and URL. */
    log: Logger;
  }
}

type Level = "debug" | "info" | "error";

function accessLevel(statusCode: number): Level {
  return statusCode >= 500 ? "error" : statusCode >= 400 ? "info" : "debug";
}

const startedAt = Symbol("startedAt");
const requestLogger = Symbol("requestLogger");
type LoggedRequest = Request & { [requestLogger]?: Logger };
type LoggedResponse = Response & { [startedAt]: number };

/**
 * Gives each request of `app` an id (the caller's `X-Request-Id` when sane, a new one otherwise), echoed back,
 * and logs it when it ends: 5xx at error, 4xx at info, the rest at debug, as
 * `{ req: { id, method, url }, res: { statusCode }, responseTime }`. `req.log` (a getter on the app's request
 * prototype) creates the request's logger only when something logs through it, and the access line is built
 * only when its level is enabled: most requests of a production server log nothing and pay for nothing but the
 * id. Nothing is allocated per request beyond that (no closures, no per-request properties defined).
 */
export function requestLogging(app: Express, logger: Logger): RequestHandler {
  Object.defineProperty(app.request, "log", {
    configurable: true,
    get(this: LoggedRequest): Logger {
      this[requestLogger] ??= logger.child({
        req: { id: this.id, method: this.method, url: redactUrl(this.originalUrl) },
      });
      return this[requestLogger];
    },
  });
  function ended(this: LoggedResponse): void {
    const level = accessLevel(this.statusCode);
    if (!logger.isLevelEnabled(level)) return;
    const req = this.req as Request;
    const line = { res: { statusCode: this.statusCode }, responseTime: Date.now() - this[startedAt] };
    if (this.statusCode >= 500) {
      req.log[level](
        { ...line, err: new Error(`failed with status code ${this.statusCode}`) },
        "request errored",
      );
    } else {
      const whole = !req.readableAborted && this.writableFinished;
      req.log[level](line, whole ? "request completed" : "request aborted");
    }
  }
  return (req, res, next) => {
    const given = req.headers["x-request-id"];
    const id = typeof given === "string" && requestIdPattern.test(given) ? given : randomUUID();
    res.setHeader("X-Request-Id", id);
    req.id = id;
    (res as LoggedResponse)[startedAt] = Date.now();
    // A response emits "close" once it is sent or its connection is gone, whichever comes first.
    res.once("close", ended);
    next();
  };
}

export const notFound: RequestHandler = (req) => {
  throw new AppError(coreErrors.routeNotFound, `No route ${req.method} ${req.path}`);
};

/** body-parser's error types, mapped to ours. */
function fromBodyParser(error: { type?: unknown; limit?: unknown }): AppError | undefined {
  switch (error.type) {
    case "entity.parse.failed":
      return new AppError(coreErrors.malformedJson, "The request body could not be parsed as JSON");
    case "entity.too.large":
      return new AppError(
        coreErrors.tooLarge,
        `The request body exceeds the limit of ${String(error.limit)} bytes`,
      );
    case "encoding.unsupported":
    case "charset.unsupported":
      return new AppError(coreErrors.unsupportedMediaType, "Send the body as UTF-8 JSON");
    case "request.aborted":
    case "request.size.invalid":
      return new AppError(coreErrors.validation, "The request body ended early");
    default:
      return undefined;
  }
}

/**
 * A database that cannot be reached or keeps up is the client's cue to retry, not a bug: 503 with a stable
 * code and `Retry-After`. A restarting database is usually back within seconds; an overloaded one sooner.
 */
function fromDatabase(error: unknown): AppError | undefined {
  const fault = databaseFault(error);
  if (fault === "unavailable") {
    return new AppError(coreErrors.databaseUnavailable, "The database cannot be reached right now", {
      headers: { "Retry-After": "5" },
      cause: error,
    });
  }
  if (fault === "busy") {
    return new AppError(coreErrors.databaseBusy, "The server is too busy to answer right now", {
      headers: { "Retry-After": "2" },
      cause: error,
    });
  }
  return undefined;
}

/** Every failure leaves as problem+json; unexpected ones are logged with the request id and say nothing more. */
export const errorHandler: ErrorRequestHandler = (error: unknown, req, res, _next) => {
  const known =
    error instanceof AppError
      ? error
      : typeof error === "object" && error !== null
        ? fromBodyParser(error as { type?: unknown })
        : undefined;
  const fault = known ? undefined : fromDatabase(error);
  const appError =
    known ??
    fault ??
    new AppError(coreErrors.internal, "Something went wrong on our side; it has been logged");
  // The reason stays in the log either way; a database fault is an operator's concern, not a bug.
  if (fault) req.log.warn({ err: error }, fault.code);
  else if (!known) req.log.error({ err: error }, "unhandled error");
  if (res.headersSent) {
    res.destroy();
    return;
  }
  // A refusal that came before the body was read (a 401 on an upload, say) must not keep reading it.
  abandonBody(req);
  sendProblem(req, res, appError);
};

/** Answers with `error` as problem+json, tagged with the request id. */
export function sendProblem(req: Request, res: Response, error: AppError): void {
  res
    .status(error.status)
    .set(error.options.headers ?? {})
    .type("application/problem+json")
    .send(JSON.stringify(toProblem(error, String(req.id))));
}
