import { describe, expect, it } from "vitest";
import { createTestDatabase } from "./database.js";
import { startTestServer } from "./server.js";

describe("several instances", () => {
  it("start together on an empty database, every time", { timeout: 120_000 }, async () => {
    for (let round = 0; round < 3; round++) {
      const database = await createTestDatabase({ empty: true });
      try {
        const started = await Promise.allSettled(
          Array.from({ length: 3 }, () => startTestServer({}, { database })),
        );
        const failures = started.flatMap((result) =>
          result.status === "rejected" ? [String(result.reason)] : [],
        );
        for (const result of started) if (result.status === "fulfilled") await result.value.close();
        expect(failures).toEqual([]);
      } finally {
        await database.drop();
      }
    }
  });
});
