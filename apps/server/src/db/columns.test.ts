import { validate, version } from "uuid";
import { describe, expect, it } from "vitest";
import { newId } from "./columns.js";

describe("newId", () => {
  it("makes distinct version 7 UUIDs that sort in the order they were made, many to a millisecond", () => {
    const ids = Array.from({ length: 20_000 }, () => newId());
    expect(ids.every((id) => validate(id) && version(id) === 7)).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    // Lists ordered by id (cursor pages) rely on it: later means greater, within one millisecond too.
    expect([...ids].sort()).toEqual(ids);
    const perMillisecond = new Map<string, number>();
    for (const id of ids) perMillisecond.set(id.slice(0, 13), (perMillisecond.get(id.slice(0, 13)) ?? 0) + 1);
    expect(Math.max(...perMillisecond.values())).toBeGreaterThan(1);
  });

  it("gives every id 48 fresh random bits, so ids are not guessable", () => {
    const ids = Array.from({ length: 2_000 }, () => newId());
    // The last 12 hex digits are random bytes: no two alike, and no run of them counting up.
    const tails = ids.map((id) => id.slice(-12));
    expect(new Set(tails).size).toBe(tails.length);
    const consecutive = tails.filter(
      (tail, index) => index > 0 && BigInt(`0x${tail}`) === BigInt(`0x${tails[index - 1]}`) + 1n,
    );
    expect(consecutive.length).toBeLessThan(3);
  });
});
