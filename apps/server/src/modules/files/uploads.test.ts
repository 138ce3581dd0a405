import { readdir } from "node:fs/promises";
import { request } from "node:http";
import { connect } from "node:net";
import { join } from "node:path";
import { crc32, deflateSync } from "node:zlib";
import pg from "pg";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Account, register } from "../../../test/accounts.js";
import { pngImage, samplePdf, uploadFile } from "../../../test/fixtures.js";
import { startTestServer, type TestServer } from "../../../test/server.js";

const MB = 1024 * 1024;
const boundary = "----jobsphere-test-boundary";

interface Part {
  name: string;
  /** The whole Content-Disposition parameter list after the name, for file parts (e.g. `filename="a.pdf"`). */
  fileParams?: string;
  type?: string;
  data: Buffer;
}

function multipart(parts: Part[]): Buffer {
  const chunks: Buffer[] = [];
  for (const part of parts) {
    const disposition = `form-data; name="${part.name}"${part.fileParams ? `; ${part.fileParams}` : ""}`;
    const head = `--${boundary}\r\nContent-Disposition: ${disposition}\r\n${part.type ? `Content-Type: ${part.type}\r\n` : ""}\r\n`;
    chunks.push(Buffer.from(head, "latin1"), part.data, Buffer.from("\r\n"));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return Buffer.concat(chunks);
}

interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  // biome-ignore lint/suspicious/noExplicitAny: problem documents and file views are read field by field
  body: any;
  /** From the first byte sent to the answer's headers. */
  ms: number;
  /** Body bytes the client managed to hand to its socket before the answer or the close. */
  sent: number;
}

/**
 * POST /files over a plain socket, the way a slow phone or a hostile client sends it: the body is written in
 * 64 KiB slices with backpressure, and sending stops as soon as the answer arrives or the server closes.
 * `body` is a Buffer (sent with Content-Length unless `chunked`) or a generator of slices (always chunked).
 */
function rawUpload(
  app: TestServer,
  options: {
    token?: string;
    body: Buffer | Iterable<Buffer>;
    query?: string;
    contentType?: string;
    chunked?: boolean;
    /** Destroy the connection after this many body bytes, without waiting for an answer. */
    abortAfter?: number;
  },
): Promise<RawAnswer | "aborted"> {
  const { hostname, port } = new URL(app.url);
  const headers: Record<string, string> = {
    ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
    "content-type": options.contentType ?? `multipart/form-data; boundary=${boundary}`,
  };
  const buffer = Buffer.isBuffer(options.body) ? options.body : undefined;
  if (buffer && !options.chunked) headers["content-length"] = String(buffer.length);
  else headers["transfer-encoding"] = "chunked";
  const slices = buffer
    ? (function* () {
        for (let offset = 0; offset < buffer.length; offset += 64 * 1024) {
          yield buffer.subarray(offset, offset + 64 * 1024);
        }
      })()
    : (options.body as Iterable<Buffer>);
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let sent = 0;
    let answered = false;
    const req = request(
      { host: hostname, port, path: `/api/v1/files${options.query ?? ""}`, method: "POST", headers },
      (res) => {
        answered = true;
        const ms = performance.now() - started;
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: text.startsWith("{") ? JSON.parse(text) : text,
            ms,
            sent,
          });
        });
        res.on("error", reject);
      },
    );
    // Writing after the server answered and closed fails with EPIPE or ECONNRESET: expected, not a result.
    req.on("error", (error) => {
      if (!answered) reject(error);
    });
    const iterator = slices[Symbol.iterator]();
    const pump = () => {
      while (!answered && !req.destroyed) {
        if (options.abortAfter !== undefined && sent >= options.abortAfter) {
          req.destroy();
          resolve("aborted");
          return;
        }
        const next = iterator.next();
        if (next.done) {
          req.end();
          return;
        }
        sent += next.value.length;
        if (!req.write(next.value)) {
          req.once("drain", pump);
          return;
        }
      }
    };
    pump();
  });
}

/** A form whose file part is `size` bytes of a PNG-looking body, with the purpose first, last or absent. */
function oversizedForm(size: number, purpose: "first" | "last" | "none"): Buffer {
  const file: Part = {
    name: "file",
    fileParams: 'filename="big.png"',
    type: "image/png",
    data: Buffer.alloc(size, 7),
  };
  const purposePart: Part = { name: "purpose", data: Buffer.from("avatar") };
  const parts = purpose === "first" ? [purposePart, file] : purpose === "last" ? [file, purposePart] : [file];
  return multipart(parts);
}

/** Endless body: the purpose, then a file part that never ends. */
function* endlessForm(purpose: string | undefined): Generator<Buffer> {
  const head = multipart(purpose ? [{ name: "purpose", data: Buffer.from(purpose) }] : []).subarray(
    0,
    purpose ? -`--${boundary}--\r\n`.length : 0,
  );
  yield Buffer.concat([
    head,
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="endless.bin"\r\nContent-Type: image/png\r\n\r\n`,
    ),
  ]);
  const slice = Buffer.alloc(64 * 1024, 3);
  for (let sent = 0; sent < 2048 * MB; sent += slice.length) yield slice;
}

/** A PNG chunk: length, type, data, CRC of type and data. */
function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const typed = Buffer.concat([Buffer.from(type, "latin1"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typed));
  return Buffer.concat([length, typed, crc]);
}

/**
 * A valid grayscale PNG of `width`×`height` black pixels: a few kilobytes that decode to width×height bytes.
 * With `rows` below `height`, the image data stops early: a header claiming a huge image over a tiny file.
 */
function blackPng(width: number, height: number, rows = height): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.writeUInt8(8, 8); // bit depth
  header.writeUInt8(0, 9); // grayscale
  const raw = Buffer.alloc(rows * (width + 1)); // each row: filter byte 0, then zero pixels
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk("IHDR", header),
    pngChunk("IDAT", deflateSync(raw, { level: 9 })),
    pngChunk("IEND", Buffer.alloc(0)),
  ]);
}

async function waitUntil(condition: () => Promise<boolean>, timeoutMs = 3_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return true;
    await new Promise((resolveWait) => setTimeout(resolveWait, 20));
  }
  return condition();
}

describe("upload limits", () => {
  let app: TestServer;
  let user: Account;
  let tmpDir: string;
  const tempFiles = () => readdir(tmpDir).catch(() => [] as string[]);
  const measured: string[] = [];

  beforeAll(async () => {
    app = await startTestServer({ UPLOADS_PER_HOUR: "1000" });
    tmpDir = join(app.config.dataDir, "tmp", "uploads");
    user = await register(app, "contractor");
    // Warm up the upload path (modules loaded, first database round trips) so the timings measure refusals.
    await uploadFile(app, user.accessToken, "job_attachment", samplePdf, "warm-up.pdf");
  });
  afterAll(async () => {
    console.info(`upload refusal times: ${measured.join(", ")}`);
    await app.close();
  });

  describe("oversized uploads are answered 413 at once and leave nothing behind", () => {
    for (const size of [6 * MB, 30 * MB]) {
      for (const purpose of ["first", "last", "query"] as const) {
        it(`${size / MB} MB avatar, purpose ${purpose === "query" ? "in the query" : `${purpose} in the form`}`, async () => {
          const body = oversizedForm(size, purpose === "query" ? "none" : purpose);
          const answer = await rawUpload(app, {
            token: user.accessToken,
            body,
            query: purpose === "query" ? "?purpose=avatar" : "",
          });
          if (answer === "aborted") throw new Error("unexpected abort");
          measured.push(`${size / MB} MB/${purpose} ${Math.round(answer.ms)} ms`);
          expect(answer.status).toBe(413);
          expect(answer.body.code).toBe("file.too_large");
          // Typically 0.1 to 0.8 s here; the bound leaves room for a loaded machine, the bug was 300 s.
          expect(answer.ms).toBeLessThan(3_000);
          if (purpose === "query" || size > 25 * MB) {
            // Content-Length already says too much for the purpose, or for any purpose: refused before the
            // body is read, and the connection is not kept for the rest of it.
            expect(answer.headers.connection).toBe("close");
          }
          if (size > 25 * MB) expect(answer.sent).toBeLessThan(size / 2);
          expect(await tempFiles()).toEqual([]);
        });
      }
    }

    it("a chunked upload without Content-Length that never ends: 413 after the limit, then the connection closes", async () => {
      for (const [purpose, limit] of [
        ["avatar", 5 * MB],
        [undefined, 25 * MB],
      ] as const) {
        const answer = await rawUpload(app, { token: user.accessToken, body: endlessForm(purpose) });
        if (answer === "aborted") throw new Error("unexpected abort");
        measured.push(`endless/${purpose ?? "no purpose"} ${Math.round(answer.ms)} ms`);
        expect(answer.status).toBe(413);
        expect(answer.body.code).toBe("file.too_large");
        expect(answer.ms).toBeLessThan(5_000);
        // The limit, the bounded drain and what sits in socket buffers: nowhere near the 2 GB on offer.
        expect(answer.sent).toBeLessThan(limit + 16 * MB);
        expect(await tempFiles()).toEqual([]);
      }
    });

    it("an endless upload without a valid token: 401 at once, the body is not read, the connection closes", async () => {
      for (const token of [undefined, "not-a-token", `${user.accessToken.slice(0, -4)}AAAA`]) {
        const answer = await rawUpload(app, { token, body: endlessForm("avatar") });
        if (answer === "aborted") throw new Error("unexpected abort");
        expect(answer.status).toBe(401);
        expect(answer.ms).toBeLessThan(5_000);
        // The bounded drain and socket buffers, not the upload limit: the refusal came before any parsing.
        expect(answer.sent).toBeLessThan(16 * MB);
        expect(await tempFiles()).toEqual([]);
      }
      // An attacker does not stop at the answer: it keeps sending, and the server must hang up on it rather
      // than read and discard an endless body until the upload deadline.
      const { hostname, port } = new URL(app.url);
      const socket = connect(Number(port), hostname);
      let written = 0;
      let answer = "";
      socket.on("data", (chunk: Buffer) => {
        answer += chunk.toString("latin1");
      });
      const closed = new Promise<void>((resolveClosed) => {
        socket.on("close", () => resolveClosed());
        socket.on("error", () => undefined);
      });
      socket.write(
        `POST /api/v1/files HTTP/1.1\r\nHost: ${hostname}\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\nTransfer-Encoding: chunked\r\n\r\n`,
      );
      const slice = Buffer.alloc(64 * 1024, 7);
      const chunk = Buffer.concat([
        Buffer.from(`${slice.length.toString(16)}\r\n`),
        slice,
        Buffer.from("\r\n"),
      ]);
      let open = true;
      void closed.then(() => {
        open = false;
      });
      while (open && written < 256 * MB) {
        written += chunk.length;
        if (!socket.write(chunk))
          await Promise.race([new Promise((drained) => socket.once("drain", drained)), closed]);
      }
      socket.destroy();
      expect(answer).toMatch(/^HTTP\/1\.1 401 /);
      expect(answer.toLowerCase()).toContain("connection: close");
      expect(written).toBeLessThan(32 * MB);
    });

    it("a client that disconnects mid-upload releases its temporary file and connection", async () => {
      const before = await new Promise<number>((resolveCount) =>
        app.server.http.getConnections((_error, count) => resolveCount(count)),
      );
      for (const [purpose, abortAfter] of [
        ["chat_attachment", 2 * MB],
        ["job_attachment", 64 * 1024],
      ] as const) {
        const body = multipart([
          { name: "purpose", data: Buffer.from(purpose) },
          { name: "file", fileParams: 'filename="half.pdf"', data: Buffer.alloc(8 * MB, 1) },
        ]);
        expect(await rawUpload(app, { token: user.accessToken, body, abortAfter })).toBe("aborted");
        expect(await waitUntil(async () => (await tempFiles()).length === 0)).toBe(true);
        // And it stays gone: a file still opening when the client left must not appear after its removal.
        await new Promise((settle) => setTimeout(settle, 300));
        expect(await tempFiles()).toEqual([]);
      }
      const connections = () =>
        new Promise<number>((resolveCount) =>
          app.server.http.getConnections((_error, count) => resolveCount(count)),
        );
      expect(await waitUntil(async () => (await connections()) <= before)).toBe(true);
      const after = await uploadFile(app, user.accessToken, "job_attachment", samplePdf, "a.pdf");
      expect(after.status).toBe(201);
    });

    it("a file within the largest limit but over its purpose's, the purpose last, is still refused", async () => {
      const answer = await rawUpload(app, {
        token: user.accessToken,
        body: oversizedForm(5 * MB + 1, "last"),
      });
      if (answer === "aborted") throw new Error("unexpected abort");
      expect(answer.status).toBe(413);
      expect(answer.body.detail).toMatch(/avatar file may be at most 5 MB/);
      expect(await tempFiles()).toEqual([]);
    });
  });

  describe("malformed forms and file names", () => {
    it("multipart/form-data without a boundary, or with an empty one, answers 400", async () => {
      for (const contentType of [
        "multipart/form-data",
        "multipart/form-data; boundary=",
        "multipart/form-data; charset=utf-8",
      ]) {
        const answer = await rawUpload(app, {
          token: user.accessToken,
          body: Buffer.from("purpose=avatar"),
          contentType,
        });
        if (answer === "aborted") throw new Error("unexpected abort");
        expect(answer.status, contentType).toBe(400);
        expect(answer.headers["content-type"]).toContain("application/problem+json");
        expect(answer.body.code).toBe("file.malformed_multipart");
      }
      const truncated = multipart([
        { name: "purpose", data: Buffer.from("job_attachment") },
        { name: "file", fileParams: 'filename="a.pdf"', data: samplePdf },
      ]).subarray(0, -20);
      const answer = await rawUpload(app, { token: user.accessToken, body: truncated });
      if (answer === "aborted") throw new Error("unexpected abort");
      expect(answer.status).toBe(400);
      expect(answer.body.code).toBe("file.malformed_multipart");
      expect(await tempFiles()).toEqual([]);
    });

    it("keeps UTF-8 file names intact, sent plain or as RFC 5987 filename*", async () => {
      const viaFormData = await uploadFile(app, user.accessToken, "job_attachment", samplePdf, "Résumé.pdf");
      expect(viaFormData.status).toBe(201);
      expect(viaFormData.body.originalName).toBe("Résumé.pdf");
      const download = await fetch(viaFormData.body.url);
      expect(download.headers.get("content-disposition")).toContain("filename*=UTF-8''R%C3%A9sum%C3%A9.pdf");
      await download.arrayBuffer();

      const cases: [string, string][] = [
        [
          Buffer.from('filename="Lebenslauf Müller – 履歴書 📄.pdf"', "utf8").toString("latin1"),
          "Lebenslauf Müller – 履歴書 📄.pdf",
        ],
        [`filename="Resume.pdf"; filename*=UTF-8''R%C3%A9sum%C3%A9%20%E2%9C%93.pdf`, "Résumé ✓.pdf"],
        [`filename*=utf-8''%E5%B1%A5%E6%AD%B4%E6%9B%B8.pdf`, "履歴書.pdf"],
        [`filename*=iso-8859-1''Gr%FC%DFe.pdf`, "Grüße.pdf"],
      ];
      for (const [fileParams, expected] of cases) {
        const body = multipart([
          { name: "purpose", data: Buffer.from("job_attachment") },
          { name: "file", fileParams, type: "application/pdf", data: samplePdf },
        ]);
        const answer = await rawUpload(app, { token: user.accessToken, body });
        if (answer === "aborted") throw new Error("unexpected abort");
        expect(answer.status, fileParams).toBe(201);
        expect(answer.body.originalName, fileParams).toBe(expected);
      }
    });

    it("strips NUL and control characters from file names, and never answers 500 for them", async () => {
      const cases: [string, string | null][] = [
        [`filename*=UTF-8''%00%01evil%0D%0A%1B%5B31m.pdf`, "evil[31m.pdf"],
        [`filename*=UTF-8''%00%00%00`, null],
        [`filename*=UTF-8''..%2F..%2Fetc%2Fpasswd%00.pdf`, "passwd.pdf"],
        // An encoded lone surrogate is invalid UTF-8: replacement characters, never a string PostgreSQL refuses.
        [`filename*=UTF-8''%ED%A0%80x.pdf`, "\ufffd\ufffd\ufffdx.pdf"],
        [`filename*=UTF-8''%E2%80%AEfdp.exe`, "fdp.exe"],
        [`filename*=UTF-8''%C0%AE%C0%AE.pdf`, ".pdf"],
      ];
      for (const [fileParams, expected] of cases) {
        const body = multipart([
          { name: "purpose", data: Buffer.from("job_attachment") },
          { name: "file", fileParams, type: "application/pdf", data: samplePdf },
        ]);
        const answer = await rawUpload(app, { token: user.accessToken, body });
        if (answer === "aborted") throw new Error("unexpected abort");
        expect(answer.status, fileParams).toBe(201);
        const name: string | null = answer.body.originalName;
        if (expected === ".pdf") expect(name, fileParams).toMatch(/\.pdf$/);
        else expect(name, fileParams).toBe(expected);
        expect(name ?? "", fileParams).not.toMatch(/[\p{Cc}\p{Cf}\p{Cs}]/u);
      }
      // Raw NUL or control bytes inside the part's header make the header itself malformed.
      for (const fileParams of ['filename="a\u0000b.pdf"', 'filename="a\u0001b\u0002c\u007f.pdf"']) {
        const raw = multipart([
          { name: "purpose", data: Buffer.from("job_attachment") },
          { name: "file", fileParams, data: samplePdf },
        ]);
        const refused = await rawUpload(app, { token: user.accessToken, body: raw });
        if (refused === "aborted") throw new Error("unexpected abort");
        expect(refused.status, JSON.stringify(fileParams)).toBe(400);
        expect(refused.body.code).toBe("file.malformed_multipart");
      }
      expect(await tempFiles()).toEqual([]);
      const nulPurpose = multipart([
        { name: "purpose", data: Buffer.from("avatar\u0000") },
        { name: "file", fileParams: 'filename="a.png"', data: await pngImage(8, 8) },
      ]);
      const answer = await rawUpload(app, { token: user.accessToken, body: nulPurpose });
      if (answer === "aborted") throw new Error("unexpected abort");
      expect(answer.status).toBe(400);
      expect(answer.body.errors[0].path).toBe("purpose");
    });
  });

  describe("image work", () => {
    it("refuses decompression bombs from their header, quickly, before decoding", async () => {
      const bombs: [string, Buffer][] = [
        ["7000×7000 of black (49 MP)", blackPng(7000, 7000)],
        ["100000×100000 claimed, one row of data", blackPng(100_000, 100_000, 1)],
        ["40001×1000 (just over 40 MP)", blackPng(40_001, 1_000)],
      ];
      for (const [label, png] of bombs) {
        expect(png.length, label).toBeLessThan(200 * 1024);
        const started = performance.now();
        const answer = await uploadFile(app, user.accessToken, "portfolio", png, "bomb.png", "image/png");
        const ms = performance.now() - started;
        measured.push(`${label} ${Math.round(ms)} ms`);
        expect(answer.status, label).toBe(422);
        expect(answer.body.code).toBe("file.too_many_pixels");
        expect(ms, label).toBeLessThan(1_500);
      }
      const atTheLimit = await uploadFile(app, user.accessToken, "avatar", blackPng(8000, 5000), "ok.png");
      expect(atTheLimit.status).toBe(201);
      expect([atTheLimit.body.width, atTheLimit.body.height]).toEqual([1024, 640]);
      expect(await tempFiles()).toEqual([]);
    });

    it("a service method passed on as a callback still works", async () => {
      const uploaded = await uploadFile(app, user.accessToken, "job_attachment", samplePdf, "mine.pdf");
      const { get } = app.server.files;
      const reader = { id: user.id, role: "contractor" as const, sessionId: "unused" };
      await expect(get(reader, uploaded.body.id)).resolves.toMatchObject({ id: uploaded.body.id });
    });
  });
});

describe("upload quotas and image concurrency", () => {
  let app: TestServer;
  let user: Account;
  let other: Account;

  beforeAll(async () => {
    app = await startTestServer({ UPLOADS_PER_HOUR: "5", UPLOAD_IMAGE_CONCURRENCY: "2" });
    user = await register(app, "contractor");
    other = await register(app, "contractor");
  });
  afterAll(async () => {
    await app.close();
  });

  it("a parallel burst over the hourly limit: exactly the limit succeeds, the rest get 429 with the headers", async () => {
    const answers = await Promise.all(
      Array.from({ length: 14 }, (_, index) =>
        uploadFile(app, user.accessToken, "job_attachment", samplePdf, `burst-${index}.pdf`),
      ),
    );
    const statuses = answers.map((answer) => answer.status);
    expect(statuses.filter((status) => status === 201)).toHaveLength(5);
    expect(statuses.filter((status) => status === 429)).toHaveLength(9);
    const refused = answers.find((answer) => answer.status === 429);
    expect(refused?.body.code).toBe("rate_limited");
    expect(Number(refused?.headers.get("retry-after"))).toBeGreaterThan(3_000);
    expect(refused?.headers.get("ratelimit-limit")).toBe("5");
    expect(refused?.headers.get("ratelimit-remaining")).toBe("0");
    // A refused large upload is answered without reading its body.
    const big = await rawUpload(app, { token: user.accessToken, body: oversizedForm(20 * MB, "first") });
    if (big === "aborted") throw new Error("unexpected abort");
    expect(big.status).toBe(429);
    expect(big.sent).toBeLessThan(10 * MB);
    // The quota is the user's own.
    const theirs = await uploadFile(app, other.accessToken, "job_attachment", samplePdf, "theirs.pdf");
    expect(theirs.status).toBe(201);
  });

  it("a burst of large but legal images is processed at most two at a time, the others waiting", async () => {
    const images = await Promise.all(
      Array.from({ length: 4 }, (_, index) =>
        sharp({
          create: { width: 4000, height: 3000, channels: 3, background: { r: 40 * index, g: 90, b: 160 } },
        })
          .png()
          .toBuffer(),
      ),
    );
    const rssBefore = process.memoryUsage().rss;
    const answers = await Promise.all(
      images.map((image, index) =>
        uploadFile(app, other.accessToken, "portfolio", image, `site-${index}.png`),
      ),
    );
    const rssAfter = process.memoryUsage().rss;
    console.info(`4 × 12 MP burst: rss ${Math.round((rssAfter - rssBefore) / MB)} MB higher`);
    expect(answers.map((answer) => answer.status)).toEqual([201, 201, 201, 201]);
    const stats = app.server.files.imageWork();
    expect(stats.peak).toBe(2);
    expect(stats.peakWaiting).toBeGreaterThanOrEqual(1);
    expect(stats.active).toBe(0);
    expect(stats.waiting).toBe(0);
  });

  it("an image whose client left while it waited for a turn is never processed nor stored", {
    timeout: 120_000,
  }, async () => {
    const [busy, leaving] = [await register(app, "contractor"), await register(app, "contractor")];
    const large = (shade: number, width = 4000, height = 3000) =>
      sharp({ create: { width, height, channels: 3, background: { r: shade, g: 90, b: 160 } } })
        .png()
        .toBuffer();
    // Everything is encoded before the first upload, so the busy ones are still at work when the third arrives.
    const slow = [await large(10, 6000, 4500), await large(200, 6000, 4500)];
    const body = multipart([
      { name: "purpose", data: Buffer.from("portfolio") },
      { name: "file", fileParams: 'filename="left.png"', type: "image/png", data: await large(120) },
    ]);
    const occupying = Promise.all(
      slow.map((image, index) => uploadFile(app, busy.accessToken, "portfolio", image, `busy-${index}.png`)),
    );
    expect(await waitUntil(async () => app.server.files.imageWork().active === 2, 30_000)).toBe(true);
    const { hostname, port } = new URL(app.url);
    const upload = request({
      host: hostname,
      port,
      path: "/api/v1/files",
      method: "POST",
      headers: {
        authorization: `Bearer ${leaving.accessToken}`,
        "content-type": `multipart/form-data; boundary=${boundary}`,
        "content-length": String(body.length),
      },
    });
    upload.on("error", () => undefined);
    upload.end(body);
    // The whole upload arrived and waits for a turn; then the phone loses its connection.
    const queued = await waitUntil(async () => app.server.files.imageWork().waiting === 1, 30_000);
    upload.destroy();
    expect(queued).toBe(true);
    expect((await occupying).map((answer) => answer.status)).toEqual([201, 201]);
    expect(await waitUntil(async () => app.server.files.imageWork().waiting === 0, 30_000)).toBe(true);
    expect(await waitUntil(async () => app.server.files.imageWork().active === 0, 30_000)).toBe(true);
    const client = new pg.Client({ connectionString: app.database.url });
    await client.connect();
    try {
      const owned = async (owner: string) =>
        Number((await client.query("select count(*) from files where owner_id = $1", [owner])).rows[0].count);
      expect(await owned(busy.id)).toBe(2);
      expect(await owned(leaving.id)).toBe(0);
    } finally {
      await client.end();
    }
    const tmpDir = join(app.config.dataDir, "tmp", "uploads");
    expect(await waitUntil(async () => (await readdir(tmpDir).catch(() => [])).length === 0)).toBe(true);
  });
});
