import { randomBytes } from "node:crypto";
import type { TestServer } from "./server.js";

export const strongPassword = "plumb-bob tangerine 42";

export interface Account {
  id: string;
  email: string;
  password: string;
  accessToken: string;
  refreshToken: string;
}

/** Registers a fresh account over the API. */
export async function register(
  app: TestServer,
  role: "customer" | "contractor" = "customer",
  overrides: { email?: string; name?: string } = {},
): Promise<Account> {
  const email = overrides.email ?? `${role}-${randomBytes(4).toString("hex")}@example.com`;
  const response = await app.request("POST", "/api/v1/auth/register", {
    body: { email, password: strongPassword, name: overrides.name ?? `Test ${role}`, role },
  });
  if (response.status !== 201)
    throw new Error(`register failed: ${response.status} ${JSON.stringify(response.body)}`);
  return {
    id: response.body.user.id,
    email,
    password: strongPassword,
    accessToken: response.body.accessToken,
    refreshToken: response.body.refreshToken,
  };
}

export async function login(app: TestServer, email: string, password: string): Promise<Account> {
  const response = await app.request("POST", "/api/v1/auth/login", { body: { email, password } });
  if (response.status !== 200)
    throw new Error(`login failed: ${response.status} ${JSON.stringify(response.body)}`);
  return {
    id: response.body.user.id,
    email,
    password,
    accessToken: response.body.accessToken,
    refreshToken: response.body.refreshToken,
  };
}
