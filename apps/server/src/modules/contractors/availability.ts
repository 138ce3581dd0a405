// temporal-polyfill rather than @js-temporal/polyfill: it follows the finished specification (1.x, where
// the other is still 0.x), is a third of the size, uses native bigint instead of JSBI, and defers to a
// native Temporal once Node ships one.
import { Temporal } from "temporal-polyfill";
import { z } from "zod";

const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;
const LOOKAHEAD_DAYS = 14;

const dayNames = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"] as const;

const startPattern = /^(?:[01]\d|2[0-3]):[0-5]\d$/;
const endPattern = /^(?:(?:[01]\d|2[0-3]):[0-5]\d|24:00)$/;
// Temporal also parses compact and extended-year dates ("20260101", "+002026-01-01"); the API takes only
// this form.
const datePattern = /^\d{4}-\d{2}-\d{2}$/;
// Temporal also accepts offsets such as "+01:00"; those are not zone names and would freeze a contractor's
// hours at one offset across DST.
const zoneNamePattern = /^[A-Za-z][A-Za-z0-9_+\-/]*$/;

/**
 * Whether `name` is an IANA time zone name (e.g. `Europe/London`, `UTC`). ICU's own three-letter aliases
 * (`PST`, `IST`, `BST`) are not: Temporal refuses them, and PostgreSQL would read them as fixed-offset
 * abbreviations, some of them another place's (ICU's BST is Dhaka, PostgreSQL's IST is Israel).
 */
export function validTimeZone(name: string): boolean {
  if (name.length > 64 || !zoneNamePattern.test(name)) return false;
  try {
    Temporal.Instant.fromEpochMilliseconds(0).toZonedDateTimeISO(name);
    return true;
  } catch {
    return false;
  }
}

/**
 * `instant` on the wall clock of `zone`. Names saved while zones were checked with Intl alone may be ICU
 * aliases that Temporal refuses; they keep the zone Intl resolved them to, so a stored profile still reads.
 * Throws a RangeError for a zone neither knows.
 */
function zoned(instant: Temporal.Instant, zone: string): Temporal.ZonedDateTime {
  try {
    return instant.toZonedDateTimeISO(zone);
  } catch (error) {
    let resolved: string;
    try {
      resolved = new Intl.DateTimeFormat("en-US", { timeZone: zone }).resolvedOptions().timeZone;
    } catch {
      throw error;
    }
    return instant.toZonedDateTimeISO(resolved);
  }
}

function instantOf(date: Date, name: string): Temporal.Instant {
  const ms = date.getTime();
  if (Number.isNaN(ms)) throw new RangeError(`${name} is not a valid date`);
  return Temporal.Instant.fromEpochMilliseconds(ms);
}

/** A `YYYY-MM-DD` calendar date, or undefined if it is not one. */
function parseDate(date: string): Temporal.PlainDate | undefined {
  if (!datePattern.test(date)) return undefined;
  try {
    return Temporal.PlainDate.from(date);
  } catch {
    return undefined;
  }
}

function parseTime(time: string | undefined, pattern: RegExp): number | undefined {
  if (time === undefined || !pattern.test(time)) return undefined;
  return Number(time.slice(0, 2)) * 60 + Number(time.slice(3, 5));
}

const startMinutes = (time: string | undefined) => parseTime(time, startPattern);
const endMinutes = (time: string | undefined) => parseTime(time, endPattern);

/**
 * Minutes after local midnight of an `HH:MM` time, as the availability rows store them; 24:00 is 1440, the
 * end of the day.
 */
export function toMinutes(time: string): number {
  const minutes = endMinutes(time);
  if (minutes === undefined) throw new RangeError(`${time} is not a time HH:MM`);
  return minutes;
}

/** Minutes since local midnight, end exclusive. */
interface MinuteRange {
  start: number;
  end: number;
}

function minuteRange(range: {
  start?: string | undefined;
  end?: string | undefined;
}): MinuteRange | undefined {
  const start = startMinutes(range.start);
  const end = endMinutes(range.end);
  if (start === undefined || end === undefined || start >= end) return undefined;
  return { start, end };
}

function overlaps(a: MinuteRange, b: MinuteRange): boolean {
  return a.start < b.end && b.start < a.end;
}

const timeZoneSchema = z
  .string()
  .refine(validTimeZone, {
    message: "must be an IANA time zone name, e.g. Europe/London",
    params: { code: "invalid_value" },
  })
  .meta({ description: "IANA time zone the hours are given in, e.g. Europe/London" });

const dayMessage = "must be a whole number from 0 (Sunday) to 6 (Saturday)";
const daySchema = z
  .int(dayMessage)
  .min(0, dayMessage)
  .max(6, dayMessage)
  .meta({ description: "0 = Sunday … 6 = Saturday" });

const startSchema = z.string().regex(startPattern, "must be a time HH:MM from 00:00 to 23:59");
const endSchema = z
  .string()
  .regex(endPattern, "must be a time HH:MM from 00:00 to 24:00")
  .meta({ description: "Exclusive; 24:00 is the end of the day" });

const dateSchema = z
  .string()
  .refine((date) => parseDate(date) !== undefined, {
    message: "must be a calendar date YYYY-MM-DD",
    params: { code: "invalid_format" },
  })
  .meta({ format: "date", example: "2026-12-24" });

const weeklyRangeBody = z
  .strictObject({ day: daySchema, start: startSchema, end: endSchema })
  .superRefine((range, ctx) => {
    const start = startMinutes(range.start);
    const end = endMinutes(range.end);
    if (start !== undefined && end !== undefined && start >= end) {
      ctx.addIssue({
        code: "custom",
        path: ["end"],
        message: "must be after start",
        params: { code: "invalid_value" },
      });
    }
  });

const exceptionBody = z
  .strictObject({
    date: dateSchema,
    available: z.boolean("must be true or false"),
    start: startSchema.optional(),
    end: endSchema.optional(),
  })
  .superRefine((exception, ctx) => {
    if (!exception.available) {
      for (const key of ["start", "end"] as const) {
        if (exception[key] !== undefined) {
          ctx.addIssue({
            code: "custom",
            path: [key],
            message: "must be absent when available is false",
            params: { code: "not_allowed" },
          });
        }
      }
      return;
    }
    for (const key of ["start", "end"] as const) {
      if (exception[key] === undefined) {
        ctx.addIssue({
          code: "custom",
          path: [key],
          message: "is required when available is true",
          params: { code: "required" },
        });
      }
    }
    const start = startMinutes(exception.start);
    const end = endMinutes(exception.end);
    if (start !== undefined && end !== undefined && start >= end) {
      ctx.addIssue({
        code: "custom",
        path: ["end"],
        message: "must be after start",
        params: { code: "invalid_value" },
      });
    }
  });

// Entries that already failed their own checks are skipped here: zod still runs these refinements after
// non-fatal issues, and one bad entry should not also be reported as an overlap.
const weeklyBody = z
  .array(weeklyRangeBody)
  .max(50, "at most 50 ranges")
  .superRefine((ranges, ctx) => {
    ranges.forEach((range, index) => {
      const span = minuteRange(range);
      if (!span) return;
      for (const other of ranges.slice(0, index)) {
        const otherSpan = minuteRange(other);
        if (other.day !== range.day || !otherSpan || !overlaps(span, otherSpan)) continue;
        const dayName = dayNames[range.day] ?? `day ${range.day}`;
        ctx.addIssue({
          code: "custom",
          path: [index],
          message: `overlaps ${other.start}–${other.end} on ${dayName}`,
          params: { code: "overlaps" },
        });
        return;
      }
    });
  });

const exceptionsBody = z
  .array(exceptionBody)
  .max(366, "at most 366 exceptions")
  .superRefine((exceptions, ctx) => {
    exceptions.forEach((exception, index) => {
      for (const other of exceptions.slice(0, index)) {
        if (other.date !== exception.date) continue;
        let message: string | undefined;
        if (!exception.available) {
          message = `a day off cannot be combined with other exceptions for ${exception.date}`;
        } else if (!other.available) {
          message = `${exception.date} is already a day off`;
        } else {
          const span = minuteRange(exception);
          const otherSpan = minuteRange(other);
          if (span && otherSpan && overlaps(span, otherSpan)) {
            message = `overlaps ${other.start}–${other.end} on ${exception.date}`;
          }
        }
        if (message) {
          ctx.addIssue({ code: "custom", path: [index], message, params: { code: "overlaps" } });
          return;
        }
      }
    });
  });

/** Body of `PUT /contractors/me/availability`. */
export const availabilityBody = z.strictObject({
  timezone: timeZoneSchema,
  weekly: weeklyBody,
  exceptions: exceptionsBody.optional(),
});

export const availabilitySchema = z
  .object({
    timezone: timeZoneSchema,
    weekly: z.array(
      z
        .object({ day: daySchema, start: startSchema, end: endSchema })
        .meta({ id: "WeeklyRange", description: "Hours on one weekday, in the contractor's time zone" }),
    ),
    exceptions: z
      .array(
        z
          .object({
            date: dateSchema,
            available: z.boolean(),
            start: startSchema.optional(),
            end: endSchema.optional(),
          })
          .meta({
            id: "DateException",
            description: "One date's hours replacing (or cancelling) the weekly ones",
          }),
      )
      .optional(),
  })
  .meta({ id: "Availability" });

export type Availability = z.infer<typeof availabilitySchema>;

/** Weekdays 08:00–17:00 in London, Christmas Eve off and a short Sunday: the API document's example. */
export const availabilityExample = {
  timezone: "Europe/London",
  weekly: [1, 2, 3, 4, 5].map((day) => ({ day, start: "08:00", end: "17:00" })),
  exceptions: [
    { date: "2026-12-24", available: false },
    { date: "2026-12-27", available: true, start: "10:00", end: "14:00" },
  ],
} satisfies Availability;

type ExceptionIndex = Map<string, MinuteRange[]>;

/** Ranges per date that has exceptions; a day off maps to no ranges. */
function indexExceptions(availability: Availability): ExceptionIndex {
  const index: ExceptionIndex = new Map();
  for (const exception of availability.exceptions ?? []) {
    const ranges = index.get(exception.date) ?? [];
    const span = exception.available ? minuteRange(exception) : undefined;
    if (span) ranges.push(span);
    index.set(exception.date, ranges);
  }
  return index;
}

function rangesOn(
  availability: Availability,
  exceptions: ExceptionIndex,
  date: Temporal.PlainDate,
): MinuteRange[] {
  const special = exceptions.get(date.toString());
  if (special) return special;
  // Temporal counts Monday 1 … Sunday 7; the API counts Sunday 0 … Saturday 6.
  const weekday = date.dayOfWeek % 7;
  const ranges: MinuteRange[] = [];
  for (const range of availability.weekly) {
    const span = range.day === weekday ? minuteRange(range) : undefined;
    if (span) ranges.push(span);
  }
  return ranges;
}

/**
 * Whether the contractor is available at `instant`: its wall-clock date and time in the contractor's zone
 * fall inside one of that date's ranges (its exceptions if it has any, else the weekly ranges of its weekday).
 * Bookings check a requested time with it.
 * @public
 */
export function isAvailableAt(availability: Availability, instant: Date): boolean {
  const local = zoned(instantOf(instant, "instant"), availability.timezone);
  // Range bounds are whole minutes, so the seconds of `instant` cannot move it across one.
  const minute = local.hour * 60 + local.minute;
  return rangesOn(availability, indexExceptions(availability), local.toPlainDate()).some(
    (range) => range.start <= minute && minute < range.end,
  );
}

/**
 * The UTC instant at which the zone's wall clock reads `time` on `date`. A wall time skipped by a
 * spring-forward gap gives the first instant after the gap; one repeated by a fall-back gives the earlier.
 * `time` may be 24:00, the start of the next day.
 */
export function zonedTimeToUtc(date: string, time: string, zone: string): Date {
  const day = parseDate(date);
  if (day === undefined) throw new RangeError(`${date} is not a calendar date YYYY-MM-DD`);
  const wall = day.toPlainDateTime().add({ minutes: toMinutes(time) });
  if (!validTimeZone(zone)) throw new RangeError(`${zone} is not a time zone`);
  // Temporal's own choice for a gap ("compatible") moves the wall time forward by the gap's length; a
  // contractor's 01:30 on a night that skips 01:00–02:00 is better read as the moment the clock resumes.
  const earlier = wall.toZonedDateTime(zone, { disambiguation: "earlier" });
  if (earlier.toPlainDateTime().equals(wall)) return new Date(earlier.epochMilliseconds);
  const resumed =
    earlier.getTimeZoneTransition("next") ?? wall.toZonedDateTime(zone, { disambiguation: "later" });
  return new Date(resumed.epochMilliseconds);
}

export interface AvailableRange {
  start: Date;
  end: Date;
}

/** A stretch of time during which the zone keeps one UTC offset. */
interface OffsetSegment {
  start: Temporal.ZonedDateTime;
  endMs: number;
}

/** Splits [from, to) at the zone's offset transitions. */
function offsetSegments(zone: string, from: Temporal.Instant, toMs: number): OffsetSegment[] {
  const segments: OffsetSegment[] = [];
  let start = zoned(from, zone);
  for (;;) {
    const transition = start.getTimeZoneTransition("next");
    if (!transition || transition.epochMilliseconds >= toMs) {
      segments.push({ start, endMs: toMs });
      return segments;
    }
    segments.push({ start, endMs: transition.epochMilliseconds });
    start = transition;
  }
}

/**
 * Every interval of [from, to) during which `isAvailableAt` holds, in order, adjacent intervals merged.
 * Worked out per stretch of constant UTC offset, so a range that crosses a transition keeps its real
 * length (00:00–03:00 on a spring-forward day lasts two hours) and a wall time repeated by a fall-back
 * counts both times.
 */
export function availableRanges(availability: Availability, from: Date, to: Date): AvailableRange[] {
  const fromInstant = instantOf(from, "from");
  const toMs = instantOf(to, "to").epochMilliseconds;
  if (fromInstant.epochMilliseconds >= toMs) return [];
  const exceptions = indexExceptions(availability);

  const intervals: { start: number; end: number }[] = [];
  const segments = offsetSegments(availability.timezone, fromInstant, toMs);
  for (const { start: segmentStart, endMs: segmentEnd } of segments) {
    const offsetMs = segmentStart.offsetNanoseconds / 1e6;
    const lastDate = Temporal.Instant.fromEpochMilliseconds(segmentEnd - 1)
      .toZonedDateTimeISO(segmentStart.timeZoneId)
      .toPlainDate();
    for (
      let date = segmentStart.toPlainDate();
      Temporal.PlainDate.compare(date, lastDate) <= 0;
      date = date.add({ days: 1 })
    ) {
      // While the offset holds, wall time = instant + offset, so each range maps onto one interval; this is
      // when the clock would read 00:00 on `date` at this offset, whether or not it does within the segment.
      const midnight = date.toZonedDateTime("UTC").epochMilliseconds - offsetMs;
      for (const range of rangesOn(availability, exceptions, date)) {
        const start = Math.max(segmentStart.epochMilliseconds, midnight + range.start * MINUTE_MS);
        const end = Math.min(segmentEnd, midnight + range.end * MINUTE_MS);
        if (start < end) intervals.push({ start, end });
      }
    }
  }

  intervals.sort((a, b) => a.start - b.start);
  const merged: { start: number; end: number }[] = [];
  for (const interval of intervals) {
    const last = merged.at(-1);
    if (last && interval.start <= last.end) last.end = Math.max(last.end, interval.end);
    else merged.push({ ...interval });
  }
  return merged.map((interval) => ({ start: new Date(interval.start), end: new Date(interval.end) }));
}

export interface AvailabilitySummary {
  timezone: string;
  availableNow: boolean;
  /** First available instant in the next 14 days (`now` itself when available now), ISO 8601 UTC. */
  nextAvailableAt: string | null;
}

export function summariseAvailability(availability: Availability, now: Date): AvailabilitySummary {
  const horizon = new Date(instantOf(now, "now").epochMilliseconds + LOOKAHEAD_DAYS * DAY_MS);
  const next = availableRanges(availability, now, horizon)[0];
  return {
    timezone: availability.timezone,
    availableNow: isAvailableAt(availability, now),
    nextAvailableAt: next ? next.start.toISOString() : null,
  };
}
