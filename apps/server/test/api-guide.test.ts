import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "./server.js";
import { codeIn, startSmtp, type TestSmtp } from "./smtp.js";

const guideFile = new URL("../../../docs/api-guide.md", import.meta.url);

/** One request of the guide, as written in an ```http block (the convention is described at the guide's top). */
interface GuideExample {
  /** The `# name` line: the answer is kept under it for later `{{name.field}}` placeholders. */
  name?: string;
  line: number;
  method: string;
  path: string;
  headers: [string, string][];
  body: string;
  status: number;
  /** JSON of fields the answer must have (`"…"`: any value but null), placeholders not yet replaced. */
  expected: string;
}

function guideExamples(markdown: string): GuideExample[] {
  const examples: GuideExample[] = [];
  const lines = markdown.split("\n");
  for (let index = 0; index < lines.length; index++) {
    if (lines[index]?.trim() !== "```http") continue;
    const start = index + 1;
    const block: string[] = [];
    for (index++; index < lines.length && lines[index]?.trim() !== "```"; index++)
      block.push(lines[index] ?? "");
    const answerAt = block.findIndex((text) => /^HTTP \d{3}\b/.test(text));
    if (answerAt < 0) throw new Error(`the http block at line ${start} has no "HTTP <status>" answer line`);
    const request = block.slice(0, answerAt);
    const name = request[0]?.startsWith("# ") ? request.shift()?.slice(2).trim() : undefined;
    const [method, path] = (request.shift() ?? "").trim().split(/\s+/);
    if (!method || !path) throw new Error(`the http block at line ${start} has no request line`);
    const headers: [string, string][] = [];
    while (request.length > 0 && request[0]?.trim() !== "") {
      const header = request.shift() ?? "";
      const colon = header.indexOf(":");
      headers.push([header.slice(0, colon).trim(), header.slice(colon + 1).trim()]);
    }
    const body = request.slice(1).join("\n").trim();
    const answer = block.slice(answerAt);
    const status = Number(/^HTTP (\d{3})/.exec(answer[0] ?? "")?.[1]);
    const expectedText = answer.slice(1).join("\n").trim();
    examples.push({
      name,
      line: start,
      method,
      path,
      headers,
      body,
      status,
      expected: expectedText,
    });
  }
  return examples;
}

/** `expected` with every `"…"` replaced by what the answer holds there, when it holds something. */
function withAnyValues(expected: unknown, actual: unknown): unknown {
  if (expected === "…") return actual ?? expected;
  if (Array.isArray(expected)) {
    return expected.map((item, at) => withAnyValues(item, Array.isArray(actual) ? actual[at] : undefined));
  }
  if (typeof expected === "object" && expected !== null) {
    const fields = typeof actual === "object" && actual !== null ? (actual as Record<string, unknown>) : {};
    return Object.fromEntries(
      Object.entries(expected).map(([key, value]) => [key, withAnyValues(value, fields[key])]),
    );
  }
  return expected;
}

function lookup(value: unknown, path: string): unknown {
  return path
    .split(".")
    .reduce<unknown>((at, key) => (at as Record<string, unknown> | undefined)?.[key], value);
}

describe("the API guide's own requests", () => {
  let app: TestServer;
  let smtp: TestSmtp;
  let examples: GuideExample[];

  beforeAll(async () => {
    smtp = await startSmtp();
    app = await startTestServer({ SMTP_URL: smtp.url });
    examples = guideExamples(await readFile(guideFile, "utf8"));
  });
  afterAll(async () => {
    await app?.close();
    await smtp?.close();
  });

  it("covers the flows that exist", () => {
    const requests = examples.map((example) => `${example.method} ${example.path.split("?")[0]}`);
    for (const flow of [
      "POST /api/v1/auth/register",
      "POST /api/v1/auth/email/verify",
      "POST /api/v1/auth/login",
      "POST /api/v1/auth/refresh",
      "POST /api/v1/auth/logout",
      "GET /api/v1/me",
      "GET /api/v1/categories",
      "GET /api/v1/contractors",
      "POST /api/v1/files",
      "POST /api/v1/jobs",
      "GET /api/v1/jobs",
      "POST /api/v1/conversations",
      "GET /api/v1/conversations",
    ]) {
      expect(requests).toContain(flow);
    }
    expect(requests.some((request) => /^GET \/api\/v1\/contractors\/\{\{/.test(request))).toBe(true);
    for (const flow of [
      /^POST \/api\/v1\/jobs\/.+\/quotes$/,
      /\/accept$/,
      /^POST \/api\/v1\/bookings\/.+\/cancel$/,
    ]) {
      expect(
        requests.some((request) => flow.test(request)),
        String(flow),
      ).toBe(true);
    }
    expect(examples.filter((example) => example.status >= 400).length).toBeGreaterThanOrEqual(3);
  });

  it("calls coming only the parts the server does not serve yet, in the README and the guide", async () => {
    const served = Object.keys((await app.request("GET", "/api/v1/openapi.json")).body.paths);
    const readme = await readFile(new URL("../../../README.md", import.meta.url), "utf8");
    const guide = await readFile(guideFile, "utf8");
    // The sentences that list what is still to come, as each document words them; none once all is served.
    const coming = [
      /Coming: ([^.]*)\./.exec(readme.replace(/\s+/g, " "))?.[1] ?? "",
      /([^.]*) are coming/.exec(guide.replace(/\s+/g, " "))?.[1] ?? "",
    ];
    const parts: [word: RegExp, path: string][] = [
      [/job requests/i, "/api/v1/jobs"],
      [/bookings/i, "/api/v1/bookings"],
      [/payments/i, "/api/v1/payments"],
      [/reviews/i, "/api/v1/reviews"],
      [/chat/i, "/api/v1/conversations"],
      [/notifications/i, "/api/v1/notifications"],
    ];
    for (const [word, path] of parts) {
      const exists = served.some((known) => known === path || known.startsWith(`${path}/`));
      for (const text of coming)
        expect(
          word.test(text),
          exists ? `${word} coming while ${path} exists` : `${path} is not served`,
        ).toBe(!exists);
    }
  });

  it("answers every request as the guide says, in the guide's order", async () => {
    const answers = new Map<string, unknown>();
    const unique = new Map<string, string>();
    let mailsUsed = 0;
    const png = await sharp({
      create: { width: 64, height: 64, channels: 3, background: { r: 200, g: 120, b: 40 } },
    })
      .png()
      .toBuffer();

    const substitute = async (text: string, line: number): Promise<string> => {
      let result = text;
      for (const [placeholder, name = ""] of text.matchAll(/\{\{([^}]+)\}\}/g)) {
        let value: string;
        if (name === "png") continue;
        if (name.startsWith("unique.")) {
          value = unique.get(name) ?? `${name.slice(7)}-${randomBytes(4).toString("hex")}`;
          unique.set(name, value);
        } else if (/^inDays\.\d+$/.test(name)) {
          // A start time N days ahead, at 09:00 UTC: times in the guide must stay in the future.
          const day = new Date(Date.now() + Number(name.slice(7)) * 86_400_000);
          day.setUTCHours(9, 0, 0, 0);
          value = day.toISOString();
        } else if (name === "mailedCode") {
          const deadline = Date.now() + 15_000;
          while (smtp.received.length <= mailsUsed && Date.now() < deadline) {
            await new Promise((resolveWait) => setTimeout(resolveWait, 50));
          }
          const mail = smtp.received[mailsUsed];
          if (!mail) throw new Error(`line ${line}: no new mail for {{mailedCode}}`);
          mailsUsed++;
          value = codeIn(mail);
        } else {
          const [answer, ...path] = name.split(".");
          const found = lookup(answers.get(answer ?? ""), path.join("."));
          if (typeof found !== "string" && typeof found !== "number") {
            throw new Error(`line ${line}: {{${name}}} names nothing an earlier answer held`);
          }
          value = String(found);
        }
        result = result.replace(placeholder, value);
      }
      return result;
    };

    for (const example of examples) {
      const where = `${example.method} ${example.path} (docs/api-guide.md line ${example.line})`;
      const headers = new Headers();
      for (const [name, value] of example.headers) headers.set(name, await substitute(value, example.line));
      let body: string | Buffer | undefined;
      if (example.body) {
        const text = await substitute(example.body, example.line);
        if (headers.get("content-type")?.startsWith("multipart/form-data")) {
          // Multipart parts are separated by CRLF on the wire; {{png}} stands for a real image's bytes.
          const parts = text.replaceAll("\n", "\r\n").split("{{png}}");
          body = Buffer.concat(
            parts.flatMap((part, at) => (at === 0 ? [Buffer.from(part)] : [png, Buffer.from(part)])),
          );
        } else {
          body = text;
        }
      }
      const response = await fetch(`${app.url}${await substitute(example.path, example.line)}`, {
        method: example.method,
        headers,
        body,
      });
      const text = await response.text();
      const answer =
        text && /json/.test(response.headers.get("content-type") ?? "") ? JSON.parse(text) : text;
      expect(response.status, `${where}: ${text}`).toBe(example.status);
      if (example.expected) {
        const expected = JSON.parse(await substitute(example.expected, example.line));
        expect(answer, where).toMatchObject(withAnyValues(expected, answer) as object);
      }
      if (example.name) answers.set(example.name, answer);
    }
  }, 120_000);
});
