import { OpenAPIRegistry, type RouteConfig } from "@asteasolutions/zod-to-openapi";
import express, { type Request, type RequestHandler, type Response } from "express";
import { z } from "zod";
import { type Authenticator, type AuthUser, bearerToken, type Role } from "./auth.js";
import { AppError, coreErrors, type ErrorDef, errorCatalogue } from "./errors.js";
import { fieldCodes } from "./field-codes.js";
import type { IdempotencyStore } from "./idempotency.js";
import { deriveOperationId } from "./operation-id.js";
import { withRateLimitHeaders } from "./rate-limit.js";
import { Reply } from "./reply.js";
import { parseInput } from "./validation.js";

/**
 * Who may call a route, and what an `Authorization` header does there. Apps attach the current access token
 * to every call (an HTTP interceptor), so a stale token must not break a route that does not need one:
 * - `public`: anyone; the header is ignored (auth routes, catalogue, search), the caller is always anonymous.
 * - `optional`: anyone; a valid token identifies the caller and may change the answer, a bad or expired one
 *   counts as no token at all.
 * - `user`: any signed-in user; a role list: signed-in users with one of those roles (a bad token is 401).
 */
export type Access = "public" | "optional" | "user" | readonly Role[];

type CallerFor<A extends Access> = A extends "public"
  ? undefined
  : A extends "optional"
    ? AuthUser | undefined
    : AuthUser;

export interface RouteContext<A extends Access, Body, Query, Params> {
  body: Body;
  query: Query;
  params: Params;
  user: CallerFor<A>;
  req: Request;
  res: Response;
}

export { Reply };

type Infer<S> = S extends z.ZodType ? z.output<S> : undefined;

/** A route with a response schema returns that body (or a Reply); a 204 route's return value is ignored. */
type HandlerResult<R> = R extends z.ZodType ? Promise<z.output<R> | Reply<z.output<R>>> : Promise<unknown>;

export interface RouteDef<
  A extends Access,
  B extends z.ZodType | undefined,
  Q extends z.ZodType | undefined,
  P extends z.ZodType | undefined,
  R extends z.ZodType | undefined,
> {
  method: "get" | "post" | "put" | "patch" | "delete";
  /** Express path below /api/v1, with `:name` parameters. */
  path: string;
  /**
   * The name client generators give this operation's method. Derived from the method and path when left out
   * (see `deriveOperationId`); set it when the derived name reads badly or must survive a path change.
   */
  operationId?: string;
  tags: string[];
  summary: string;
  description?: string;
  access: A;
  body?: B;
  /**
   * A multipart/form-data body, read by the handler itself from the request stream: it is documented as the
   * request body but not validated here. Mark file parts `format: "binary"`.
   */
  multipart?: z.ZodType;
  query?: Q;
  params?: P;
  /** The success answer: status, and the schema of its body (none for 204). */
  response: { status: 200 | 201 | 202 | 204; description: string; schema?: R };
  /**
   * Every error this route answers besides the ones all routes share (validation, auth, 500). Listing
   * `coreErrors.rateLimited` (or any 429) marks the route as limited: the document then declares the `RateLimit-*` headers
   * on its answers and `Retry-After` on its 429, so no route spells them out.
   */
  errors?: ErrorDef[];
  /**
   * Honour the `Idempotency-Key` header: a retry replays the first answer. With a key, the handler runs inside
   * one transaction that its services' `transaction()` calls join, and the answer commits with their changes.
   */
  idempotent?: boolean;
  /**
   * One call as an app makes it: the JSON body sent (routes with a body) and the JSON answered (routes with a
   * response schema). Published on the operation for docs and generators; the OpenAPI test parses each against
   * the route's own schemas, so an example cannot drift from the contract.
   */
  examples?: {
    request?: B extends z.ZodType ? z.input<B> : never;
    response?: R extends z.ZodType ? z.input<R> : never;
  };
  handler: (ctx: RouteContext<A, Infer<B>, Infer<Q>, Infer<P>>) => HandlerResult<R>;
}

/** A route with its schemas widened, as the router keeps it. */
type DeclaredRoute = RouteDef<
  Access,
  z.ZodType | undefined,
  z.ZodType | undefined,
  z.ZodType | undefined,
  z.ZodType | undefined
>;

export interface ApiRouterDeps {
  authenticator: Authenticator;
  idempotency: IdempotencyStore;
}

export const problemSchema = z
  .object({
    type: z.string().meta({ example: "urn:jobsphere:problem:validation.failed" }),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.string().meta({ description: "Stable, dotted error code clients switch on" }),
    requestId: z.string().optional(),
    errors: z
      .array(
        z.object({
          path: z.string(),
          code: z.enum(fieldCodes).meta({ description: "What is wrong with this field; switch on it" }),
          message: z.string(),
          in: z.enum(["body", "query", "params", "header"]),
        }),
      )
      .optional(),
    currentStatus: z.string().optional().meta({
      description:
        "With `booking.invalid_transition`, `job.invalid_state` and `quote.invalid_state`: the state the thing is in now",
    }),
    timezone: z.string().optional().meta({
      description: "With `booking.outside_availability`: the contractor's time zone (IANA)",
    }),
    availableRanges: z
      .array(z.object({ start: z.iso.datetime(), end: z.iso.datetime() }))
      .optional()
      .meta({
        description:
          "With `booking.outside_availability`: up to three of the contractor's available ranges nearest the time asked, within a week",
      }),
    attemptsRemaining: z.number().int().min(0).optional().meta({
      description:
        "With `auth.invalid_code`: how many more wrong codes this code allows (0: ask for a new one)",
    }),
  })
  .meta({ id: "Problem", description: "RFC 9457 problem details" });

/**
 * Declared on every operation: client errors the operation's own list leaves out still arrive in this shape
 * (an expired token sent to a public route, a malformed body), so generated clients type them too.
 */
const otherClientErrors = {
  description: "Any other client error: switch on `code`",
  headers: { "X-Request-Id": { $ref: "#/components/headers/X-Request-Id" } },
  content: { "application/problem+json": { schema: problemSchema } },
};

/** Anything else (a 503 while the database is unreachable, say), in the same shape. */
const otherErrors = {
  description: "Any other error: switch on `code`",
  headers: { "X-Request-Id": { $ref: "#/components/headers/X-Request-Id" } },
  content: { "application/problem+json": { schema: problemSchema } },
};

type HeaderName =
  | "X-Request-Id"
  | "Retry-After"
  | "RateLimit-Limit"
  | "RateLimit-Remaining"
  | "RateLimit-Reset"
  | "Idempotent-Replayed"
  | "ETag";

/** Response headers, declared once under `components.headers` and referenced by name. */
const responseHeaders: Record<HeaderName, { description: string; schema: Record<string, unknown> }> = {
  "X-Request-Id": {
    description:
      "The request's id (yours when you sent a sane `X-Request-Id`): quote it when reporting a problem",
    schema: { type: "string" },
  },
  "Retry-After": {
    description: "Seconds to wait before trying again",
    schema: { type: "integer", minimum: 1 },
  },
  "RateLimit-Limit": {
    description: "Attempts allowed in the current window of the limit closest to refusing",
    schema: { type: "integer", minimum: 0 },
  },
  "RateLimit-Remaining": {
    description: "Attempts left in that window (0 when refused)",
    schema: { type: "integer", minimum: 0 },
  },
  "RateLimit-Reset": {
    description: "Seconds until that window starts over",
    schema: { type: "integer", minimum: 0 },
  },
  "Idempotent-Replayed": {
    description:
      "`true` when this answer is the stored answer of an earlier request with the same `Idempotency-Key`",
    schema: { type: "string", enum: ["true"] },
  },
  ETag: {
    description: "Weak validator of the body: send it back as `If-None-Match` and an unchanged answer is 304",
    schema: { type: "string" },
  },
};

function headerRefs(names: HeaderName[]): Record<string, { $ref: string }> {
  return Object.fromEntries(names.map((name) => [name, { $ref: `#/components/headers/${name}` }]));
}

const rateLimitHeaders: HeaderName[] = ["RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"];

function openApiPath(path: string): string {
  return path.replace(/:([A-Za-z0-9_]+)/g, "{$1}");
}

/** False when a body was sent in a type other than JSON (null: no body at all). */
function sentNonJson(req: Request): boolean {
  return req.is(["application/json", "application/*+json"]) === false;
}

/**
 * Routes are declared once, with their contract: the same declaration validates requests, checks access,
 * honours idempotency and produces the OpenAPI document.
 */
export class ApiRouter {
  readonly router = express.Router();
  readonly registry = new OpenAPIRegistry();
  /** The declared routes; `router` runs them, then answers 405 for a known path asked with another method. */
  private readonly routes = express.Router();
  /** Each declared path as a pattern, with the methods declared on it. */
  private readonly methodsByPath = new Map<string, { pattern: RegExp; methods: Set<string> }>();
  /** operationId → the route that has it: generators need them unique across the document. */
  private readonly operationIds = new Map<string, string>();
  /** Every route declared so far, as declared: the OpenAPI test parses each one's examples with its schemas. */
  readonly declared: DeclaredRoute[] = [];

  constructor(private readonly deps: ApiRouterDeps) {
    this.registry.registerComponent("securitySchemes", "bearerAuth", {
      type: "http",
      scheme: "bearer",
      bearerFormat: "JWT",
    });
    for (const [name, header] of Object.entries(responseHeaders)) {
      this.registry.registerComponent("headers", name, header);
    }
    this.router.use(this.routes);
    this.router.use((req, _res, next) => {
      // Every declared path the request matches (`/contractors/me` matches `/contractors/:id` too).
      const methods = new Set(
        [...this.methodsByPath.values()]
          .filter(({ pattern }) => pattern.test(req.path))
          .flatMap((known) => [...known.methods]),
      );
      if (methods.size === 0 || req.method === "OPTIONS") {
        next();
        return;
      }
      const allow = [...methods];
      if (methods.has("GET")) allow.push("HEAD");
      throw new AppError(
        coreErrors.methodNotAllowed,
        `${req.method} is not allowed here; use ${allow.join(", ")}`,
        {
          headers: { Allow: allow.join(", ") },
        },
      );
    });
  }

  /** Resolves the caller of a request: undefined when no token was sent. */
  async caller(req: Request): Promise<AuthUser | undefined> {
    const token = bearerToken(req);
    return token ? this.deps.authenticator.authenticate(token) : undefined;
  }

  route<
    A extends Access,
    B extends z.ZodType | undefined = undefined,
    Q extends z.ZodType | undefined = undefined,
    P extends z.ZodType | undefined = undefined,
    R extends z.ZodType | undefined = undefined,
  >(def: RouteDef<A, B, Q, P, R>): void {
    this.document(def);
    this.declared.push(def);
    const guard: RequestHandler = async (req, res, next) => {
      const user =
        def.access === "public"
          ? undefined
          : def.access === "optional"
            ? await this.caller(req).catch((error: unknown) => {
                // Only a rejected token makes the caller anonymous; anything else (the database) still fails.
                if (error instanceof AppError && (error.status === 401 || error.status === 403))
                  return undefined;
                throw error;
              })
            : await this.caller(req);
      if (def.access !== "public" && def.access !== "optional") {
        if (!user) throw new AppError(coreErrors.unauthenticated, "Sign in and send the access token");
        if (Array.isArray(def.access) && !def.access.includes(user.role)) {
          throw new AppError(coreErrors.forbidden, `Only ${def.access.join(" or ")} accounts may do this`);
        }
      }
      res.locals.user = user;
      next();
    };
    const handle: RequestHandler = async (req, res) => {
      if (def.body && sentNonJson(req)) {
        throw new AppError(coreErrors.unsupportedMediaType, "Send the body as application/json");
      }
      const ctx = {
        body: def.body ? parseInput(def.body, req.body ?? {}, "body") : undefined,
        query: def.query ? parseInput(def.query, req.query, "query") : undefined,
        params: def.params ? parseInput(def.params, req.params, "params") : undefined,
        user: res.locals.user as AuthUser | undefined,
        req,
        res,
      } as RouteContext<A, Infer<B>, Infer<Q>, Infer<P>>;
      const run = async () => {
        const result = await def.handler(ctx);
        return result instanceof Reply
          ? result
          : new Reply(def.response.status, def.response.status === 204 ? undefined : result);
      };
      const reply = await withRateLimitHeaders(res, () =>
        def.idempotent ? this.deps.idempotency.run(req, ctx.user?.id, run) : run(),
      );
      res.status(reply.status).set(reply.headers);
      if (reply.body === undefined) res.end();
      else res.json(reply.body);
    };
    this.routes[def.method](def.path, guard, handle);
    this.remember(def.method, def.path);
  }

  /** Records a path's method for the 405 answer (matched as Express does: any case, optional final slash). */
  private remember(method: string, path: string): void {
    const known = this.methodsByPath.get(path) ?? {
      pattern: new RegExp(
        `^${path
          .split(/(:[A-Za-z0-9_]+)/)
          .map((part) => (part.startsWith(":") ? "[^/]+" : part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
          .join("")}/?$`,
        "i",
      ),
      methods: new Set<string>(),
    };
    known.methods.add(method.toUpperCase());
    this.methodsByPath.set(path, known);
  }

  private document(def: DeclaredRoute): void {
    const shared: ErrorDef[] = [coreErrors.internal, coreErrors.databaseUnavailable, coreErrors.databaseBusy];
    if (def.body || def.query || def.params) shared.push(coreErrors.validation);
    if (def.body) shared.push(coreErrors.malformedJson, coreErrors.tooLarge, coreErrors.unsupportedMediaType);
    // What the access token check itself answers (expired, invalid, session ended, suspended account); a route
    // with optional access treats a bad token as none.
    if (def.access !== "public" && def.access !== "optional") {
      shared.push(coreErrors.unauthenticated, ...this.deps.authenticator.errors);
    }
    if (Array.isArray(def.access)) shared.push(coreErrors.forbidden);
    if (def.idempotent) {
      shared.push(
        coreErrors.idempotencyInvalidKey,
        coreErrors.idempotencyKeyReused,
        coreErrors.idempotencyInProgress,
      );
    }
    const byStatus = new Map<number, ErrorDef[]>();
    for (const error of [...(def.errors ?? []), ...shared]) {
      const list = byStatus.get(error.status) ?? [];
      if (!list.some((known) => known.code === error.code)) list.push(error);
      byStatus.set(error.status, list);
    }
    // A module may answer its own 429 code (e.g. `chat.rate_limited`); any 429 marks the route as limited.
    const limited = def.errors?.some((error) => error.status === 429) ?? false;
    const successHeaders: HeaderName[] = ["X-Request-Id"];
    if (def.response.schema) successHeaders.push("ETag");
    if (limited) successHeaders.push(...rateLimitHeaders);
    if (def.idempotent) successHeaders.push("Idempotent-Replayed");
    const responses: RouteConfig["responses"] = {
      [def.response.status]: {
        description: def.response.description,
        headers: headerRefs(successHeaders),
        ...(def.response.schema
          ? {
              content: {
                "application/json": {
                  schema: def.response.schema,
                  ...(def.examples?.response === undefined ? {} : { example: def.examples.response }),
                },
              },
            }
          : {}),
      },
    };
    for (const [status, errors] of [...byStatus].sort(([a], [b]) => a - b)) {
      const headers: HeaderName[] = ["X-Request-Id"];
      if (status === 429) headers.push(...rateLimitHeaders);
      if (status === 429 || errors.includes(coreErrors.idempotencyInProgress)) headers.push("Retry-After");
      responses[status] = {
        description: errors.map((error) => `\`${error.code}\`: ${error.title}`).join("; "),
        headers: headerRefs(headers),
        content: { "application/problem+json": { schema: problemSchema } },
      };
    }
    responses["4XX"] = otherClientErrors;
    responses.default = otherErrors;
    const returnsList = def.response.schema instanceof z.ZodObject && "items" in def.response.schema.shape;
    const operationId = def.operationId ?? deriveOperationId(def.method, def.path, returnsList);
    const route = `${def.method.toUpperCase()} ${def.path}`;
    const holder = this.operationIds.get(operationId);
    if (holder) {
      throw new Error(`operationId "${operationId}" of ${route} is already used by ${holder}: set another`);
    }
    this.operationIds.set(operationId, route);
    const access =
      def.access === "public"
        ? "Anyone may call this; an `Authorization` header is ignored."
        : def.access === "optional"
          ? "Anyone may call this. Signed-in callers may send their access token, which can change the answer; an invalid or expired token is treated as no token (never a 401)."
          : def.access === "user"
            ? "Any signed-in user."
            : `Signed-in ${def.access.join(" or ")} accounts.`;
    this.registry.registerPath({
      method: def.method,
      path: `/api/v1${openApiPath(def.path)}`,
      operationId,
      tags: def.tags,
      summary: def.summary,
      description: [def.description, access].filter(Boolean).join("\n\n"),
      // An empty list says "no credentials needed"; leaving it out would say nothing at all. `{}` next to
      // bearerAuth says the token is optional.
      security:
        def.access === "public"
          ? []
          : def.access === "optional"
            ? [{}, { bearerAuth: [] }]
            : [{ bearerAuth: [] }],
      request: {
        ...(def.body
          ? {
              body: {
                required: true,
                content: {
                  "application/json": {
                    schema: def.body,
                    ...(def.examples?.request === undefined ? {} : { example: def.examples.request }),
                  },
                },
              },
            }
          : def.multipart
            ? { body: { required: true, content: { "multipart/form-data": { schema: def.multipart } } } }
            : {}),
        ...(def.query && def.query instanceof z.ZodObject ? { query: def.query } : {}),
        ...(def.params && def.params instanceof z.ZodObject ? { params: def.params } : {}),
        ...(def.idempotent
          ? {
              headers: z.object({
                "Idempotency-Key": z.string().max(255).optional().meta({
                  description:
                    "Any unique string; a retry with the same key and body replays the first answer",
                }),
              }),
            }
          : {}),
      },
      responses,
    });
  }
}

/** Every declared error code, for the API guide and the document's description. */
export function errorCodeTable(): string {
  return errorCatalogue()
    .sort((a, b) => a.code.localeCompare(b.code))
    .map((error) => `| \`${error.code}\` | ${error.status} | ${error.title} |`)
    .join("\n");
}
