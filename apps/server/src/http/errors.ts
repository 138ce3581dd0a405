import type { FieldCode } from "./field-codes.js";

/** One entry of the error catalogue: a stable dotted `code`, its HTTP status and a short human title. */
export interface ErrorDef {
  readonly code: string;
  readonly status: number;
  readonly title: string;
}

export interface FieldError {
  /** Dotted path of the offending field inside its location (`email`, `items.0.price.amount`). */
  path: string;
  /** What is wrong, for apps to switch on (see `fieldCodes`). */
  code: FieldCode;
  /** The same for people, in English, relative to the field (`must be at most 90`). */
  message: string;
  /** Where the field was: request body, query string, path parameters or a header. */
  in: "body" | "query" | "params" | "header";
}

const catalogue = new Map<string, ErrorDef>();

/**
 * Declares a module's errors. Codes are global and unique: declaring one twice is a programming error,
 * caught at start-up. The catalogue feeds the OpenAPI document.
 */
export function defineErrors<const T extends Record<string, ErrorDef>>(defs: T): T {
  for (const def of Object.values(defs)) {
    if (catalogue.has(def.code)) throw new Error(`error code ${def.code} is declared twice`);
    catalogue.set(def.code, def);
  }
  return defs;
}

export function errorCatalogue(): ErrorDef[] {
  return [...catalogue.values()];
}

export interface AppErrorOptions {
  errors?: FieldError[];
  headers?: Record<string, string>;
  /** Extra members of the problem document (RFC 9457 extension members). */
  extensions?: Record<string, unknown>;
  cause?: unknown;
}

/** An expected failure, answered as `application/problem+json` with the def's status and code. */
export class AppError extends Error {
  override name = "AppError";
  readonly def: ErrorDef;
  readonly options: AppErrorOptions;

  constructor(def: ErrorDef, detail?: string, options: AppErrorOptions = {}) {
    super(detail ?? def.title, { cause: options.cause });
    this.def = def;
    this.options = options;
  }

  get status(): number {
    return this.def.status;
  }

  get code(): string {
    return this.def.code;
  }
}

export const coreErrors = defineErrors({
  validation: { code: "validation.failed", status: 400, title: "The request is not valid" },
  malformedJson: { code: "request.malformed_json", status: 400, title: "The request body is not valid JSON" },
  tooLarge: { code: "request.too_large", status: 413, title: "The request body is too large" },
  unsupportedMediaType: {
    code: "request.unsupported_media_type",
    status: 415,
    title: "The request body must be application/json",
  },
  requestTimeout: {
    code: "request.timeout",
    status: 408,
    title: "The request took too long to arrive",
  },
  malformedRequest: { code: "request.malformed", status: 400, title: "The request is not valid HTTP" },
  headersTooLarge: {
    code: "request.headers_too_large",
    status: 431,
    title: "The request line and headers are too large",
  },
  routeNotFound: { code: "route.not_found", status: 404, title: "No such route" },
  methodNotAllowed: { code: "route.method_not_allowed", status: 405, title: "Method not allowed" },
  notFound: { code: "resource.not_found", status: 404, title: "Not found" },
  unauthenticated: { code: "auth.unauthenticated", status: 401, title: "Authentication required" },
  forbidden: { code: "auth.forbidden", status: 403, title: "Not allowed" },
  rateLimited: { code: "rate_limited", status: 429, title: "Too many requests" },
  invalidCursor: { code: "pagination.invalid_cursor", status: 400, title: "The cursor is not valid" },
  idempotencyInvalidKey: {
    code: "idempotency.invalid_key",
    status: 400,
    title: "The Idempotency-Key header is not valid",
  },
  idempotencyKeyReused: {
    code: "idempotency.key_reused",
    status: 409,
    title: "The Idempotency-Key was already used with another request",
  },
  idempotencyInProgress: {
    code: "idempotency.in_progress",
    status: 409,
    title: "A request with this Idempotency-Key is still being processed",
  },
  internal: { code: "internal", status: 500, title: "Internal server error" },
  unavailable: { code: "service.unavailable", status: 503, title: "Service unavailable" },
  databaseUnavailable: {
    code: "database.unavailable",
    status: 503,
    title: "The database cannot be reached; retry after Retry-After seconds",
  },
  databaseBusy: {
    code: "database.busy",
    status: 503,
    title: "The server is overloaded; retry after Retry-After seconds",
  },
});

export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  instance?: string;
  requestId?: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

export function problemType(code: string): string {
  return `urn:jobsphere:problem:${code}`;
}

export function toProblem(error: AppError, requestId?: string): ProblemDocument {
  return {
    ...error.options.extensions,
    type: problemType(error.code),
    title: error.def.title,
    status: error.status,
    detail: error.message,
    code: error.code,
    ...(requestId ? { requestId } : {}),
    ...(error.options.errors ? { errors: error.options.errors } : {}),
  };
}
