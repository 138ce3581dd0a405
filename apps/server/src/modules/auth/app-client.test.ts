import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Account, register, strongPassword } from "../../../test/accounts.js";
import { TestClock } from "../../../test/clock.js";
import { startTestServer, type TestResponse, type TestServer } from "../../../test/server.js";
import { codeIn, startSmtp, type TestSmtp } from "../../../test/smtp.js";

/**
 * The API as a mobile app calls it: an HTTP interceptor attaches the current access token to every request,
 * whether the route needs one or not, and the token may have expired since it was stored.
 */
function interceptor(app: TestServer, account: { accessToken: string }) {
  return (method: string, path: string, body?: unknown): Promise<TestResponse> =>
    app.request(method, path, { token: account.accessToken, ...(body === undefined ? {} : { body }) });
}

const accessTtlMs = 15 * 60 * 1000;

describe("the API as an app calls it", () => {
  let app: TestServer;
  let smtp: TestSmtp;
  const clock = new TestClock();

  beforeAll(async () => {
    smtp = await startSmtp();
    app = await startTestServer({ SMTP_URL: smtp.url }, { clock });
  });
  afterAll(async () => {
    await app.close();
    await smtp.close();
  });

  const me = (token: string) => app.request("GET", "/api/v1/me", { token });
  const refresh = (refreshToken: string) =>
    app.request("POST", "/api/v1/auth/refresh", { body: { refreshToken } });

  /** An account whose stored access token has expired, as after a night with the app in the background. */
  async function staleAccount(): Promise<Account> {
    const account = await register(app);
    clock.advance(accessTtlMs + 60_000);
    expect((await me(account.accessToken)).body.code).toBe("auth.token_expired");
    return account;
  }

  describe("a stale Authorization header", () => {
    it("is ignored by refresh, so the app can get a new pair with the token it holds", async () => {
      const account = await staleAccount();
      const call = interceptor(app, account);
      const refreshed = await call("POST", "/api/v1/auth/refresh", { refreshToken: account.refreshToken });
      expect(refreshed.status).toBe(200);
      expect((await me(refreshed.body.accessToken)).status).toBe(200);
    });

    it("is ignored by login, register and the password routes", async () => {
      const account = await staleAccount();
      const call = interceptor(app, account);
      const loggedIn = await call("POST", "/api/v1/auth/login", {
        email: account.email,
        password: strongPassword,
      });
      expect(loggedIn.status).toBe(200);
      const registered = await call("POST", "/api/v1/auth/register", {
        email: `second-${randomUUID()}@example.com`,
        password: strongPassword,
        name: "Second Account",
        role: "customer",
      });
      expect(registered.status).toBe(201);
      const forgot = await call("POST", "/api/v1/auth/password/forgot", { email: account.email });
      expect(forgot.status).toBe(202);
      const reset = await call("POST", "/api/v1/auth/password/reset", {
        email: account.email,
        code: "000000",
        newPassword: "another long passphrase",
      });
      expect(reset.status).toBe(400);
      expect(reset.body.code).toMatch(/^auth\.code_|^auth\.invalid_code$/);
    });

    it("counts as anonymous on public routes, garbage and a foreign scheme included", async () => {
      const account = await staleAccount();
      for (const authorization of [
        `Bearer ${account.accessToken}`,
        "Bearer not.a.jwt",
        "Basic dXNlcjpwYXNz",
      ]) {
        const headers = { authorization };
        const categories = await app.request("GET", "/api/v1/categories", { headers });
        expect(categories.status, authorization).toBe(200);
        expect(categories.body.items.length).toBeGreaterThan(0);
        const search = await app.request("GET", "/api/v1/contractors", { headers });
        expect(search.status, authorization).toBe(200);
        const profile = await app.request("GET", `/api/v1/contractors/${randomUUID()}`, { headers });
        expect(profile.status, authorization).toBe(404);
        expect(profile.body.code).toBe("contractor.not_found");
      }
    });

    it("still gets 401 on routes that need a signed-in user", async () => {
      const account = await staleAccount();
      const call = interceptor(app, account);
      const logoutAll = await call("POST", "/api/v1/auth/logout-all");
      expect(logoutAll.status).toBe(401);
      expect(logoutAll.body.code).toBe("auth.token_expired");
    });

    it("is declared: optional auth where a token changes the answer, none on auth routes", async () => {
      const document = (await app.request("GET", "/api/v1/openapi.json")).body;
      expect(document.paths["/api/v1/contractors/{id}"].get.security).toEqual([{}, { bearerAuth: [] }]);
      expect(document.paths["/api/v1/auth/refresh"].post.security).toEqual([]);
      expect(document.paths["/api/v1/auth/logout"].post.security).toEqual([]);
      expect(document.paths["/api/v1/me"].get.security).toEqual([{ bearerAuth: [] }]);
    });
  });

  describe("a refresh whose answer was lost", () => {
    it("can be retried with the same token: the session carries on and nothing is revoked", async () => {
      const account = await register(app);
      const lost = await refresh(account.refreshToken);
      expect(lost.status).toBe(200);
      clock.advance(10_000);
      const retried = await refresh(account.refreshToken);
      expect(retried.status).toBe(200);
      expect(retried.body.refreshToken).not.toBe(lost.body.refreshToken);
      expect((await me(retried.body.accessToken)).status).toBe(200);
      // The app goes on with the pair it received; the session rotates normally from there.
      const next = await refresh(retried.body.refreshToken);
      expect(next.status).toBe(200);
      expect((await me(next.body.accessToken)).status).toBe(200);
    });

    it("lets 10 concurrent refreshes of one token all succeed, in one live session", async () => {
      const account = await register(app);
      const answers = await Promise.all(Array.from({ length: 10 }, () => refresh(account.refreshToken)));
      expect(answers.map((answer) => answer.status)).toEqual(Array(10).fill(200));
      for (const answer of answers) expect((await me(answer.body.accessToken)).status).toBe(200);
      // One session: ending it through any of its tokens ends every pair handed out.
      const out = await app.request("POST", "/api/v1/auth/logout", {
        body: { refreshToken: answers[3]?.body.refreshToken },
      });
      expect(out.status).toBe(204);
      for (const answer of answers) {
        expect((await me(answer.body.accessToken)).body.code).toBe("auth.session_ended");
      }
    });

    it("ends the session when the token comes back after the window", async () => {
      const account = await register(app);
      const rotated = await refresh(account.refreshToken);
      clock.advance(31_000);
      const reused = await refresh(account.refreshToken);
      expect(reused.status).toBe(401);
      expect(reused.body.code).toBe("auth.refresh_reused");
      expect((await me(rotated.body.accessToken)).body.code).toBe("auth.session_ended");
    });

    it("ends the session when a token two generations back comes back, even inside the window", async () => {
      const account = await register(app);
      const child = await refresh(account.refreshToken);
      const grandchild = await refresh(child.body.refreshToken);
      expect(grandchild.status).toBe(200);
      const reused = await refresh(account.refreshToken);
      expect(reused.status).toBe(401);
      expect(reused.body.code).toBe("auth.refresh_reused");
      expect((await me(grandchild.body.accessToken)).body.code).toBe("auth.session_ended");
      expect((await refresh(grandchild.body.refreshToken)).status).toBe(401);
    });
  });

  describe("logout", () => {
    it("works with the refresh token alone, an expired access token attached", async () => {
      const account = await register(app);
      const other = await register(app);
      const second = await app.request("POST", "/api/v1/auth/login", {
        body: { email: account.email, password: strongPassword },
      });
      clock.advance(accessTtlMs + 60_000);
      const call = interceptor(app, account);
      const out = await call("POST", "/api/v1/auth/logout", { refreshToken: account.refreshToken });
      expect(out.status).toBe(204);
      expect((await refresh(account.refreshToken)).body.code).toBe("auth.session_ended");
      // Exactly that session: the same user's other device and other users stay signed in.
      expect((await refresh(second.body.refreshToken)).status).toBe(200);
      expect((await refresh(other.refreshToken)).status).toBe(200);
    });

    it("answers 204 to a second logout, a spent token and an unknown token", async () => {
      const account = await register(app);
      const rotated = await refresh(account.refreshToken);
      const logout = (refreshToken: string) =>
        app.request("POST", "/api/v1/auth/logout", { body: { refreshToken } });
      expect((await logout(rotated.body.refreshToken)).status).toBe(204);
      expect((await logout(rotated.body.refreshToken)).status).toBe(204);
      expect((await logout(account.refreshToken)).status).toBe(204);
      expect((await logout("never-issued")).status).toBe(204);
      expect((await me(rotated.body.accessToken)).body.code).toBe("auth.session_ended");
    });
  });

  describe("rate limits, visible before they bite", () => {
    const limitOf = (response: TestResponse) => ({
      limit: Number(response.headers.get("ratelimit-limit")),
      remaining: Number(response.headers.get("ratelimit-remaining")),
      reset: Number(response.headers.get("ratelimit-reset")),
    });

    it("shows on failed logins, counting down, and on a successful one", async () => {
      const account = await register(app);
      const attempt = (password: string) =>
        app.request("POST", "/api/v1/auth/login", { body: { email: account.email, password } });
      const first = await attempt("not the password");
      expect(first.status).toBe(401);
      const second = await attempt("still not the password");
      expect(second.status).toBe(401);
      // The tightest limit of a login: 10 failures per account and address in 15 minutes.
      expect(limitOf(first)).toMatchObject({ limit: 10, remaining: 9 });
      expect(limitOf(second)).toMatchObject({ limit: 10, remaining: 8 });
      expect(limitOf(second).reset).toBeGreaterThan(0);
      expect(limitOf(second).reset).toBeLessThanOrEqual(15 * 60);
      const success = await attempt(strongPassword);
      expect(success.status).toBe(200);
      // The right password forgives this address's failures, and the headers say so.
      expect(limitOf(success)).toMatchObject({ limit: 10, remaining: 10 });
    });

    it("shows on code routes and registration, and on the 429 itself", async () => {
      const email = `limits-${randomUUID()}@example.com`;
      const answers: TestResponse[] = [];
      for (let i = 0; i < 6; i++) {
        answers.push(await app.request("POST", "/api/v1/auth/password/forgot", { body: { email } }));
      }
      expect(answers.map((answer) => answer.status)).toEqual([202, 202, 202, 202, 202, 429]);
      expect(answers.map((answer) => limitOf(answer).remaining)).toEqual([4, 3, 2, 1, 0, 0]);
      expect(limitOf(answers[0] as TestResponse).limit).toBe(5);
      const response = await app.request("POST", "/api/v1/auth/register", {
        body: {
          email: `r-${randomUUID()}@example.com`,
          password: strongPassword,
          name: "Rate Limited",
          role: "customer",
        },
      });
      expect(response.status).toBe(201);
      const { points } = app.config.auth.limits.registerAddress;
      expect(limitOf(response).limit).toBe(points);
      expect(limitOf(response).remaining).toBeLessThan(points);
    });
  });

  describe("one-time codes", () => {
    const reset = (email: string, code: string) =>
      app.request("POST", "/api/v1/auth/password/reset", {
        body: { email, code, newPassword: "another long passphrase" },
      });
    /** What an app shows: the code and, for wrong codes, how many tries are left. */
    const seen = (response: TestResponse) => ({
      status: response.status,
      code: response.body.code,
      attemptsRemaining: response.body.attemptsRemaining,
    });
    const wrongFor = (code: string) => (code === "999999" ? "999998" : "999999");

    it("say how many attempts remain, then refuse the 6th (and the right code) distinctly", async () => {
      const account = await register(app);
      const mail = await smtp.waitFor(account.email, /verification code/);
      const code = codeIn(mail);
      const verify = (value: string) =>
        app.request("POST", "/api/v1/auth/email/verify", {
          token: account.accessToken,
          body: { code: value },
        });
      const answers = [];
      for (let i = 0; i < 6; i++) answers.push(seen(await verify(wrongFor(code))));
      expect(answers).toEqual([
        { status: 400, code: "auth.invalid_code", attemptsRemaining: 4 },
        { status: 400, code: "auth.invalid_code", attemptsRemaining: 3 },
        { status: 400, code: "auth.invalid_code", attemptsRemaining: 2 },
        { status: 400, code: "auth.invalid_code", attemptsRemaining: 1 },
        { status: 400, code: "auth.invalid_code", attemptsRemaining: 0 },
        { status: 400, code: "auth.code_attempts_exceeded", attemptsRemaining: undefined },
      ]);
      expect(seen(await verify(code)).code).toBe("auth.code_attempts_exceeded");
      // A new code starts afresh.
      const resend = await app.request("POST", "/api/v1/auth/email/resend", { token: account.accessToken });
      expect(resend.status).toBe(202);
      const mails = () => smtp.received.filter((item) => item.to.includes(account.email));
      for (let waited = 0; mails().length < 2 && waited < 10_000; waited += 50) {
        await new Promise((resolveWait) => setTimeout(resolveWait, 50));
      }
      const fresh = mails()[1];
      expect(fresh).toBeDefined();
      expect((await verify(codeIn(fresh as typeof mail))).status).toBe(204);
    });

    it("tell an expired code from a wrong one", async () => {
      const account = await register(app);
      const code = codeIn(await smtp.waitFor(account.email, /verification code/));
      clock.advance(11 * 60 * 1000);
      const late = await app.request("POST", "/api/v1/auth/email/verify", {
        token: (await refresh(account.refreshToken)).body.accessToken,
        body: { code },
      });
      expect(seen(late)).toMatchObject({ status: 400, code: "auth.code_expired" });
    });

    it("answer an unknown email on reset exactly like a known one with a wrong code", async () => {
      const known = await register(app);
      await app.request("POST", "/api/v1/auth/password/forgot", { body: { email: known.email } });
      const code = codeIn(await smtp.waitFor(known.email, /password reset code/));
      const unknown = `nobody-${randomUUID()}@example.com`;
      await app.request("POST", "/api/v1/auth/password/forgot", { body: { email: unknown } });
      const idle = await register(app); // a real account that never asked for a code
      // Six rounds: five wrong codes, then the refusal. Every check counts against this address's 30 per 15 min.
      for (let i = 0; i < 6; i++) {
        const answers = [
          await reset(known.email, wrongFor(code)),
          await reset(unknown, wrongFor(code)),
          await reset(idle.email, wrongFor(code)),
        ];
        const [fromKnown, ...others] = answers.map(seen);
        for (const other of others) expect(other, `attempt ${i + 1}`).toEqual(fromKnown);
        const bodies = answers.map((answer) => {
          const { requestId: _ignored, ...rest } = answer.body;
          return rest;
        });
        expect(bodies[1]).toEqual(bodies[0]);
        expect(bodies[2]).toEqual(bodies[0]);
        const headers = answers.map((answer) => answer.headers.get("ratelimit-limit"));
        expect(headers[1]).toBe(headers[0]);
      }
    });
  });
});
