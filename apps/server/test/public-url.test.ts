import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger } from "../src/logger.js";
import { startTestServer } from "./server.js";

/** Starts a server with `env`, returns what it logged while starting, and stops it. */
async function startupLog(env: Record<string, string>): Promise<{ msg: string; level: number }[]> {
  const lines: { msg: string; level: number }[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split("\n").filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  const app = await startTestServer(env, {
    logger: createLogger({ logLevel: "info", logFormat: "json" }, sink),
  });
  await app.close();
  return lines;
}

describe("the PUBLIC_URL hint at start", () => {
  it("tells the developer what to set for an emulator or a phone when listening on all interfaces without PUBLIC_URL", async () => {
    const lines = await startupLog({ HOST: "0.0.0.0" });
    const hint = lines.find((line) => line.msg.includes("PUBLIC_URL is unset"));
    expect(hint?.msg).toMatch(/PUBLIC_URL=http:\/\/10\.0\.2\.2:\d+ for the Android emulator/);
    expect(hint?.msg).toMatch(/file URLs start with http:\/\/localhost:\d+/);
    expect(hint?.level).toBe(40);
  });

  it.each([
    ["PUBLIC_URL is set", { HOST: "0.0.0.0", PUBLIC_URL: "http://192.168.1.20:3000" }],
    ["the server listens on loopback only", { HOST: "127.0.0.1" }],
  ])("stays quiet when %s", async (_name, env) => {
    const lines = await startupLog(env);
    expect(lines.some((line) => line.msg.includes("PUBLIC_URL"))).toBe(false);
  });
});
