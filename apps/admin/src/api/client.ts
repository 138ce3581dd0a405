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

/** A 404 for a route the server does not have (a server older than this dashboard). */
export function isMissingRoute(error: unknown): boolean {
  return (
    error instanceof ApiError && error.problem.status === 404 && error.problem.code === "route.not_found"
  );
}
