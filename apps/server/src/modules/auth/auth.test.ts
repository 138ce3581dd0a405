import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { login, register, strongPassword } from "../../../test/accounts.js";
import { TestClock } from "../../../test/clock.js";
import { startTestServer, type TestServer } from "../../../test/server.js";
import { codeIn, startSmtp, type TestSmtp } from "../../../test/smtp.js";

const adminEmail = "admin@jobsphere.test";
const adminPassword = "admin pass for tests";

describe("accounts and authentication", () => {
  let app: TestServer;
  let smtp: TestSmtp;
  const clock = new TestClock();

  beforeAll(async () => {
    smtp = await startSmtp();
    app = await startTestServer(
      { SMTP_URL: smtp.url, ADMIN_EMAIL: adminEmail, ADMIN_PASSWORD: adminPassword },
      { clock },
    );
  });
  afterAll(async () => {
    await app.close();
    await smtp.close();
  });

  const me = (token: string) => app.request("GET", "/api/v1/me", { token });

  describe("registration", () => {
    it("creates the account, signs it in and emails a verification code that verifies it", async () => {
      const response = await app.request("POST", "/api/v1/auth/register", {
        body: {
          email: "  Alice.Smith@Example.COM ",
          password: strongPassword,
          name: "Alice Smith",
          role: "customer",
          phone: "+14155550123",
        },
      });
      expect(response.status).toBe(201);
      expect(response.body.user).toMatchObject({
        email: "alice.smith@example.com",
        name: "Alice Smith",
        role: "customer",
        phone: "+14155550123",
        emailVerified: false,
        status: "active",
        avatarUrl: null,
      });
      expect(Date.parse(response.body.accessTokenExpiresAt)).toBeGreaterThan(Date.now());

      const profile = await me(response.body.accessToken);
      expect(profile.status).toBe(200);
      expect(profile.body.id).toBe(response.body.user.id);

      const mail = await smtp.waitFor("alice.smith@example.com", /verification code/);
      expect(mail.raw).toContain("Alice Smith");
      const wrong = await app.request("POST", "/api/v1/auth/email/verify", {
        token: response.body.accessToken,
        body: { code: codeIn(mail) === "000000" ? "111111" : "000000" },
      });
      expect(wrong.status).toBe(400);
      expect(wrong.body.code).toBe("auth.invalid_code");
      const verify = await app.request("POST", "/api/v1/auth/email/verify", {
        token: response.body.accessToken,
        body: { code: codeIn(mail) },
      });
      expect(verify.status).toBe(204);
      expect((await me(response.body.accessToken)).body.emailVerified).toBe(true);
      const resend = await app.request("POST", "/api/v1/auth/email/resend", {
        token: response.body.accessToken,
      });
      expect(resend.status).toBe(409);
      expect(resend.body.code).toBe("auth.email_already_verified");
    });

    it("sends a new code on resend, and only the newest one works", async () => {
      const account = await register(app, "contractor");
      const first = await smtp.waitFor(account.email, /verification code/);
      const resend = await app.request("POST", "/api/v1/auth/email/resend", { token: account.accessToken });
      expect(resend.status).toBe(202);
      const deadline = Date.now() + 10_000;
      while (
        smtp.received.filter((mail) => mail.to.includes(account.email)).length < 2 &&
        Date.now() < deadline
      ) {
        await new Promise((resolveWait) => setTimeout(resolveWait, 50));
      }
      const mails = smtp.received.filter((mail) => mail.to.includes(account.email));
      expect(mails).toHaveLength(2);
      const second = mails[1];
      if (!second) throw new Error("second mail missing");
      if (codeIn(first) !== codeIn(second)) {
        const old = await app.request("POST", "/api/v1/auth/email/verify", {
          token: account.accessToken,
          body: { code: codeIn(first) },
        });
        expect(old.status).toBe(400);
      }
      const fresh = await app.request("POST", "/api/v1/auth/email/verify", {
        token: account.accessToken,
        body: { code: codeIn(second) },
      });
      expect(fresh.status).toBe(204);
    });

    it("refuses a taken email whatever its case, with 409 auth.email_taken", async () => {
      const account = await register(app);
      const response = await app.request("POST", "/api/v1/auth/register", {
        body: {
          email: account.email.toUpperCase(),
          password: strongPassword,
          name: "Copy",
          role: "customer",
        },
      });
      expect(response.status).toBe(409);
      expect(response.body.code).toBe("auth.email_taken");
    });

    it.each([
      ["short", "abc123", /at least 8/, "too_short"],
      ["common", "password123", /too common/, "too_common"],
      ["repeated", "aaaaaaaaaaaa", /repeat/, "too_common"],
    ])("refuses a %s password naming the field", async (_kind, password, message, code) => {
      const response = await app.request("POST", "/api/v1/auth/register", {
        body: { email: "weak@example.com", password, name: "Weak", role: "customer" },
      });
      expect(response.status).toBe(400);
      expect(response.body.code).toBe("validation.failed");
      expect(response.body.errors).toContainEqual({
        path: "password",
        code,
        in: "body",
        message: expect.stringMatching(message),
      });
    });

    it("never registers an admin, and names every bad field", async () => {
      const response = await app.request("POST", "/api/v1/auth/register", {
        body: { email: "not-an-email", password: strongPassword, name: "", role: "admin", phone: "555" },
      });
      expect(response.status).toBe(400);
      const paths = response.body.errors.map((error: { path: string }) => error.path).sort();
      expect(paths).toEqual(["email", "name", "phone", "role"]);
    });
  });

  describe("login", () => {
    it("signs in with the right password only, with the same answer for unknown emails", async () => {
      const account = await register(app);
      const ok = await app.request("POST", "/api/v1/auth/login", {
        body: { email: account.email.toUpperCase(), password: account.password },
      });
      expect(ok.status).toBe(200);
      expect(ok.body.user.id).toBe(account.id);

      const wrong = await app.request("POST", "/api/v1/auth/login", {
        body: { email: account.email, password: "nope nope nope" },
      });
      const unknown = await app.request("POST", "/api/v1/auth/login", {
        body: { email: "nobody-here@example.com", password: "nope nope nope" },
      });
      expect(wrong.status).toBe(401);
      expect(unknown.status).toBe(401);
      expect(wrong.body.code).toBe("auth.invalid_credentials");
      const { requestId: _a, ...wrongBody } = wrong.body;
      const { requestId: _b, ...unknownBody } = unknown.body;
      expect(unknownBody).toEqual(wrongBody);
    });

    it("locks an email out with 429 and Retry-After after repeated failures, even with the right password", async () => {
      const account = await register(app);
      for (let attempt = 0; attempt < 10; attempt += 1) {
        const response = await app.request("POST", "/api/v1/auth/login", {
          body: { email: account.email, password: `wrong-${attempt}-password` },
        });
        expect(response.status).toBe(401);
      }
      const blocked = await app.request("POST", "/api/v1/auth/login", {
        body: { email: account.email, password: account.password },
      });
      expect(blocked.status).toBe(429);
      expect(blocked.body.code).toBe("rate_limited");
      expect(Number(blocked.headers.get("retry-after"))).toBeGreaterThan(0);
      expect(blocked.headers.get("ratelimit-remaining")).toBe("0");
    });
  });

  describe("tokens", () => {
    it("rotates refresh tokens: each is single use and yields a working pair", async () => {
      const account = await register(app);
      const first = await app.request("POST", "/api/v1/auth/refresh", {
        body: { refreshToken: account.refreshToken },
      });
      expect(first.status).toBe(200);
      expect(first.body.refreshToken).not.toBe(account.refreshToken);
      expect((await me(first.body.accessToken)).status).toBe(200);
      const second = await app.request("POST", "/api/v1/auth/refresh", {
        body: { refreshToken: first.body.refreshToken },
      });
      expect(second.status).toBe(200);
      expect((await me(second.body.accessToken)).status).toBe(200);
    });

    it("ends the whole session when a spent refresh token comes back", async () => {
      const account = await register(app);
      const rotated = await app.request("POST", "/api/v1/auth/refresh", {
        body: { refreshToken: account.refreshToken },
      });
      expect(rotated.status).toBe(200);

      clock.advance(31_000); // past the reuse grace (REFRESH_REUSE_GRACE_SECONDS)
      const reused = await app.request("POST", "/api/v1/auth/refresh", {
        body: { refreshToken: account.refreshToken },
      });
      expect(reused.status).toBe(401);
      expect(reused.body.code).toBe("auth.refresh_reused");

      const newer = await app.request("POST", "/api/v1/auth/refresh", {
        body: { refreshToken: rotated.body.refreshToken },
      });
      expect(newer.status).toBe(401);
      expect(newer.body.code).toBe("auth.session_ended");
      const access = await me(rotated.body.accessToken);
      expect(access.status).toBe(401);
      expect(access.body.code).toBe("auth.session_ended");
    });

    it("keeps other sessions of the same user alive when one family is revoked", async () => {
      const account = await register(app);
      const other = await login(app, account.email, account.password);
      await app.request("POST", "/api/v1/auth/refresh", { body: { refreshToken: account.refreshToken } });
      await app.request("POST", "/api/v1/auth/refresh", { body: { refreshToken: account.refreshToken } });
      expect((await me(other.accessToken)).status).toBe(200);
    });

    it("refuses expired, tampered and foreign access tokens with 401", async () => {
      const account = await register(app);
      const [header, payload, signature] = account.accessToken.split(".") as [string, string, string];
      const claims = JSON.parse(Buffer.from(payload, "base64url").toString());
      const forged = Buffer.from(JSON.stringify({ ...claims, role: "admin" })).toString("base64url");
      const tampered = await me(`${header}.${forged}.${signature}`);
      expect(tampered.status).toBe(401);
      expect(tampered.body.code).toBe("auth.invalid_token");
      const unknownRefresh = await app.request("POST", "/api/v1/auth/refresh", {
        body: { refreshToken: "not-a-token" },
      });
      expect(unknownRefresh.status).toBe(401);
      expect(unknownRefresh.body.code).toBe("auth.invalid_refresh_token");
      const garbage = await me("not.a.jwt");
      expect(garbage.body.code).toBe("auth.invalid_token");
      const missing = await app.request("GET", "/api/v1/me");
      expect(missing.status).toBe(401);
      expect(missing.body.code).toBe("auth.unauthenticated");

      clock.advance(16 * 60 * 1000);
      const expired = await me(account.accessToken);
      expect(expired.status).toBe(401);
      expect(expired.body.code).toBe("auth.token_expired");
      // The refresh token outlives the access token.
      const refreshed = await app.request("POST", "/api/v1/auth/refresh", {
        body: { refreshToken: account.refreshToken },
      });
      expect(refreshed.status).toBe(200);
      expect((await me(refreshed.body.accessToken)).status).toBe(200);
    });

    it("ends sessions at their absolute lifetime, and refresh tokens left unused too long", async () => {
      const active = await register(app);
      const idle = await login(app, active.email, active.password);
      let refreshToken = active.refreshToken;
      // Used every 10 days, the session still ends at 30; the idle one dies after 14 days without use.
      for (let day = 10; day <= 20; day += 10) {
        clock.advance(10 * 24 * 60 * 60 * 1000);
        const rotated = await app.request("POST", "/api/v1/auth/refresh", { body: { refreshToken } });
        expect(rotated.status, `day ${day}`).toBe(200);
        refreshToken = rotated.body.refreshToken;
      }
      const stale = await app.request("POST", "/api/v1/auth/refresh", {
        body: { refreshToken: idle.refreshToken },
      });
      expect(stale.status).toBe(401);
      expect(stale.body.code).toBe("auth.invalid_refresh_token");
      clock.advance(10 * 24 * 60 * 60 * 1000);
      const ended = await app.request("POST", "/api/v1/auth/refresh", { body: { refreshToken } });
      expect(ended.status).toBe(401);
      expect(ended.body.code).toBe("auth.session_ended");
    });

    it("publishes the verification key with the id the tokens carry", async () => {
      const account = await register(app);
      const header = JSON.parse(Buffer.from(account.accessToken.split(".")[0] ?? "", "base64url").toString());
      const jwks = await app.request("GET", "/api/v1/auth/jwks.json");
      expect(header).toMatchObject({ alg: "EdDSA", typ: "at+jwt" });
      expect(jwks.body.keys).toEqual([
        expect.objectContaining({ kid: header.kid, kty: "OKP", crv: "Ed25519" }),
      ]);
      expect(jwks.body.keys[0]).not.toHaveProperty("d");
    });
  });

  describe("sessions", () => {
    it("logout ends one session; logout-all ends every one", async () => {
      const account = await register(app);
      const second = await login(app, account.email, account.password);
      const third = await login(app, account.email, account.password);

      const out = await app.request("POST", "/api/v1/auth/logout", {
        token: account.accessToken,
        body: { refreshToken: account.refreshToken },
      });
      expect(out.status).toBe(204);
      expect((await me(account.accessToken)).status).toBe(401);
      expect(
        (await app.request("POST", "/api/v1/auth/refresh", { body: { refreshToken: account.refreshToken } }))
          .status,
      ).toBe(401);
      expect((await me(second.accessToken)).status).toBe(200);

      const all = await app.request("POST", "/api/v1/auth/logout-all", { token: second.accessToken });
      expect(all.status).toBe(204);
      expect((await me(second.accessToken)).status).toBe(401);
      expect((await me(third.accessToken)).status).toBe(401);
      expect(
        (await app.request("POST", "/api/v1/auth/refresh", { body: { refreshToken: third.refreshToken } }))
          .status,
      ).toBe(401);
    });
  });

  describe("passwords", () => {
    it("resets a forgotten password with the emailed code, ending every old session", async () => {
      const account = await register(app, "contractor");
      const forgot = await app.request("POST", "/api/v1/auth/password/forgot", {
        body: { email: account.email },
      });
      expect(forgot.status).toBe(202);
      const mail = await smtp.waitFor(account.email, /password reset code/);
      const newPassword = "a brand new secret phrase";
      const reset = await app.request("POST", "/api/v1/auth/password/reset", {
        body: { email: account.email, code: codeIn(mail), newPassword },
      });
      expect(reset.status).toBe(204);

      expect((await me(account.accessToken)).status).toBe(401);
      expect(
        (await app.request("POST", "/api/v1/auth/refresh", { body: { refreshToken: account.refreshToken } }))
          .status,
      ).toBe(401);
      const oldLogin = await app.request("POST", "/api/v1/auth/login", {
        body: { email: account.email, password: account.password },
      });
      expect(oldLogin.status).toBe(401);
      const fresh = await login(app, account.email, newPassword);
      expect((await me(fresh.accessToken)).body.emailVerified).toBe(true);

      const again = await app.request("POST", "/api/v1/auth/password/reset", {
        body: { email: account.email, code: codeIn(mail), newPassword: "yet another new phrase" },
      });
      expect(again.status).toBe(400);
      expect(again.body.code).toBe("auth.invalid_code");
    });

    it("kills a code after five wrong attempts", async () => {
      const account = await register(app);
      await app.request("POST", "/api/v1/auth/password/forgot", { body: { email: account.email } });
      const code = codeIn(await smtp.waitFor(account.email, /password reset code/));
      const wrong = code === "999999" ? "999998" : "999999";
      for (let attempt = 0; attempt < 5; attempt += 1) {
        const response = await app.request("POST", "/api/v1/auth/password/reset", {
          body: { email: account.email, code: wrong, newPassword: "another long phrase" },
        });
        expect(response.status).toBe(400);
        expect(response.body.code).toBe("auth.invalid_code");
        expect(response.body.attemptsRemaining).toBe(4 - attempt);
      }
      const right = await app.request("POST", "/api/v1/auth/password/reset", {
        body: { email: account.email, code, newPassword: "another long phrase" },
      });
      expect(right.status).toBe(400);
      expect(right.body.code).toBe("auth.code_attempts_exceeded");
      expect((await me(account.accessToken)).status).toBe(200);
    });

    it("answers any malformed code as a wrong one", async () => {
      const account = await register(app);
      for (const code of ["12345", "abcdef", "1234567"]) {
        const response = await app.request("POST", "/api/v1/auth/password/reset", {
          body: { email: account.email, code, newPassword: "another long phrase" },
        });
        expect(response.status).toBe(400);
        expect(response.body.code).toBe("auth.invalid_code");
      }
    });

    it("refuses an expired code", async () => {
      const account = await register(app);
      await app.request("POST", "/api/v1/auth/password/forgot", { body: { email: account.email } });
      const code = codeIn(await smtp.waitFor(account.email, /password reset code/));
      clock.advance(11 * 60 * 1000);
      const late = await app.request("POST", "/api/v1/auth/password/reset", {
        body: { email: account.email, code, newPassword: "another long phrase" },
      });
      expect(late.status).toBe(400);
      expect(late.body.code).toBe("auth.code_expired");
    });

    it("answers 202 for an unknown email and sends nothing", async () => {
      const known = await register(app);
      const unknown = await app.request("POST", "/api/v1/auth/password/forgot", {
        body: { email: "ghost@example.com" },
      });
      expect(unknown.status).toBe(202);
      expect(unknown.body).toEqual({ status: "accepted" });
      // A request queued after the unknown one: once its mail is out, the unknown one has been handled too.
      await app.request("POST", "/api/v1/auth/password/forgot", { body: { email: known.email } });
      await smtp.waitFor(known.email, /password reset code/);
      await new Promise((resolveWait) => setTimeout(resolveWait, 1_000));
      expect(smtp.received.some((mail) => mail.to.includes("ghost@example.com"))).toBe(false);
    });

    it("rate-limits reset emails per address", async () => {
      const account = await register(app);
      const answers: number[] = [];
      for (let attempt = 0; attempt < 6; attempt += 1) {
        answers.push(
          (await app.request("POST", "/api/v1/auth/password/forgot", { body: { email: account.email } }))
            .status,
        );
      }
      // The registration's verification mail used one of the five per hour.
      expect(answers.slice(0, 4)).toEqual([202, 202, 202, 202]);
      expect(answers.at(-1)).toBe(429);
    });

    it("changes the password only with the current one, and ends every session", async () => {
      const account = await register(app);
      const wrong = await app.request("POST", "/api/v1/auth/password/change", {
        token: account.accessToken,
        body: { currentPassword: "not my password", newPassword: "fresh long passphrase" },
      });
      expect(wrong.status).toBe(400);
      expect(wrong.body.code).toBe("auth.wrong_password");
      expect(wrong.body.errors).toEqual([expect.objectContaining({ path: "currentPassword" })]);
      const weak = await app.request("POST", "/api/v1/auth/password/change", {
        token: account.accessToken,
        body: { currentPassword: account.password, newPassword: "qwerty123" },
      });
      expect(weak.status).toBe(400);
      expect(weak.body.errors).toEqual([expect.objectContaining({ path: "newPassword" })]);

      const changed = await app.request("POST", "/api/v1/auth/password/change", {
        token: account.accessToken,
        body: { currentPassword: account.password, newPassword: "fresh long passphrase" },
      });
      expect(changed.status).toBe(204);
      expect((await me(account.accessToken)).status).toBe(401);
      await login(app, account.email, "fresh long passphrase");
    });
  });

  describe("profile", () => {
    it("edits name and phone, and validates them", async () => {
      const account = await register(app);
      const updated = await app.request("PATCH", "/api/v1/me", {
        token: account.accessToken,
        body: { name: "  Bob Builder ", phone: "+44 (7700) 900-123" },
      });
      expect(updated.status).toBe(200);
      expect(updated.body).toMatchObject({ name: "Bob Builder", phone: "+447700900123" });
      const cleared = await app.request("PATCH", "/api/v1/me", {
        token: account.accessToken,
        body: { phone: null },
      });
      expect(cleared.body.phone).toBeNull();
      const bad = await app.request("PATCH", "/api/v1/me", {
        token: account.accessToken,
        body: { phone: "call me", role: "admin" },
      });
      expect(bad.status).toBe(400);
      expect(bad.body.errors.map((error: { path: string }) => error.path)).toEqual(
        expect.arrayContaining(["phone"]),
      );
      expect((await me(account.accessToken)).body.role).toBe("customer");
    });
  });

  describe("roles and suspension", () => {
    it("creates admins from the command line only", async () => {
      const cli = fileURLToPath(new URL("../../cli/admin-create.ts", import.meta.url));
      // Asynchronous on purpose: the server under test runs in this process and must keep answering.
      const run = (...args: string[]) =>
        new Promise<{ status: number | null; stdout: string; stderr: string }>((resolveRun) => {
          execFile(
            process.execPath,
            ["--import", "tsx", cli, ...args],
            { env: { ...process.env, DATABASE_URL: app.database.url, LOG_LEVEL: "warn" }, timeout: 90_000 },
            (error, stdout, stderr) =>
              resolveRun({ status: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
          );
        });
      const created = await run(
        "--email",
        "Ops@Example.com",
        "--password",
        "operations passphrase",
        "--name",
        "Ops",
      );
      expect(created.stderr).toBe("");
      expect(created.status).toBe(0);
      expect(created.stdout).toMatch(/Admin account created: ops@example.com/);
      const again = await run("--email", "ops@example.com", "--password", "operations passphrase");
      expect(again.status).toBe(1);
      expect(again.stderr).toMatch(/already exists/);
      const weak = await run("--email", "weak-admin@example.com", "--password", "password");
      expect(weak.status).toBe(2);
      expect(weak.stderr).toMatch(/password/);

      const admin = await login(app, "ops@example.com", "operations passphrase");
      const profile = await me(admin.accessToken);
      expect(profile.body).toMatchObject({ role: "admin", emailVerified: true, name: "Ops" });
      // Three CLI processes, each compiling the server's modules with tsx: on a busy machine that alone
      // outlasts the default per-test limit.
    }, 120_000);

    it("keeps customers and contractors off admin routes", async () => {
      const customer = await register(app);
      const contractor = await register(app, "contractor");
      for (const account of [customer, contractor]) {
        const response = await app.request("GET", "/api/v1/admin/users", { token: account.accessToken });
        expect(response.status).toBe(403);
        expect(response.body.code).toBe("auth.forbidden");
      }
      expect((await app.request("GET", "/api/v1/admin/users")).status).toBe(401);
    });

    it("lets the bootstrapped admin find and suspend a user, who is then locked out", async () => {
      const admin = await login(app, adminEmail, adminPassword);
      const victim = await register(app, "contractor", { name: "Suspendable Sam" });
      const found = await app.request("GET", "/api/v1/admin/users?role=contractor&q=suspendable", {
        token: admin.accessToken,
      });
      expect(found.status).toBe(200);
      expect(found.body.items.map((user: { id: string }) => user.id)).toEqual([victim.id]);

      const suspended = await app.request("PATCH", `/api/v1/admin/users/${victim.id}`, {
        token: admin.accessToken,
        body: { status: "suspended" },
      });
      expect(suspended.status).toBe(200);
      expect(suspended.body.status).toBe("suspended");

      const locked = await me(victim.accessToken);
      expect(locked.status).toBe(403);
      expect(locked.body.code).toBe("auth.account_suspended");
      const blocked = await app.request("POST", "/api/v1/auth/login", {
        body: { email: victim.email, password: victim.password },
      });
      expect(blocked.status).toBe(403);
      expect(blocked.body.code).toBe("auth.account_suspended");
      const self = await app.request("PATCH", `/api/v1/admin/users/${admin.id}`, {
        token: admin.accessToken,
        body: { status: "suspended" },
      });
      expect(self.status).toBe(409);

      await app.request("PATCH", `/api/v1/admin/users/${victim.id}`, {
        token: admin.accessToken,
        body: { status: "active" },
      });
      await login(app, victim.email, victim.password);
    });
  });
});
