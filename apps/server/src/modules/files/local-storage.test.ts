import { randomBytes } from "node:crypto";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createLocalStorage } from "./local-storage.js";

const key = "private/0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b.pdf";

/** A body that gives `bytes` bytes in 64 kB chunks, then fails (at once when `bytes` is 0). */
function failingBody(bytes: number, failure: Error): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= bytes) {
        this.destroy(failure);
        return;
      }
      const size = Math.min(65_536, bytes - sent);
      sent += size;
      this.push(randomBytes(size));
    },
  });
}

async function filesUnder(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => entry.name);
}

describe("local storage writes", () => {
  let dir: string;
  let storage: ReturnType<typeof createLocalStorage>;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "jobsphere-local-storage-"));
    storage = createLocalStorage({ dir, baseUrl: () => "http://localhost", signingKey: randomBytes(32) });
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("leaves nothing behind when bodies fail, 30 at once on one key, and keeps the object stored there", async () => {
    const stored = randomBytes(300_000);
    await storage.put(key, Readable.from([stored]), { contentType: "application/pdf", size: stored.length });
    const failures = Array.from({ length: 30 }, (_, index) => {
      const failure = new Error(`body ${index} broke`);
      const body = failingBody(index % 3 === 0 ? 0 : index * 40_000, failure);
      return expect(storage.put(key, body, { contentType: "application/pdf", size: 2_000_000 })).rejects.toBe(
        failure,
      );
    });
    await Promise.all(failures);
    // A file still being opened when its write failed would appear after the failure was answered.
    await new Promise((settle) => setTimeout(settle, 300));
    expect(await filesUnder(dir)).toEqual([key.split("/")[1]]);
    expect((await readFile(join(dir, key))).equals(stored)).toBe(true);
  });

  it("stores each of 20 parallel writes of one key whole, whichever lands last", async () => {
    const bodies = Array.from({ length: 20 }, (_, index) => Buffer.alloc(200_000 + index * 1_000, index));
    await Promise.all(
      bodies.map((body) =>
        storage.put(key, Readable.from([body.subarray(0, 100_000), body.subarray(100_000)]), {
          contentType: "application/pdf",
          size: body.length,
        }),
      ),
    );
    const landed = await readFile(join(dir, key));
    expect(bodies.some((body) => body.equals(landed))).toBe(true);
    expect(await filesUnder(dir)).toEqual([key.split("/")[1]]);
  });
});
