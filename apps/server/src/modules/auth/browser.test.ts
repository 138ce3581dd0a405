import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Account, register } from "../../../test/accounts.js";
import { startTestServer, type TestServer } from "../../../test/server.js";

describe("browser sign-in: the refresh token in an httpOnly cookie", () => {
  let app: TestServer;
  let account: Account;
  let origin: string;

  beforeAll(async () => {
    // No grace for a spent token, and one proxy hop trusted so a test can stand behind HTTPS.
    app = await startTestServer({ REFRESH_REUSE_GRACE_SECONDS: "0", TRUST_PROXY: "loopback" });
    origin = app.url;
    account = await register(app, "customer");
  });
  afterAll(async () => {
    await app.close();
  });

  /** The `name=value` pair of the refresh cookie an answer sets, and its attributes. */
  function cookieSet(headers: Headers): { pair: string; attributes: string[] } {
    const line = headers.getSetCookie().find((value) => value.startsWith("jobsphere_refresh="));
    if (!line) throw new Error(`no refresh cookie set: ${headers.getSetCookie().join(" | ")}`);
    const [pair = "", ...attributes] = line.split(";").map((part) => part.trim());
    return { pair, attributes };
  }

  const signIn = async (headers: Record<string, string> = {}) => {
    const response = await app.request("POST", "/api/v1/auth/browser/login", {
      body: { email: account.email, password: account.password },
      headers,
    });
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    return response;
  };

  /** `from: null` sends no Origin header at all. */
  const refresh = (cookie: string | undefined, from: string | null = origin) =>
    app.request("POST", "/api/v1/auth/browser/refresh", {
      headers: { ...(cookie ? { cookie } : {}), ...(from ? { origin: from } : {}) },
    });

  it("answers the access token and keeps the refresh token in a cookie page scripts cannot read", async () => {
    const response = await signIn();
    expect(response.body).toMatchObject({ user: { id: account.id }, accessToken: expect.any(String) });
    expect(response.body).not.toHaveProperty("refreshToken");
    const { pair, attributes } = cookieSet(response.headers);
    expect(pair).toMatch(/^jobsphere_refresh=.{20,}$/);
    expect(attributes).toEqual(
      expect.arrayContaining(["HttpOnly", "SameSite=Strict", "Path=/api/v1/auth/browser", "Max-Age=1209600"]),
    );
    // Over plain HTTP a Secure cookie would never come back; behind HTTPS it is Secure.
    expect(attributes).not.toContain("Secure");
    const behindTls = await signIn({ "x-forwarded-proto": "https" });
    expect(cookieSet(behindTls.headers).attributes).toContain("Secure");

    const me = await app.request("GET", "/api/v1/me", { token: response.body.accessToken });
    expect(me.body.id).toBe(account.id);
  });

  it("rotates the cookie on refresh; the spent one ends the session", async () => {
    const first = cookieSet((await signIn()).headers).pair;
    const refreshed = await refresh(first);
    expect(refreshed.status, JSON.stringify(refreshed.body)).toBe(200);
    expect(refreshed.body).toEqual({
      accessToken: expect.any(String),
      accessTokenExpiresAt: expect.any(String),
    });
    const second = cookieSet(refreshed.headers).pair;
    expect(second).not.toBe(first);
    expect((await app.request("GET", "/api/v1/me", { token: refreshed.body.accessToken })).status).toBe(200);

    const replayed = await refresh(first);
    expect(replayed.status).toBe(401);
    expect(replayed.body.code).toBe("auth.refresh_reused");
    // The cookie that can no longer be spent is dropped, so the page shows its sign-in form.
    expect(cookieSet(replayed.headers).pair).toBe("jobsphere_refresh=");
    expect((await refresh(second)).status).toBe(401);
  });

  it("lets only this server's own pages spend the cookie: another origin or none is refused, the cookie kept", async () => {
    const cookie = cookieSet((await signIn()).headers).pair;
    for (const from of ["https://evil.example", "null", `${origin}.evil.example`, null]) {
      const response = await refresh(cookie, from);
      expect(response.status, String(from)).toBe(403);
      expect(response.body.code, String(from)).toBe("auth.origin_refused");
      expect(response.headers.getSetCookie(), String(from)).toEqual([]);
    }
    const crossLogout = await app.request("POST", "/api/v1/auth/browser/logout", {
      headers: { cookie, origin: "https://evil.example" },
    });
    expect(crossLogout.status).toBe(403);
    // Nothing above spent it.
    expect((await refresh(cookie)).status).toBe(200);
  });

  it("refuses a refresh without a cookie or with a forged one, with a clear 401", async () => {
    const none = await refresh(undefined);
    expect(none.status).toBe(401);
    expect(none.body.code).toBe("auth.invalid_refresh_token");
    for (const forged of [
      "jobsphere_refresh=forged",
      `jobsphere_refresh=${"x".repeat(4000)}`,
      "jobsphere_refresh=a%00b",
    ]) {
      const response = await refresh(forged);
      expect(response.status, forged.slice(0, 30)).toBe(401);
      expect(response.body.code).toBe("auth.invalid_refresh_token");
    }
  });

  it("signs out: the session ends, the cookie is removed, and signing out again is harmless", async () => {
    const signedIn = await signIn();
    const cookie = cookieSet(signedIn.headers).pair;
    const out = await app.request("POST", "/api/v1/auth/browser/logout", { headers: { cookie, origin } });
    expect(out.status).toBe(204);
    expect(cookieSet(out.headers).attributes).toContain("Expires=Thu, 01 Jan 1970 00:00:00 GMT");
    expect((await refresh(cookie)).status).toBe(401);
    const again = await app.request("POST", "/api/v1/auth/browser/logout", { headers: { cookie, origin } });
    expect(again.status).toBe(204);
  });

  it("leaves the apps' sign-in as it was: the refresh token in the body, no cookie", async () => {
    const response = await app.request("POST", "/api/v1/auth/login", {
      body: { email: account.email, password: account.password },
    });
    expect(response.status).toBe(200);
    expect(response.body.refreshToken).toEqual(expect.any(String));
    expect(response.headers.getSetCookie()).toEqual([]);
  });
});
