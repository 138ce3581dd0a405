import { request as httpRequest } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { register, strongPassword } from "../../../test/accounts.js";
import { TestClock } from "../../../test/clock.js";
import { startTestServer, type TestServer } from "../../../test/server.js";
import { codeIn, startSmtp, type TestSmtp } from "../../../test/smtp.js";

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  // biome-ignore lint/suspicious/noExplicitAny: test assertions read arbitrary response fields
  body: any;
}

/**
 * Calls the API from a chosen loopback address (all of 127.0.0.0/8 reaches the server), so tests play clients
 * on different machines without trusting any forwarding header.
 */
function from(
  app: TestServer,
  address: string,
  method: string,
  path: string,
  body?: unknown,
  token?: string,
): Promise<Answer> {
  const url = new URL(path, app.url);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolveAnswer, rejectAnswer) => {
    const req = httpRequest(
      url,
      {
        method,
        localAddress: address,
        // A fresh connection per call: keep-alive would pin calls to one socket and serialise the burst.
        agent: false,
        headers: {
          ...(payload === undefined ? {} : { "content-type": "application/json" }),
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          text += chunk;
        });
        res.on("end", () =>
          resolveAnswer({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: text.length > 0 && /json/.test(res.headers["content-type"] ?? "") ? JSON.parse(text) : text,
          }),
        );
      },
    );
    req.on("error", rejectAnswer);
    req.end(payload);
  });
}

const login = (app: TestServer, address: string, email: string, password: string) =>
  from(app, address, "POST", "/api/v1/auth/login", { email, password });

function tally(answers: Answer[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const answer of answers) counts[answer.status] = (counts[answer.status] ?? 0) + 1;
  return counts;
}

const burst = <T>(count: number, make: (index: number) => Promise<T>) =>
  Promise.all(Array.from({ length: count }, (_, index) => make(index)));

describe("attempt limits under attack (default limits)", () => {
  let app: TestServer;
  let smtp: TestSmtp;

  beforeAll(async () => {
    smtp = await startSmtp();
    app = await startTestServer({ SMTP_URL: smtp.url });
  });
  afterAll(async () => {
    await app.close();
    await smtp.close();
  });

  it("judges only 10 of 30 parallel wrong passwords; the owner still signs in from their own address", async () => {
    const account = await register(app);
    const attack = await burst(30, (index) =>
      login(app, "127.0.0.3", account.email, `wrong guess number ${index}`),
    );
    expect(tally(attack)).toEqual({ 401: 10, 429: 20 });
    const refused = attack.find((answer) => answer.status === 429);
    expect(refused?.body.code).toBe("rate_limited");
    expect(Number(refused?.headers["retry-after"])).toBeGreaterThan(0);
    expect(refused?.headers["ratelimit-remaining"]).toBe("0");

    // The attacker's address stays blocked even with the right password…
    expect((await login(app, "127.0.0.3", account.email, account.password)).status).toBe(429);
    // …while the owner, elsewhere, is not locked out.
    expect((await login(app, "127.0.0.2", account.email, account.password)).status).toBe(200);
  });

  it("declares the 429 of every limited route in the OpenAPI document", async () => {
    const document = (await app.request("GET", "/api/v1/openapi.json")).body;
    for (const path of ["/auth/register", "/auth/login", "/auth/password/change", "/auth/password/reset"]) {
      const operation = document.paths[path]?.post ?? document.paths[`/api/v1${path}`]?.post;
      expect(Object.keys(operation?.responses ?? {}), path).toContain("429");
    }
  });

  it("forgives an address's failures once the right password comes from it", async () => {
    const account = await register(app);
    for (let attempt = 0; attempt < 9; attempt += 1) {
      expect((await login(app, "127.0.0.4", account.email, `typo ${attempt} password`)).status).toBe(401);
    }
    expect((await login(app, "127.0.0.4", account.email, account.password)).status).toBe(200);
    const again = await burst(12, (index) => login(app, "127.0.0.4", account.email, `typo again ${index}`));
    expect(tally(again)).toEqual({ 401: 10, 429: 2 });
  });

  it("limits wrong current passwords on password change like login, whatever the burst", async () => {
    const account = await register(app);
    const attack = await burst(30, (index) =>
      from(
        app,
        "127.0.0.5",
        "POST",
        "/api/v1/auth/password/change",
        { currentPassword: `guess ${index} of many`, newPassword: "a brand new passphrase" },
        account.accessToken,
      ),
    );
    expect(tally(attack)).toEqual({ 400: 10, 429: 20 });
    expect(attack.find((answer) => answer.status === 400)?.body.code).toBe("auth.wrong_password");
    // Locked for the window, the right password included: a stolen session cannot keep guessing.
    const right = await from(
      app,
      "127.0.0.6",
      "POST",
      "/api/v1/auth/password/change",
      { currentPassword: account.password, newPassword: "a brand new passphrase" },
      account.accessToken,
    );
    expect(right.status).toBe(429);
  });

  it("forgives wrong current passwords once the right one is given", async () => {
    const account = await register(app);
    const change = (currentPassword: string) =>
      from(
        app,
        "127.0.0.7",
        "POST",
        "/api/v1/auth/password/change",
        { currentPassword, newPassword: "a brand new passphrase" },
        account.accessToken,
      );
    for (let attempt = 0; attempt < 9; attempt += 1) {
      expect((await change(`typo ${attempt} password`)).status).toBe(400);
    }
    expect((await change(strongPassword)).status).toBe(204);
  });

  it("kills a reset code after five wrong attempts even when 40 arrive at once, and caps checks per address", async () => {
    const account = await register(app);
    await app.request("POST", "/api/v1/auth/password/forgot", { body: { email: account.email } });
    const code = codeIn(await smtp.waitFor(account.email, /password reset code/));
    const wrong = (index: number) => String((Number(code) + 1 + index) % 1_000_000).padStart(6, "0");
    const attack = await burst(40, (index) =>
      from(app, "127.0.0.8", "POST", "/api/v1/auth/password/reset", {
        email: account.email,
        code: wrong(index),
        newPassword: "an attacker's passphrase",
      }),
    );
    expect(tally(attack)).toEqual({ 400: 30, 429: 10 });
    const right = await from(app, "127.0.0.9", "POST", "/api/v1/auth/password/reset", {
      email: account.email,
      code,
      newPassword: "the owner's new passphrase",
    });
    expect(right.status).toBe(400);
    expect(right.body.code).toBe("auth.code_attempts_exceeded");
  });

  it("kills a verification code after five wrong attempts spread over many addresses at once", async () => {
    const account = await register(app);
    const code = codeIn(await smtp.waitFor(account.email, /verification code/));
    const attack = await burst(20, (index) =>
      from(
        app,
        `127.0.1.${index + 1}`,
        "POST",
        "/api/v1/auth/email/verify",
        { code: String((Number(code) + 1 + index) % 1_000_000).padStart(6, "0") },
        account.accessToken,
      ),
    );
    expect(tally(attack)).toEqual({ 400: 20 });
    const right = await from(
      app,
      "127.0.0.10",
      "POST",
      "/api/v1/auth/email/verify",
      { code },
      account.accessToken,
    );
    expect(right.status).toBe(400);
    const me = await app.request("GET", "/api/v1/me", { token: account.accessToken });
    expect(me.body.emailVerified).toBe(false);
  });
});

describe("attempt limits across accounts and addresses (small configured limits)", () => {
  let app: TestServer;

  beforeAll(async () => {
    app = await startTestServer({
      LIMIT_LOGIN_ADDRESS: "15/1h",
      LIMIT_LOGIN_ACCOUNT: "20/1h",
      LIMIT_REGISTER_ADDRESS: "5/1h",
    });
  });
  afterAll(async () => {
    await app.close();
  });

  it("stops credential stuffing: one address trying many accounts at once is judged 15 times", async () => {
    const stuffing = await burst(30, (index) =>
      login(app, "127.0.2.1", `victim-${index}@example.com`, "password from a leak"),
    );
    expect(tally(stuffing)).toEqual({ 401: 15, 429: 15 });
    // Other addresses are unaffected.
    expect((await login(app, "127.0.2.2", "victim-0@example.com", "password from a leak")).status).toBe(401);
  });

  it("caps guessing spread over many addresses, without locking the owner out of an address they use", async () => {
    const account = await register(app, "customer");
    expect((await login(app, "127.0.3.1", account.email, account.password)).status).toBe(200);
    const spread = await burst(30, (index) =>
      login(app, `127.0.4.${index + 1}`, account.email, `distributed guess ${index}`),
    );
    expect(tally(spread)).toEqual({ 401: 20, 429: 10 });
    // The owner's known address still works; a new address meets the ceiling.
    expect((await login(app, "127.0.3.1", account.email, account.password)).status).toBe(200);
    expect((await login(app, "127.0.3.2", account.email, account.password)).status).toBe(429);
  });

  it("limits registrations per address, even in a parallel burst", async () => {
    const attempts = await burst(12, (index) =>
      from(app, "127.0.5.1", "POST", "/api/v1/auth/register", {
        email: `signup-${index}@example.com`,
        password: strongPassword,
        name: `Signup ${index}`,
        role: "customer",
      }),
    );
    expect(tally(attempts)).toEqual({ 201: 5, 429: 7 });
    const elsewhere = await from(app, "127.0.5.2", "POST", "/api/v1/auth/register", {
      email: "someone-else@example.com",
      password: strongPassword,
      name: "Someone Else",
      role: "customer",
    });
    expect(elsewhere.status).toBe(201);
  });
});

describe("one-time code rules as configured (small settings refuse sooner)", () => {
  let app: TestServer;
  let smtp: TestSmtp;
  const clock = new TestClock();

  beforeAll(async () => {
    smtp = await startSmtp();
    app = await startTestServer(
      {
        SMTP_URL: smtp.url,
        LIMIT_CODE_MAIL_EMAIL: "2/1h",
        LIMIT_CODE_MAIL_ADDRESS: "3/1h",
        LIMIT_CODE_CHECK_ADDRESS: "4/15m",
        CODE_MAX_ATTEMPTS: "2",
        CODE_TTL_MINUTES: "2",
      },
      { clock },
    );
  });
  afterAll(async () => {
    await app.close();
    await smtp.close();
  });

  const forgot = (address: string, email: string) =>
    from(app, address, "POST", "/api/v1/auth/password/forgot", { email });

  it("sends at most LIMIT_CODE_MAIL_EMAIL codes per email and LIMIT_CODE_MAIL_ADDRESS per address", async () => {
    // Default 5 per email: with 2, the first shows the limit, and of a burst of 3 more only 1 gets through.
    const first = await forgot("127.0.6.1", "often-forgets@example.com");
    expect(first.status).toBe(202);
    expect(first.headers).toMatchObject({ "ratelimit-limit": "2", "ratelimit-remaining": "1" });
    const sameEmail = await burst(3, () => forgot("127.0.6.1", "often-forgets@example.com"));
    expect(tally(sameEmail)).toEqual({ 202: 1, 429: 2 });
    // Refused mails gave their address charge back: the address has sent 2 of its 3.
    expect((await forgot("127.0.6.1", "second@example.com")).status).toBe(202);
    const ceiling = await forgot("127.0.6.1", "third@example.com");
    expect(ceiling.status).toBe(429);
    expect(ceiling.headers["ratelimit-limit"]).toBe("3");
    expect(Number(ceiling.headers["retry-after"])).toBeGreaterThan(0);
    // Another address still asks for that email's code.
    expect((await forgot("127.0.6.2", "third@example.com")).status).toBe(202);
  });

  it("checks at most LIMIT_CODE_CHECK_ADDRESS codes per address, in a parallel burst too", async () => {
    const checks = await burst(10, (index) =>
      from(app, "127.0.7.1", "POST", "/api/v1/auth/password/reset", {
        email: `nobody-${index}@example.com`,
        code: "123456",
        newPassword: strongPassword,
      }),
    );
    expect(tally(checks)).toEqual({ 400: 4, 429: 6 });
  });

  it("kills a code after CODE_MAX_ATTEMPTS wrong tries, and expires it after CODE_TTL_MINUTES", async () => {
    const account = await register(app);
    const mail = await smtp.waitFor(account.email, /verification code/);
    expect(mail.raw).toContain("expires in 2 minutes");
    const code = codeIn(mail);
    const verify = (address: string, sent: string) =>
      from(app, address, "POST", "/api/v1/auth/email/verify", { code: sent }, account.accessToken);
    const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, "0");
    const first = await verify("127.0.8.1", wrong);
    expect(first.body).toMatchObject({ code: "auth.invalid_code", attemptsRemaining: 1 });
    const second = await verify("127.0.8.2", wrong);
    expect(second.body).toMatchObject({ code: "auth.invalid_code", attemptsRemaining: 0 });
    // The default allows 5; here the right code after two wrong ones is refused.
    const right = await verify("127.0.8.3", code);
    expect(right.status).toBe(400);
    expect(right.body.code).toBe("auth.code_attempts_exceeded");

    // A reset code is dead 2 minutes after it was sent (the default would keep it 10).
    const other = await register(app);
    expect((await forgot("127.0.8.4", other.email)).status).toBe(202);
    const resetCode = codeIn(await smtp.waitFor(other.email, /password reset code/));
    clock.advance(2 * 60_000 + 1_000);
    const late = await from(app, "127.0.8.5", "POST", "/api/v1/auth/password/reset", {
      email: other.email,
      code: resetCode,
      newPassword: "a fresh long passphrase",
    });
    expect(late.status).toBe(400);
    expect(late.body.code).toBe("auth.code_expired");
  });

  it("states the configured code rules in the OpenAPI document", async () => {
    const document = await app.request("GET", "/api/v1/openapi.json");
    const reset = document.body.paths["/api/v1/auth/password/reset"].post.description as string;
    expect(reset).toContain("valid for 2 minutes and allows 2 wrong attempts");
    const forgotten = document.body.paths["/api/v1/auth/password/forgot"].post.description as string;
    expect(forgotten).toContain("valid for 2 minutes");
  });
});
