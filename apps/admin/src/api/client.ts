import createClient, { type Middleware } from "openapi-fetch";
import type { components, paths } from "./schema.js";

export type Schemas = components["schemas"];
export type Problem = Schemas["Problem"];
export type Money = Schemas["Money"];

/** The access token lives in memory only; the refresh token is an httpOnly cookie the page never sees. */
let accessToken: string | null = null;
export function setAccessToken(token: string | null): void {
  accessToken = token;
}

/** Told when the server no longer accepts the session, so the app shows the sign-in form. */
let onSignedOut: () => void = () => {};
export function whenSignedOut(listener: () => void): void {
  onSignedOut = listener;
}

const auth: Middleware = {
  onRequest({ request }) {
    if (accessToken) request.headers.set("Authorization", `Bearer ${accessToken}`);
    return request;
  },
  onResponse({ response, request }) {
    if (response.status === 401 && !new URL(request.url).pathname.includes("/auth/")) onSignedOut();
    return response;
  },
};

export const api = createClient<paths>({ baseUrl: window.location.origin });
api.use(auth);

/** An error answer as the server sent it (problem+json), or one made up for a failure without one. */
export class ApiError extends Error {
  constructor(readonly problem: Partial<Problem> & { status: number; detail: string }) {
    super(problem.detail);
  }
}

/** The body of a successful answer, or an ApiError carrying the server's problem document. */
export async function ok<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await call;
  if (response.ok) return data as T;
  throw toApiError(error, response);
}

function toApiError(error: unknown, response: Response): ApiError {
  const problem = (typeof error === "object" && error !== null ? error : {}) as Partial<Problem>;
  return new ApiError({
    ...problem,
    status: response.status,
    detail: problem.detail ?? `The server answered ${response.status} ${response.statusText}`,
  });
}

/**
 * Routes this dashboard is built against (API.md) that a server may not have yet: called untyped, and a
 * 404 `route.not_found` means "not available on this server".
 */
export async function callRoute<T>(method: "GET" | "PUT" | "POST", path: string, body?: unknown): Promise<T> {
  const response = await fetch(`/api/v1${path}`, {
    method,
    headers: {
      ...(accessToken ? { Authorization: `Bearer ${accessToken}` } : {}),
      ...(body === undefined ? {} : { "Content-Type": "application/json" }),
    },
    body: body === undefined ? null : JSON.stringify(body),
  });
  const text = await response.text();
  const parsed: unknown = text ? JSON.parse(text) : undefined;
  if (!response.ok) throw toApiError(parsed, response);
  return parsed as T;
}

/** The paths this server's OpenAPI document declares, as `METHOD /api/v1/…` with `{id}` placeholders. */
let declared: Promise<Set<string>> | undefined;
export function declaredOperations(): Promise<Set<string>> {
  declared ??= fetch("/api/v1/openapi.json")
    .then((response) => response.json() as Promise<{ paths: Record<string, Record<string, unknown>> }>)
    .then(
      (document) =>
        new Set(
          Object.entries(document.paths).flatMap(([path, item]) =>
            Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`),
          ),
        ),
    );
  return declared;
}

/**
 * Calls a route this dashboard knows from API.md but this server may not offer: when its document does not
 * declare it, the call is not made and the answer is the same "not available" a 404 would give.
 */
export async function callDeclaredRoute<T>(
  method: "GET" | "PUT" | "POST",
  template: string,
  path: string,
  body?: unknown,
): Promise<T> {
  if (!(await declaredOperations()).has(`${method} /api/v1${template}`)) {
    throw new ApiError({
      status: 404,
      code: "route.not_found",
      detail: `This server has no ${method} ${template}`,
    });
  }
  return callRoute<T>(method, path, body);
}

export function isMissingRoute(error: unknown): boolean {
  return (
    error instanceof ApiError && error.problem.status === 404 && error.problem.code === "route.not_found"
  );
}
