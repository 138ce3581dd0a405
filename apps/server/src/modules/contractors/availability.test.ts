import fc from "fast-check";
import { Temporal } from "temporal-polyfill";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  type Availability,
  availabilityBody,
  availabilitySchema,
  availableRanges,
  isAvailableAt,
  summariseAvailability,
  toMinutes,
  validTimeZone,
  zonedTimeToUtc,
} from "./availability.js";

const at = (iso: string) => new Date(iso);

/** Issues of a rejected body as "path: message", the path dotted as the API reports it. */
function issues(body: unknown): string[] {
  const result = availabilityBody.safeParse(body);
  if (result.success) return [];
  return result.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
}

function issuePaths(body: unknown): string[] {
  const result = availabilityBody.safeParse(body);
  return result.success ? [] : result.error.issues.map((issue) => issue.path.join("."));
}

const weekdays = (start: string, end: string) => [1, 2, 3, 4, 5].map((day) => ({ day, start, end }));

const iso = (ranges: { start: Date; end: Date }[]) =>
  ranges.map((range) => [range.start.toISOString(), range.end.toISOString()]);

describe("availabilityBody", () => {
  const valid = {
    timezone: "Europe/London",
    weekly: [
      { day: 1, start: "09:00", end: "12:00" },
      { day: 1, start: "12:00", end: "14:00" },
      { day: 5, start: "18:00", end: "24:00" },
      { day: 6, start: "00:00", end: "02:00" },
    ],
    exceptions: [
      { date: "2026-12-25", available: false },
      { date: "2026-12-27", available: true, start: "10:00", end: "12:00" },
      { date: "2026-12-27", available: true, start: "12:00", end: "13:00" },
      { date: "2028-02-29", available: true, start: "09:00", end: "24:00" },
    ],
  };

  it("accepts touching ranges, 24:00 ends, day offs and special hours", () => {
    expect(availabilityBody.safeParse(valid).success).toBe(true);
    expect(availabilityBody.safeParse({ timezone: "UTC", weekly: [] }).success).toBe(true);
  });

  it("accepts IANA zone names and rejects anything else", () => {
    for (const timezone of ["Europe/London", "America/New_York", "UTC", "Asia/Kolkata"]) {
      expect(availabilityBody.safeParse({ timezone, weekly: [] }).success, timezone).toBe(true);
    }
    for (const timezone of ["Mars/Olympus", "", "+01:00", "Europe/London ", "GMT+1:00"]) {
      expect(issues({ timezone, weekly: [] }), timezone).toEqual([
        "timezone: must be an IANA time zone name, e.g. Europe/London",
      ]);
    }
    expect(issuePaths({ timezone: 1, weekly: [] })).toEqual(["timezone"]);
    expect(validTimeZone("Europe/London")).toBe(true);
    expect(validTimeZone("Mars/Olympus")).toBe(false);
    expect(validTimeZone("x".repeat(200))).toBe(false);
  });

  it("requires a day from 0 to 6", () => {
    for (const day of [-1, 7, 1.5, "1"]) {
      expect(
        issues({ timezone: "UTC", weekly: [{ day, start: "09:00", end: "10:00" }] }),
        String(day),
      ).toEqual(["weekly.0.day: must be a whole number from 0 (Sunday) to 6 (Saturday)"]);
    }
  });

  it("requires HH:MM times, with 24:00 only as an end", () => {
    expect(issues({ timezone: "UTC", weekly: [{ day: 1, start: "9:00", end: "10:00" }] })).toEqual([
      "weekly.0.start: must be a time HH:MM from 00:00 to 23:59",
    ]);
    expect(issues({ timezone: "UTC", weekly: [{ day: 1, start: "24:00", end: "24:00" }] })).toEqual([
      "weekly.0.start: must be a time HH:MM from 00:00 to 23:59",
    ]);
    expect(issues({ timezone: "UTC", weekly: [{ day: 1, start: "09:00", end: "24:01" }] })).toEqual([
      "weekly.0.end: must be a time HH:MM from 00:00 to 24:00",
    ]);
    expect(issues({ timezone: "UTC", weekly: [{ day: 1, start: "09:60", end: "10:00" }] })).toEqual([
      "weekly.0.start: must be a time HH:MM from 00:00 to 23:59",
    ]);
    expect(issuePaths({ timezone: "UTC", weekly: [{ day: 1, start: "09:00" }] })).toEqual(["weekly.0.end"]);
  });

  it("requires end after start", () => {
    const weekly = [
      { day: 1, start: "09:00", end: "10:00" },
      { day: 2, start: "09:00", end: "10:00" },
      { day: 3, start: "17:00", end: "09:00" },
      { day: 4, start: "09:00", end: "09:00" },
    ];
    expect(issues({ timezone: "UTC", weekly })).toEqual([
      "weekly.2.end: must be after start",
      "weekly.3.end: must be after start",
    ]);
  });

  it("rejects overlapping ranges on one day, reporting the later entry", () => {
    const weekly = [
      { day: 1, start: "09:00", end: "12:00" },
      { day: 1, start: "12:00", end: "14:00" },
      { day: 2, start: "10:00", end: "11:00" },
      { day: 1, start: "11:00", end: "13:00" },
      { day: 0, start: "08:00", end: "20:00" },
      { day: 0, start: "08:00", end: "20:00" },
    ];
    expect(issues({ timezone: "UTC", weekly })).toEqual([
      "weekly.3: overlaps 09:00–12:00 on Monday",
      "weekly.5: overlaps 08:00–20:00 on Sunday",
    ]);
  });

  it("does not report an invalid range as an overlap too", () => {
    const weekly = [
      { day: 1, start: "09:00", end: "12:00" },
      { day: 1, start: "11:00", end: "10:00" },
    ];
    expect(issues({ timezone: "UTC", weekly })).toEqual(["weekly.1.end: must be after start"]);
  });

  it("limits the number of entries", () => {
    const weekly = Array.from({ length: 51 }, (_, i) => ({
      day: i % 7,
      start: `${String(Math.floor(i / 7)).padStart(2, "0")}:00`,
      end: `${String(Math.floor(i / 7)).padStart(2, "0")}:30`,
    }));
    expect(issues({ timezone: "UTC", weekly })).toEqual(["weekly: at most 50 ranges"]);
    expect(availabilityBody.safeParse({ timezone: "UTC", weekly: weekly.slice(0, 50) }).success).toBe(true);

    const start = Date.UTC(2026, 0, 1);
    const exceptions = Array.from({ length: 367 }, (_, i) => ({
      date: new Date(start + i * 86_400_000).toISOString().slice(0, 10),
      available: false,
    }));
    expect(issues({ timezone: "UTC", weekly: [], exceptions })).toEqual([
      "exceptions: at most 366 exceptions",
    ]);
    expect(
      availabilityBody.safeParse({ timezone: "UTC", weekly: [], exceptions: exceptions.slice(0, 366) })
        .success,
    ).toBe(true);
  });

  it("rejects unknown fields at every level", () => {
    expect(issuePaths({ timezone: "UTC", weekly: [], note: "x" })).toEqual([""]);
    expect(issuePaths({ timezone: "UTC", weekly: [{ day: 1, start: "09:00", end: "10:00", x: 1 }] })).toEqual(
      ["weekly.0"],
    );
    expect(
      issuePaths({
        timezone: "UTC",
        weekly: [],
        exceptions: [{ date: "2026-12-25", available: false, x: 1 }],
      }),
    ).toEqual(["exceptions.0"]);
    expect(issuePaths({ weekly: [] })).toEqual(["timezone"]);
    expect(issuePaths({ timezone: "UTC" })).toEqual(["weekly"]);
  });

  it("requires exception dates to be calendar dates", () => {
    for (const date of [
      "2026-02-29",
      "2026-13-01",
      "2026-04-31",
      "2026-2-01",
      "26-02-01",
      "2026-02-01T00:00",
    ]) {
      expect(issues({ timezone: "UTC", weekly: [], exceptions: [{ date, available: false }] }), date).toEqual(
        ["exceptions.0.date: must be a calendar date YYYY-MM-DD"],
      );
    }
    for (const date of ["2028-02-29", "2000-02-29", "2026-12-31"]) {
      const body = { timezone: "UTC", weekly: [], exceptions: [{ date, available: false }] };
      expect(availabilityBody.safeParse(body).success, date).toBe(true);
    }
    expect(
      issues({ timezone: "UTC", weekly: [], exceptions: [{ date: "2100-02-29", available: false }] }),
    ).toEqual(["exceptions.0.date: must be a calendar date YYYY-MM-DD"]);
  });

  it("forbids hours on a day off and requires them otherwise", () => {
    const exceptions = [
      { date: "2026-12-24", available: false, start: "09:00", end: "12:00" },
      { date: "2026-12-26", available: true },
      { date: "2026-12-27", available: true, start: "09:00" },
      { date: "2026-12-28", available: true, start: "12:00", end: "09:00" },
      { date: "2026-12-29", available: "yes" },
    ];
    expect(issues({ timezone: "UTC", weekly: [], exceptions })).toEqual([
      "exceptions.0.start: must be absent when available is false",
      "exceptions.0.end: must be absent when available is false",
      "exceptions.1.start: is required when available is true",
      "exceptions.1.end: is required when available is true",
      "exceptions.2.end: is required when available is true",
      "exceptions.3.end: must be after start",
      "exceptions.4.available: must be true or false",
    ]);
  });

  it("rejects overlapping special hours on one date", () => {
    const exceptions = [
      { date: "2026-12-24", available: true, start: "10:00", end: "12:00" },
      { date: "2026-12-24", available: true, start: "12:00", end: "14:00" },
      { date: "2026-12-31", available: true, start: "11:00", end: "13:00" },
      { date: "2026-12-24", available: true, start: "11:00", end: "13:00" },
    ];
    expect(issues({ timezone: "UTC", weekly: [], exceptions })).toEqual([
      "exceptions.3: overlaps 10:00–12:00 on 2026-12-24",
    ]);
  });

  it("does not combine a day off with other exceptions of its date", () => {
    const dayOffFirst = [
      { date: "2026-12-25", available: false },
      { date: "2026-12-25", available: true, start: "10:00", end: "12:00" },
    ];
    expect(issues({ timezone: "UTC", weekly: [], exceptions: dayOffFirst })).toEqual([
      "exceptions.1: 2026-12-25 is already a day off",
    ]);
    const dayOffLast = [
      { date: "2026-12-25", available: true, start: "10:00", end: "12:00" },
      { date: "2026-12-25", available: false },
    ];
    expect(issues({ timezone: "UTC", weekly: [], exceptions: dayOffLast })).toEqual([
      "exceptions.1: a day off cannot be combined with other exceptions for 2026-12-25",
    ]);
    const twice = [
      { date: "2026-12-25", available: false },
      { date: "2026-12-25", available: false },
    ];
    expect(issuePaths({ timezone: "UTC", weekly: [], exceptions: twice })).toEqual(["exceptions.1"]);
  });

  it("has a response schema registered as Availability that accepts what the body accepts", () => {
    expect(z.globalRegistry.get(availabilitySchema)?.id).toBe("Availability");
    const body = availabilityBody.parse(valid);
    expect(availabilitySchema.parse(body)).toEqual(body);
  });
});

describe("isAvailableAt", () => {
  const london: Availability = { timezone: "Europe/London", weekly: weekdays("09:00", "17:00") };

  it("follows the weekly hours on ordinary weekdays", () => {
    // 2026-01-05 is a Monday; London is on GMT in January.
    expect(isAvailableAt(london, at("2026-01-05T09:00:00Z"))).toBe(true);
    expect(isAvailableAt(london, at("2026-01-05T08:59:59.999Z"))).toBe(false);
    expect(isAvailableAt(london, at("2026-01-05T16:59:59Z"))).toBe(true);
    expect(isAvailableAt(london, at("2026-01-05T17:00:00Z"))).toBe(false);
    expect(isAvailableAt(london, at("2026-01-09T12:00:00Z"))).toBe(true);
    // In July London is on BST, so 09:00 local is 08:00Z.
    expect(isAvailableAt(london, at("2026-07-06T08:00:00Z"))).toBe(true);
    expect(isAvailableAt(london, at("2026-07-06T07:59:00Z"))).toBe(false);
    expect(isAvailableAt(london, at("2026-07-06T16:00:00Z"))).toBe(false);
  });

  it("has nothing on days without ranges, and counts weekends by local day", () => {
    expect(isAvailableAt(london, at("2026-01-10T12:00:00Z"))).toBe(false);
    expect(isAvailableAt(london, at("2026-01-11T12:00:00Z"))).toBe(false);

    const saturdays: Availability = {
      timezone: "America/New_York",
      weekly: [{ day: 6, start: "10:00", end: "14:00" }],
    };
    // Saturday 2026-01-10, EST (UTC-5).
    expect(isAvailableAt(saturdays, at("2026-01-10T15:00:00Z"))).toBe(true);
    expect(isAvailableAt(saturdays, at("2026-01-10T14:59:00Z"))).toBe(false);
    expect(isAvailableAt(saturdays, at("2026-01-10T19:00:00Z"))).toBe(false);
    // Sunday 01:00Z is still Saturday 20:00 in New York, outside the range; Saturday 18:30Z is inside.
    expect(isAvailableAt(saturdays, at("2026-01-10T18:30:00Z"))).toBe(true);
    expect(isAvailableAt(saturdays, at("2026-01-11T01:00:00Z"))).toBe(false);
  });

  it("uses the local weekday when it differs from the UTC one", () => {
    const auckland: Availability = {
      timezone: "Pacific/Auckland",
      weekly: [{ day: 1, start: "09:00", end: "17:00" }],
    };
    // Monday 09:00 NZDT (UTC+13) is Sunday 20:00Z.
    expect(isAvailableAt(auckland, at("2026-01-04T20:00:00Z"))).toBe(true);
    expect(isAvailableAt(auckland, at("2026-01-04T19:59:00Z"))).toBe(false);
    expect(isAvailableAt(auckland, at("2026-01-05T09:00:00Z"))).toBe(false);
  });

  it("handles several ranges on one day", () => {
    const split: Availability = {
      timezone: "UTC",
      weekly: [
        { day: 1, start: "15:00", end: "18:00" },
        { day: 1, start: "09:00", end: "12:00" },
        { day: 1, start: "12:00", end: "14:00" },
      ],
    };
    expect(isAvailableAt(split, at("2026-01-05T11:59:00Z"))).toBe(true);
    expect(isAvailableAt(split, at("2026-01-05T12:00:00Z"))).toBe(true);
    expect(isAvailableAt(split, at("2026-01-05T13:59:00Z"))).toBe(true);
    expect(isAvailableAt(split, at("2026-01-05T14:00:00Z"))).toBe(false);
    expect(isAvailableAt(split, at("2026-01-05T14:30:00Z"))).toBe(false);
    expect(isAvailableAt(split, at("2026-01-05T15:00:00Z"))).toBe(true);
    expect(isAvailableAt(split, at("2026-01-05T18:00:00Z"))).toBe(false);
  });

  it("treats 24:00 as the end of the day", () => {
    const lateShift: Availability = {
      timezone: "UTC",
      weekly: [
        { day: 5, start: "18:00", end: "24:00" },
        { day: 6, start: "00:00", end: "02:00" },
      ],
    };
    expect(isAvailableAt(lateShift, at("2026-01-09T23:59:59.999Z"))).toBe(true);
    expect(isAvailableAt(lateShift, at("2026-01-10T00:00:00Z"))).toBe(true);
    expect(isAvailableAt(lateShift, at("2026-01-10T01:59:00Z"))).toBe(true);
    expect(isAvailableAt(lateShift, at("2026-01-10T02:00:00Z"))).toBe(false);
    // Thursday night has no range.
    expect(isAvailableAt(lateShift, at("2026-01-08T23:00:00Z"))).toBe(false);
  });

  it("lets exceptions replace the weekly hours of their date", () => {
    const withExceptions: Availability = {
      timezone: "Europe/London",
      weekly: weekdays("09:00", "17:00"),
      exceptions: [
        { date: "2026-01-05", available: false },
        { date: "2026-01-11", available: true, start: "10:00", end: "12:00" },
        { date: "2026-01-11", available: true, start: "13:00", end: "15:00" },
        { date: "2026-01-12", available: true, start: "13:00", end: "14:00" },
      ],
    };
    // Day off on Monday 2026-01-05; the following Monday has special hours instead of 09:00–17:00.
    expect(isAvailableAt(withExceptions, at("2026-01-05T10:00:00Z"))).toBe(false);
    expect(isAvailableAt(withExceptions, at("2026-01-06T10:00:00Z"))).toBe(true);
    expect(isAvailableAt(withExceptions, at("2026-01-12T10:00:00Z"))).toBe(false);
    expect(isAvailableAt(withExceptions, at("2026-01-12T13:30:00Z"))).toBe(true);
    // Special hours on Sunday 2026-01-11, a day with no weekly hours.
    expect(isAvailableAt(withExceptions, at("2026-01-04T10:30:00Z"))).toBe(false);
    expect(isAvailableAt(withExceptions, at("2026-01-11T10:30:00Z"))).toBe(true);
    expect(isAvailableAt(withExceptions, at("2026-01-11T12:30:00Z"))).toBe(false);
    expect(isAvailableAt(withExceptions, at("2026-01-11T14:00:00Z"))).toBe(true);
    expect(isAvailableAt(withExceptions, at("2026-01-11T15:00:00Z"))).toBe(false);
  });

  it("matches exception dates against the local date", () => {
    const auckland: Availability = {
      timezone: "Pacific/Auckland",
      weekly: [{ day: 1, start: "09:00", end: "17:00" }],
      exceptions: [{ date: "2026-01-05", available: false }],
    };
    expect(isAvailableAt(auckland, at("2026-01-04T21:00:00Z"))).toBe(false);
    expect(isAvailableAt(auckland, at("2026-01-11T21:00:00Z"))).toBe(true);
  });

  describe("across DST transitions", () => {
    const sundays = (timezone: string): Availability => ({
      timezone,
      weekly: [{ day: 0, start: "09:00", end: "17:00" }],
    });

    it("keeps local hours in Europe/London on the spring-forward day (2026-03-29)", () => {
      const availability = sundays("Europe/London");
      expect(isAvailableAt(availability, at("2026-03-29T08:00:00Z"))).toBe(true);
      expect(isAvailableAt(availability, at("2026-03-29T07:59:00Z"))).toBe(false);
      expect(isAvailableAt(availability, at("2026-03-29T15:59:00Z"))).toBe(true);
      expect(isAvailableAt(availability, at("2026-03-29T16:00:00Z"))).toBe(false);
      // The Sunday before is still on GMT.
      expect(isAvailableAt(availability, at("2026-03-22T09:00:00Z"))).toBe(true);
      expect(isAvailableAt(availability, at("2026-03-22T08:30:00Z"))).toBe(false);
    });

    it("keeps local hours in Europe/London on the fall-back day (2026-10-25)", () => {
      const availability = sundays("Europe/London");
      expect(isAvailableAt(availability, at("2026-10-25T09:00:00Z"))).toBe(true);
      expect(isAvailableAt(availability, at("2026-10-25T08:59:00Z"))).toBe(false);
      expect(isAvailableAt(availability, at("2026-10-25T16:59:00Z"))).toBe(true);
      expect(isAvailableAt(availability, at("2026-10-25T17:00:00Z"))).toBe(false);
      expect(isAvailableAt(availability, at("2026-10-18T08:00:00Z"))).toBe(true);
    });

    it("keeps local hours in America/New_York (2026-03-08 and 2026-11-01)", () => {
      const availability = sundays("America/New_York");
      // 09:00 EDT = 13:00Z, 17:00 EDT = 21:00Z.
      expect(isAvailableAt(availability, at("2026-03-08T13:00:00Z"))).toBe(true);
      expect(isAvailableAt(availability, at("2026-03-08T12:59:00Z"))).toBe(false);
      expect(isAvailableAt(availability, at("2026-03-08T20:59:00Z"))).toBe(true);
      expect(isAvailableAt(availability, at("2026-03-08T21:00:00Z"))).toBe(false);
      // 09:00 EST = 14:00Z, 17:00 EST = 22:00Z.
      expect(isAvailableAt(availability, at("2026-11-01T14:00:00Z"))).toBe(true);
      expect(isAvailableAt(availability, at("2026-11-01T13:59:00Z"))).toBe(false);
      expect(isAvailableAt(availability, at("2026-11-01T21:59:00Z"))).toBe(true);
      expect(isAvailableAt(availability, at("2026-11-01T22:00:00Z"))).toBe(false);
    });

    it("never matches wall times skipped by spring forward, and matches repeated ones twice", () => {
      const nightHour: Availability = {
        timezone: "Europe/London",
        weekly: [{ day: 0, start: "01:00", end: "02:00" }],
      };
      // 2026-03-29: 00:59Z is 00:59 GMT, 01:00Z is already 02:00 BST.
      expect(isAvailableAt(nightHour, at("2026-03-29T00:59:00Z"))).toBe(false);
      expect(isAvailableAt(nightHour, at("2026-03-29T01:00:00Z"))).toBe(false);
      // 2026-10-25: 01:30 happens at 00:30Z (BST) and again at 01:30Z (GMT).
      expect(isAvailableAt(nightHour, at("2026-10-25T00:30:00Z"))).toBe(true);
      expect(isAvailableAt(nightHour, at("2026-10-25T01:30:00Z"))).toBe(true);
      expect(isAvailableAt(nightHour, at("2026-10-25T02:00:00Z"))).toBe(false);
    });
  });

  it("rejects an invalid instant", () => {
    expect(() => isAvailableAt(london, new Date(Number.NaN))).toThrow(RangeError);
  });
});

describe("zonedTimeToUtc", () => {
  it("converts ordinary wall times", () => {
    expect(zonedTimeToUtc("2026-01-05", "09:00", "Europe/London").toISOString()).toBe(
      "2026-01-05T09:00:00.000Z",
    );
    expect(zonedTimeToUtc("2026-07-06", "09:00", "Europe/London").toISOString()).toBe(
      "2026-07-06T08:00:00.000Z",
    );
    expect(zonedTimeToUtc("2026-01-10", "10:00", "America/New_York").toISOString()).toBe(
      "2026-01-10T15:00:00.000Z",
    );
    expect(zonedTimeToUtc("2026-01-05", "09:00", "Asia/Kolkata").toISOString()).toBe(
      "2026-01-05T03:30:00.000Z",
    );
    expect(zonedTimeToUtc("2026-01-05", "09:00", "Pacific/Auckland").toISOString()).toBe(
      "2026-01-04T20:00:00.000Z",
    );
    expect(zonedTimeToUtc("2026-01-05", "09:00", "UTC").toISOString()).toBe("2026-01-05T09:00:00.000Z");
  });

  it("reads 24:00 as midnight at the start of the next day", () => {
    expect(zonedTimeToUtc("2026-01-05", "24:00", "America/New_York").toISOString()).toBe(
      "2026-01-06T05:00:00.000Z",
    );
    expect(zonedTimeToUtc("2026-12-31", "24:00", "UTC").toISOString()).toBe("2027-01-01T00:00:00.000Z");
  });

  it("moves a wall time skipped by spring forward to the first instant after the gap", () => {
    // Europe/London 2026-03-29: 01:00 GMT jumps to 02:00 BST at 01:00Z.
    expect(zonedTimeToUtc("2026-03-29", "00:59", "Europe/London").toISOString()).toBe(
      "2026-03-29T00:59:00.000Z",
    );
    expect(zonedTimeToUtc("2026-03-29", "01:00", "Europe/London").toISOString()).toBe(
      "2026-03-29T01:00:00.000Z",
    );
    expect(zonedTimeToUtc("2026-03-29", "01:30", "Europe/London").toISOString()).toBe(
      "2026-03-29T01:00:00.000Z",
    );
    expect(zonedTimeToUtc("2026-03-29", "02:00", "Europe/London").toISOString()).toBe(
      "2026-03-29T01:00:00.000Z",
    );
    expect(zonedTimeToUtc("2026-03-29", "03:00", "Europe/London").toISOString()).toBe(
      "2026-03-29T02:00:00.000Z",
    );
    // America/New_York 2026-03-08: 02:00 EST jumps to 03:00 EDT at 07:00Z.
    expect(zonedTimeToUtc("2026-03-08", "02:30", "America/New_York").toISOString()).toBe(
      "2026-03-08T07:00:00.000Z",
    );
  });

  it("takes the earlier instant of a wall time repeated by fall back", () => {
    // Europe/London 2026-10-25: 01:00–02:00 happens in BST (00:00Z–01:00Z) and again in GMT.
    expect(zonedTimeToUtc("2026-10-25", "01:00", "Europe/London").toISOString()).toBe(
      "2026-10-25T00:00:00.000Z",
    );
    expect(zonedTimeToUtc("2026-10-25", "01:30", "Europe/London").toISOString()).toBe(
      "2026-10-25T00:30:00.000Z",
    );
    expect(zonedTimeToUtc("2026-10-25", "02:00", "Europe/London").toISOString()).toBe(
      "2026-10-25T02:00:00.000Z",
    );
    expect(zonedTimeToUtc("2026-10-25", "00:59", "Europe/London").toISOString()).toBe(
      "2026-10-24T23:59:00.000Z",
    );
    // America/New_York 2026-11-01: 01:30 EDT is 05:30Z, 01:30 EST would be 06:30Z.
    expect(zonedTimeToUtc("2026-11-01", "01:30", "America/New_York").toISOString()).toBe(
      "2026-11-01T05:30:00.000Z",
    );
  });

  it("rejects invalid input", () => {
    expect(() => zonedTimeToUtc("2026-02-30", "09:00", "UTC")).toThrow(RangeError);
    expect(() => zonedTimeToUtc("2026-02-01", "9:00", "UTC")).toThrow(RangeError);
    expect(() => zonedTimeToUtc("2026-02-01", "09:00", "Mars/Olympus")).toThrow(RangeError);
  });
});

describe("availableRanges", () => {
  const week = { from: at("2026-01-05T00:00:00Z"), to: at("2026-01-12T00:00:00Z") };

  it("lists a week of ranges, merging adjacent ones", () => {
    const availability: Availability = {
      timezone: "Europe/London",
      weekly: [...weekdays("09:00", "12:00"), ...weekdays("12:00", "14:00")],
    };
    expect(iso(availableRanges(availability, week.from, week.to))).toEqual(
      ["05", "06", "07", "08", "09"].map((day) => [
        `2026-01-${day}T09:00:00.000Z`,
        `2026-01-${day}T14:00:00.000Z`,
      ]),
    );
  });

  it("merges ranges that meet at midnight", () => {
    const availability: Availability = {
      timezone: "America/New_York",
      weekly: [
        { day: 5, start: "18:00", end: "24:00" },
        { day: 6, start: "00:00", end: "02:00" },
      ],
    };
    expect(iso(availableRanges(availability, week.from, week.to))).toEqual([
      ["2026-01-09T23:00:00.000Z", "2026-01-10T07:00:00.000Z"],
    ]);
  });

  it("clips to [from, to)", () => {
    const availability: Availability = { timezone: "UTC", weekly: weekdays("09:00", "14:00") };
    expect(
      iso(availableRanges(availability, at("2026-01-05T10:30:00Z"), at("2026-01-07T10:00:00Z"))),
    ).toEqual([
      ["2026-01-05T10:30:00.000Z", "2026-01-05T14:00:00.000Z"],
      ["2026-01-06T09:00:00.000Z", "2026-01-06T14:00:00.000Z"],
      ["2026-01-07T09:00:00.000Z", "2026-01-07T10:00:00.000Z"],
    ]);
    expect(availableRanges(availability, at("2026-01-05T10:00:00Z"), at("2026-01-05T10:00:00Z"))).toEqual([]);
    expect(availableRanges(availability, at("2026-01-06T00:00:00Z"), at("2026-01-05T00:00:00Z"))).toEqual([]);
  });

  it("covers local dates that differ from the UTC dates of the window", () => {
    const auckland: Availability = {
      timezone: "Pacific/Auckland",
      weekly: [{ day: 1, start: "09:00", end: "17:00" }],
    };
    // Monday 09:00–17:00 NZDT is Sunday 20:00Z to Monday 04:00Z; both Mondays are clipped by the window.
    expect(iso(availableRanges(auckland, week.from, week.to))).toEqual([
      ["2026-01-05T00:00:00.000Z", "2026-01-05T04:00:00.000Z"],
      ["2026-01-11T20:00:00.000Z", "2026-01-12T00:00:00.000Z"],
    ]);
    expect(iso(availableRanges(auckland, at("2026-01-04T00:00:00Z"), at("2026-01-05T12:00:00Z")))).toEqual([
      ["2026-01-04T20:00:00.000Z", "2026-01-05T04:00:00.000Z"],
    ]);
  });

  it("applies exceptions", () => {
    const availability: Availability = {
      timezone: "UTC",
      weekly: weekdays("09:00", "17:00"),
      exceptions: [
        { date: "2026-01-06", available: false },
        { date: "2026-01-07", available: true, start: "13:00", end: "14:00" },
        { date: "2026-01-10", available: true, start: "10:00", end: "11:00" },
      ],
    };
    expect(
      iso(availableRanges(availability, at("2026-01-05T00:00:00Z"), at("2026-01-11T00:00:00Z"))),
    ).toEqual([
      ["2026-01-05T09:00:00.000Z", "2026-01-05T17:00:00.000Z"],
      ["2026-01-07T13:00:00.000Z", "2026-01-07T14:00:00.000Z"],
      ["2026-01-08T09:00:00.000Z", "2026-01-08T17:00:00.000Z"],
      ["2026-01-09T09:00:00.000Z", "2026-01-09T17:00:00.000Z"],
      ["2026-01-10T10:00:00.000Z", "2026-01-10T11:00:00.000Z"],
    ]);
  });

  it("gives a range across the spring-forward gap its real length", () => {
    const night: Availability = {
      timezone: "Europe/London",
      weekly: [{ day: 0, start: "00:00", end: "03:00" }],
    };
    const ranges = availableRanges(night, at("2026-03-28T00:00:00Z"), at("2026-03-30T00:00:00Z"));
    expect(iso(ranges)).toEqual([["2026-03-29T00:00:00.000Z", "2026-03-29T02:00:00.000Z"]]);
    const [range] = ranges;
    expect(range && range.end.getTime() - range.start.getTime()).toBe(2 * 3_600_000);
  });

  it("counts the repeated hour of a fall-back day twice", () => {
    const night: Availability = {
      timezone: "Europe/London",
      weekly: [{ day: 0, start: "00:00", end: "03:00" }],
    };
    expect(iso(availableRanges(night, at("2026-10-24T00:00:00Z"), at("2026-10-26T00:00:00Z")))).toEqual([
      ["2026-10-24T23:00:00.000Z", "2026-10-25T03:00:00.000Z"],
    ]);
    // 01:00–01:30 happens once in BST and once in GMT.
    const halfHour: Availability = {
      timezone: "Europe/London",
      weekly: [{ day: 0, start: "01:00", end: "01:30" }],
    };
    expect(iso(availableRanges(halfHour, at("2026-10-24T00:00:00Z"), at("2026-10-26T00:00:00Z")))).toEqual([
      ["2026-10-25T00:00:00.000Z", "2026-10-25T00:30:00.000Z"],
      ["2026-10-25T01:00:00.000Z", "2026-10-25T01:30:00.000Z"],
    ]);
    // A range inside the skipped hour of a spring-forward day never happens.
    const skipped: Availability = {
      timezone: "Europe/London",
      weekly: [{ day: 0, start: "01:00", end: "02:00" }],
    };
    expect(availableRanges(skipped, at("2026-03-28T00:00:00Z"), at("2026-03-30T00:00:00Z"))).toEqual([]);
  });

  it("agrees with isAvailableAt minute by minute around DST transitions", () => {
    const cases: { availability: Availability; from: string; to: string }[] = [
      {
        availability: {
          timezone: "Europe/London",
          weekly: [
            { day: 6, start: "22:00", end: "24:00" },
            { day: 0, start: "00:30", end: "01:15" },
            { day: 0, start: "01:45", end: "02:30" },
            { day: 0, start: "09:00", end: "17:00" },
          ],
        },
        from: "2026-03-28T12:00:00Z",
        to: "2026-03-29T12:00:00Z",
      },
      {
        availability: {
          timezone: "Europe/London",
          weekly: [
            { day: 0, start: "00:30", end: "01:15" },
            { day: 0, start: "01:45", end: "02:30" },
          ],
        },
        from: "2026-10-24T20:00:00Z",
        to: "2026-10-25T06:00:00Z",
      },
      {
        availability: {
          timezone: "America/New_York",
          weekly: [{ day: 0, start: "01:00", end: "03:30" }],
          exceptions: [{ date: "2026-11-01", available: true, start: "01:20", end: "01:40" }],
        },
        from: "2026-03-08T00:00:00Z",
        to: "2026-03-09T00:00:00Z",
      },
      {
        availability: {
          timezone: "America/New_York",
          weekly: [],
          exceptions: [{ date: "2026-11-01", available: true, start: "01:20", end: "01:40" }],
        },
        from: "2026-11-01T00:00:00Z",
        to: "2026-11-02T00:00:00Z",
      },
    ];
    for (const { availability, from, to } of cases) {
      const ranges = availableRanges(availability, at(from), at(to));
      for (let t = at(from).getTime(); t < at(to).getTime(); t += 5 * 60_000) {
        const inRanges = ranges.some((range) => range.start.getTime() <= t && t < range.end.getTime());
        expect(inRanges, `${availability.timezone} ${new Date(t).toISOString()}`).toBe(
          isAvailableAt(availability, new Date(t)),
        );
      }
    }
  });
});

describe("summariseAvailability", () => {
  const london: Availability = { timezone: "Europe/London", weekly: weekdays("09:00", "17:00") };

  it("reports now as the next slot while available", () => {
    expect(summariseAvailability(london, at("2026-01-05T10:15:00Z"))).toEqual({
      timezone: "Europe/London",
      availableNow: true,
      nextAvailableAt: "2026-01-05T10:15:00.000Z",
    });
  });

  it("finds the next slot after a weekend, in local time", () => {
    expect(summariseAvailability(london, at("2026-01-10T12:00:00Z"))).toEqual({
      timezone: "Europe/London",
      availableNow: false,
      nextAvailableAt: "2026-01-12T09:00:00.000Z",
    });
    // Friday evening before the spring-forward weekend: Monday 09:00 BST is 08:00Z.
    expect(summariseAvailability(london, at("2026-03-27T18:00:00Z")).nextAvailableAt).toBe(
      "2026-03-30T08:00:00.000Z",
    );
  });

  it("looks ahead 14 days only", () => {
    const onlyExceptions = (date: string): Availability => ({
      timezone: "UTC",
      weekly: [],
      exceptions: [{ date, available: true, start: "10:00", end: "11:00" }],
    });
    const now = at("2026-01-01T12:00:00Z");
    expect(summariseAvailability(onlyExceptions("2026-01-14"), now).nextAvailableAt).toBe(
      "2026-01-14T10:00:00.000Z",
    );
    expect(summariseAvailability(onlyExceptions("2026-01-21"), now)).toEqual({
      timezone: "UTC",
      availableNow: false,
      nextAvailableAt: null,
    });
    expect(summariseAvailability({ timezone: "UTC", weekly: [] }, now).nextAvailableAt).toBeNull();
  });
});

describe("transitions at midnight (America/Santiago, 2026)", () => {
  // 2026-04-05 03:00Z: 24:00 at UTC-3 becomes 23:00 on Saturday 2026-04-04 at UTC-4.
  // 2026-09-06 04:00Z: 24:00 at UTC-4 becomes 01:00 on Sunday 2026-09-06 at UTC-3.
  const santiago = (weekly: Availability["weekly"]): Availability => ({
    timezone: "America/Santiago",
    weekly,
  });

  it("counts the repeated last hour of a Saturday twice", () => {
    const lateSaturday = santiago([{ day: 6, start: "22:00", end: "24:00" }]);
    expect(
      iso(availableRanges(lateSaturday, at("2026-04-04T00:00:00Z"), at("2026-04-06T00:00:00Z"))),
    ).toEqual([["2026-04-05T01:00:00.000Z", "2026-04-05T04:00:00.000Z"]]);
    expect(isAvailableAt(lateSaturday, at("2026-04-05T03:30:00Z"))).toBe(true);
    expect(isAvailableAt(lateSaturday, at("2026-04-05T04:00:00Z"))).toBe(false);
  });

  it("skips the first hour of a Sunday that never happens", () => {
    const earlySunday = santiago([{ day: 0, start: "00:00", end: "01:00" }]);
    expect(availableRanges(earlySunday, at("2026-09-05T00:00:00Z"), at("2026-09-07T00:00:00Z"))).toEqual([]);
    expect(isAvailableAt(earlySunday, at("2026-09-06T03:59:00Z"))).toBe(false);
    expect(isAvailableAt(earlySunday, at("2026-09-06T04:00:00Z"))).toBe(false);
    const sundayNight = santiago([{ day: 0, start: "00:00", end: "02:00" }]);
    expect(summariseAvailability(sundayNight, at("2026-09-05T12:00:00Z")).nextAvailableAt).toBe(
      "2026-09-06T04:00:00.000Z",
    );
    expect(zonedTimeToUtc("2026-09-06", "00:30", "America/Santiago").toISOString()).toBe(
      "2026-09-06T04:00:00.000Z",
    );
    expect(zonedTimeToUtc("2026-09-05", "24:00", "America/Santiago").toISOString()).toBe(
      "2026-09-06T04:00:00.000Z",
    );
  });
});

describe("zone names Temporal refuses", () => {
  it("rejects ICU's three-letter aliases, which are not IANA names", () => {
    for (const timezone of ["PST", "pst", "IST", "BST", "CST"]) {
      expect(validTimeZone(timezone), timezone).toBe(false);
    }
    expect(validTimeZone("EST")).toBe(true);
    expect(validTimeZone("europe/london")).toBe(true);
  });

  it("still evaluates such a name saved before, in the zone Intl gave it", () => {
    const pacific: Availability = { timezone: "PST", weekly: weekdays("09:00", "17:00") };
    // Monday 2026-07-06 09:00 PDT (UTC-7) is 16:00Z.
    expect(isAvailableAt(pacific, at("2026-07-06T16:00:00Z"))).toBe(true);
    expect(isAvailableAt(pacific, at("2026-07-06T15:59:00Z"))).toBe(false);
    expect(summariseAvailability(pacific, at("2026-07-04T12:00:00Z")).nextAvailableAt).toBe(
      "2026-07-06T16:00:00.000Z",
    );
    expect(() => isAvailableAt({ timezone: "Mars/Olympus", weekly: [] }, at("2026-07-06T16:00:00Z"))).toThrow(
      RangeError,
    );
  });
});

describe("toMinutes", () => {
  it("reads HH:MM as minutes after midnight, 24:00 as the end of the day", () => {
    expect(toMinutes("00:00")).toBe(0);
    expect(toMinutes("09:30")).toBe(570);
    expect(toMinutes("24:00")).toBe(1440);
    for (const time of ["9:30", "24:01", "12:60", ""]) {
      expect(() => toMinutes(time), time).toThrow(RangeError);
    }
  });
});

/**
 * Properties checked against an oracle that goes the other way round: it walks every wall-clock slot of the
 * contractor's hours and asks Temporal which instants show it, where `isAvailableAt` reads the wall clock of
 * an instant. Zones are chosen for their awkward transitions: at midnight (Santiago, Havana, Beirut), by half
 * an hour (Lord Howe), at quarter-hour offsets (Chatham), two more a year around Ramadan (Casablanca), in the
 * southern hemisphere, and none at all.
 */
describe("properties across DST transitions", () => {
  const zones = [
    "Europe/London",
    "America/New_York",
    "America/Santiago",
    "America/Havana",
    "Asia/Beirut",
    "Australia/Lord_Howe",
    "Pacific/Chatham",
    "Pacific/Auckland",
    "Africa/Casablanca",
    "America/St_Johns",
    "Asia/Kolkata",
    "UTC",
  ];
  // Every offset of these zones since 1990 is a whole number of 5-minute steps, and so are the generated
  // ranges, so checking instants on a 5-minute grid sees every change of availability.
  const STEP_MS = 5 * 60_000;
  const SLOTS_PER_DAY = 288;
  const HOUR_MS = 3_600_000;

  const hhmm = (slot: number) => {
    const minutes = slot * 5;
    return `${String(Math.floor(minutes / 60)).padStart(2, "0")}:${String(minutes % 60).padStart(2, "0")}`;
  };

  /** Up to three disjoint (possibly touching) ranges of one day, as HH:MM pairs. */
  const dayRanges = fc
    .uniqueArray(fc.integer({ min: 0, max: SLOTS_PER_DAY }), { maxLength: 6 })
    .chain((bounds) =>
      fc.array(fc.boolean(), { minLength: bounds.length, maxLength: bounds.length }).map((touch) => {
        const sorted = [...bounds].sort((a, b) => a - b);
        const ranges: { start: string; end: string }[] = [];
        for (let i = 0; i + 1 < sorted.length; i += 2) {
          const start = sorted[i] as number;
          const end = sorted[i + 1] as number;
          // Sometimes let a range start where the previous one ended, to exercise merging.
          const previous = ranges.at(-1);
          const from = touch[i] && previous ? toMinutes(previous.end) / 5 : start;
          if (from < end) ranges.push({ start: hhmm(from), end: hhmm(end) });
        }
        return ranges;
      }),
    );

  /** A window of up to two days around an instant, often a transition of the zone. */
  const scenario = fc
    .record({
      timezone: fc.constantFrom(...zones),
      // 1990-01-01 to 2037-01-01.
      seed: fc.integer({ min: 631_152_000, max: 2_114_380_800 }).map((sec) => sec * 1000),
      nearTransition: fc.boolean(),
      before: fc.integer({ min: 0, max: 24 * 12 }),
      after: fc.integer({ min: 1, max: 24 * 12 }),
      weekly: fc.array(dayRanges, { minLength: 7, maxLength: 7 }),
      exceptionDays: fc.array(
        fc.record({ shift: fc.integer({ min: -2, max: 2 }), hours: fc.option(dayRanges) }),
        { maxLength: 3 },
      ),
    })
    .map(({ timezone, seed, nearTransition, before, after, weekly, exceptionDays }) => {
      const seedZoned = Temporal.Instant.fromEpochMilliseconds(seed).toZonedDateTimeISO(timezone);
      const transition = nearTransition ? seedZoned.getTimeZoneTransition("next") : null;
      const centre = Math.floor((transition ?? seedZoned).epochMilliseconds / STEP_MS) * STEP_MS;
      const from = centre - before * STEP_MS;
      const to = centre + after * STEP_MS;
      const centreDate = Temporal.Instant.fromEpochMilliseconds(centre)
        .toZonedDateTimeISO(timezone)
        .toPlainDate();
      const exceptions: NonNullable<Availability["exceptions"]> = [];
      const seen = new Set<string>();
      for (const { shift, hours } of exceptionDays) {
        const date = centreDate.add({ days: shift }).toString();
        if (seen.has(date)) continue;
        seen.add(date);
        if (hours === null || hours.length === 0) exceptions.push({ date, available: false });
        else exceptions.push(...hours.map((range) => ({ date, available: true, ...range })));
      }
      const availability: Availability = {
        timezone,
        weekly: weekly.flatMap((ranges, day) => ranges.map((range) => ({ day, ...range }))),
        exceptions,
      };
      return { availability, from, to };
    });

  /** Every instant on the grid at which some date's hours show on the zone's wall clock. */
  function oracle(availability: Availability, from: number, to: number): Set<number> {
    const { timezone } = availability;
    const dateAt = (ms: number) =>
      Temporal.Instant.fromEpochMilliseconds(ms).toZonedDateTimeISO(timezone).toPlainDate();
    const available = new Set<number>();
    // A fall-back can move the wall clock a day back, so look a day beyond either end.
    const last = dateAt(to).add({ days: 1 });
    for (
      let date = dateAt(from).subtract({ days: 1 });
      Temporal.PlainDate.compare(date, last) <= 0;
      date = date.add({ days: 1 })
    ) {
      const key = date.toString();
      const special = availability.exceptions?.filter((exception) => exception.date === key);
      const ranges =
        special && special.length > 0
          ? special.flatMap(({ available, start, end }) =>
              available && start && end ? [{ start, end }] : [],
            )
          : availability.weekly.filter((range) => range.day === date.dayOfWeek % 7);
      for (const range of ranges) {
        for (let minute = toMinutes(range.start); minute < toMinutes(range.end); minute += 5) {
          const wall = date.toPlainDateTime().add({ minutes: minute });
          try {
            available.add(wall.toZonedDateTime(timezone, { disambiguation: "reject" }).epochMilliseconds);
          } catch {
            // Skipped or repeated; in a gap Temporal shifts the wall time, so only a real reading counts.
            for (const disambiguation of ["earlier", "later"] as const) {
              const instant = wall.toZonedDateTime(timezone, { disambiguation });
              if (instant.toPlainDateTime().equals(wall)) available.add(instant.epochMilliseconds);
            }
          }
        }
      }
    }
    return available;
  }

  it("generates bodies the API accepts", () => {
    fc.assert(
      fc.property(scenario, ({ availability }) => {
        expect(availabilityBody.safeParse(availability).error).toBeUndefined();
      }),
    );
  });

  it("isAvailableAt agrees with the wall-clock oracle at every step", () => {
    fc.assert(
      fc.property(scenario, fc.integer({ min: 0, max: 59_999 }), ({ availability, from, to }, jitter) => {
        const expected = oracle(availability, from, to);
        for (let t = from; t < to; t += STEP_MS) {
          // Seconds within the minute never matter.
          expect(isAvailableAt(availability, new Date(t + jitter)), new Date(t).toISOString()).toBe(
            expected.has(t),
          );
        }
      }),
      { numRuns: 40 },
    );
  });

  it("availableRanges covers exactly the instants isAvailableAt accepts, clipped and merged", () => {
    fc.assert(
      fc.property(
        scenario,
        fc.integer({ min: 0, max: STEP_MS - 1 }),
        fc.integer({ min: 0, max: STEP_MS - 1 }),
        ({ availability, from, to }, fromJitter, toJitter) => {
          const start = from + fromJitter;
          const end = to + toJitter;
          const ranges = availableRanges(availability, new Date(start), new Date(end));
          let previousEnd = Number.NEGATIVE_INFINITY;
          for (const range of ranges) {
            const [a, b] = [range.start.getTime(), range.end.getTime()];
            // Sorted, inside the window, non-empty, and merged: neighbours never touch.
            expect(a).toBeGreaterThan(previousEnd);
            expect(a).toBeGreaterThanOrEqual(start);
            expect(b).toBeLessThanOrEqual(end);
            expect(a).toBeLessThan(b);
            expect(isAvailableAt(availability, range.start)).toBe(true);
            expect(isAvailableAt(availability, new Date(b - 1))).toBe(true);
            if (b < end) expect(isAvailableAt(availability, range.end)).toBe(false);
            previousEnd = b;
          }
          for (let t = Math.ceil(start / STEP_MS) * STEP_MS; t < end; t += STEP_MS) {
            const inRanges = ranges.some((range) => range.start.getTime() <= t && t < range.end.getTime());
            expect(inRanges, new Date(t).toISOString()).toBe(isAvailableAt(availability, new Date(t)));
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  it("summariseAvailability offers the first instant isAvailableAt accepts", () => {
    fc.assert(
      fc.property(scenario, fc.integer({ min: 0, max: STEP_MS - 1 }), ({ availability, from }, jitter) => {
        const now = from + jitter;
        const summary = summariseAvailability(availability, new Date(now));
        expect(summary.availableNow).toBe(isAvailableAt(availability, new Date(now)));
        if (summary.nextAvailableAt === null) {
          expect(summary.availableNow).toBe(false);
          return;
        }
        const next = Date.parse(summary.nextAvailableAt);
        expect(isAvailableAt(availability, new Date(next))).toBe(true);
        expect(next === now).toBe(summary.availableNow);
        expect(next - now).toBeLessThan(14 * 24 * HOUR_MS);
        // Nothing earlier is free; the first two days are checked step by step.
        for (
          let t = Math.ceil(now / STEP_MS) * STEP_MS;
          t < Math.min(next, now + 48 * HOUR_MS);
          t += STEP_MS
        ) {
          expect(isAvailableAt(availability, new Date(t)), new Date(t).toISOString()).toBe(false);
        }
      }),
      { numRuns: 40 },
    );
  });

  it("zonedTimeToUtc gives the earliest instant showing the wall time, or the end of the gap that skips it", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...zones),
        fc.integer({ min: 631_152_000, max: 2_114_380_800 }),
        fc.boolean(),
        fc.integer({ min: -12, max: 12 }),
        (timezone, seed, nearTransition, shift) => {
          const seedZoned = Temporal.Instant.fromEpochMilliseconds(seed * 1000).toZonedDateTimeISO(timezone);
          const around = (nearTransition ? seedZoned.getTimeZoneTransition("next") : null) ?? seedZoned;
          // A wall time up to an hour either side of the transition, on the 5-minute grid.
          const wall = around
            .toPlainDateTime()
            .round({ smallestUnit: "minute", roundingIncrement: 5 })
            .add({ minutes: shift * 5 });
          const result = zonedTimeToUtc(
            wall.toPlainDate().toString(),
            hhmm((wall.hour * 60 + wall.minute) / 5),
            timezone,
          );
          const wallAt = (ms: number) =>
            Temporal.Instant.fromEpochMilliseconds(ms).toZonedDateTimeISO(timezone).toPlainDateTime();
          const shown = Temporal.PlainDateTime.compare(wallAt(result.getTime()), wall);
          if (shown === 0) {
            // The earlier reading: nothing in the three hours before showed `wall` already.
            for (let back = STEP_MS; back <= 3 * HOUR_MS; back += STEP_MS) {
              expect(wallAt(result.getTime() - back).equals(wall)).toBe(false);
            }
          } else {
            // Skipped: the clock jumps past `wall` exactly at `result`.
            expect(shown).toBe(1);
            expect(Temporal.PlainDateTime.compare(wallAt(result.getTime() - 1), wall)).toBe(-1);
          }
        },
      ),
    );
  });
});
