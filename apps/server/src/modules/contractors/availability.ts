import { z } from "zod";

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;
const LOOKAHEAD_DAYS = 14;
/**
 * Offsets are sampled this far apart to find transitions. Real zones never change offset twice within
 * a few hours, so a transition cannot hide between two samples.
 */
const TRANSITION_PROBE_MS = 6 * HOUR_MS;

const dayNames = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"] as const;

const startPattern = /^(?:[01]\d|2[0-3]):[0-5]\d$/;
const endPattern = /^(?:(?:[01]\d|2[0-3]):[0-5]\d|24:00)$/;
const datePattern = /^(\d{4})-(\d{2})-(\d{2})$/;
// Intl also accepts offsets such as "+01:00" on newer Node versions; those are not zone names and would
// freeze a contractor's hours at one offset across DST.
const zoneNamePattern = /^[A-Za-z][A-Za-z0-9_+\-/]*$/;

const formatters = new Map<string, Intl.DateTimeFormat>();
// Names are user input and Intl accepts any letter case, so the cache would otherwise grow without bound.
const MAX_CACHED_ZONES = 1000;

/** Throws a RangeError for a zone Intl does not know. */
function formatterFor(zone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(zone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      calendar: "gregory",
      numberingSystem: "latn",
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    if (formatters.size >= MAX_CACHED_ZONES) formatters.clear();
    formatters.set(zone, formatter);
  }
  return formatter;
}

/** Whether `name` is an IANA time zone name (e.g. `Europe/London`, `UTC`) that Intl knows. */
export function validTimeZone(name: string): boolean {
  if (name.length > 64 || !zoneNamePattern.test(name)) return false;
  try {
    formatterFor(name);
    return true;
  } catch {
    return false;
  }
}

/** Milliseconds at 00:00 UTC of a proleptic Gregorian date; unlike Date.UTC, years 0–99 are taken literally. */
function epochMsOfDate(year: number, month: number, day: number): number {
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  return date.getTime();
}

/**
 * The local wall-clock time of an instant, expressed as milliseconds since 1970-01-01T00:00 of the same
 * wall clock, so that date arithmetic can be done in UTC.
 */
function wallClockMs(zone: string, instantMs: number): number {
  let year = 1970;
  let month = 1;
  let day = 1;
  let hour = 0;
  let minute = 0;
  let second = 0;
  for (const part of formatterFor(zone).formatToParts(instantMs)) {
    const value = Number(part.value);
    if (part.type === "year") year = value;
    else if (part.type === "month") month = value;
    else if (part.type === "day") day = value;
    else if (part.type === "hour") hour = value;
    else if (part.type === "minute") minute = value;
    else if (part.type === "second") second = value;
  }
  const millis = ((instantMs % 1000) + 1000) % 1000;
  return epochMsOfDate(year, month, day) + hour * HOUR_MS + minute * MINUTE_MS + second * 1000 + millis;
}

function offsetMs(zone: string, instantMs: number): number {
  return wallClockMs(zone, instantMs) - instantMs;
}

/** A stretch of time during which the zone keeps one UTC offset. */
interface OffsetSegment {
  start: number;
  end: number;
  offset: number;
}

/** Splits [from, to) at the zone's offset transitions. */
function offsetSegments(zone: string, from: number, to: number): OffsetSegment[] {
  const segments: OffsetSegment[] = [];
  let segmentStart = from;
  let offset = offsetMs(zone, from);
  let cursor = from;
  while (cursor < to) {
    const probe = Math.min(cursor + TRANSITION_PROBE_MS, to);
    if (offsetMs(zone, probe) === offset) {
      cursor = probe;
      continue;
    }
    let before = cursor;
    let after = probe;
    while (after - before > 1) {
      const middle = Math.floor((before + after) / 2);
      if (offsetMs(zone, middle) === offset) before = middle;
      else after = middle;
    }
    segments.push({ start: segmentStart, end: after, offset });
    segmentStart = after;
    cursor = after;
    offset = offsetMs(zone, after);
  }
  segments.push({ start: segmentStart, end: to, offset });
  return segments.filter((segment) => segment.start < segment.end);
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** Days since 1970-01-01 of a `YYYY-MM-DD` calendar date, or undefined if it is not one. */
function parseDate(date: string): number | undefined {
  const match = datePattern.exec(date);
  if (!match) return undefined;
  const year = Number(match[1]);
  const month = Number(match[2]);
  const day = Number(match[3]);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  return epochMsOfDate(year, month, day) / DAY_MS;
}

function formatDate(epochDay: number): string {
  return new Date(epochDay * DAY_MS).toISOString().slice(0, 10);
}

function weekdayOf(epochDay: number): number {
  // 1970-01-01 was a Thursday.
  return (((epochDay + 4) % 7) + 7) % 7;
}

function startMinutes(time: string | undefined): number | undefined {
  if (time === undefined || !startPattern.test(time)) return undefined;
  return Number(time.slice(0, 2)) * 60 + Number(time.slice(3, 5));
}

function endMinutes(time: string | undefined): number | undefined {
  if (time === undefined || !endPattern.test(time)) return undefined;
  return Number(time.slice(0, 2)) * 60 + Number(time.slice(3, 5));
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
  .refine(validTimeZone, "must be an IANA time zone name, e.g. Europe/London")
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
  .refine((date) => parseDate(date) !== undefined, "must be a calendar date YYYY-MM-DD");

const weeklyRangeBody = z
  .strictObject({ day: daySchema, start: startSchema, end: endSchema })
  .superRefine((range, ctx) => {
    const start = startMinutes(range.start);
    const end = endMinutes(range.end);
    if (start !== undefined && end !== undefined && start >= end) {
      ctx.addIssue({ code: "custom", path: ["end"], message: "must be after start" });
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
          ctx.addIssue({ code: "custom", path: [key], message: "must be absent when available is false" });
        }
      }
      return;
    }
    for (const key of ["start", "end"] as const) {
      if (exception[key] === undefined) {
        ctx.addIssue({ code: "custom", path: [key], message: "is required when available is true" });
      }
    }
    const start = startMinutes(exception.start);
    const end = endMinutes(exception.end);
    if (start !== undefined && end !== undefined && start >= end) {
      ctx.addIssue({ code: "custom", path: ["end"], message: "must be after start" });
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
          ctx.addIssue({ code: "custom", path: [index], message });
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
    weekly: z.array(z.object({ day: daySchema, start: startSchema, end: endSchema })),
    exceptions: z
      .array(
        z.object({
          date: dateSchema,
          available: z.boolean(),
          start: startSchema.optional(),
          end: endSchema.optional(),
        }),
      )
      .optional(),
  })
  .meta({ id: "Availability" });

export type Availability = z.infer<typeof availabilitySchema>;

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

function rangesOn(availability: Availability, exceptions: ExceptionIndex, epochDay: number): MinuteRange[] {
  const special = exceptions.get(formatDate(epochDay));
  if (special) return special;
  const weekday = weekdayOf(epochDay);
  const ranges: MinuteRange[] = [];
  for (const range of availability.weekly) {
    const span = range.day === weekday ? minuteRange(range) : undefined;
    if (span) ranges.push(span);
  }
  return ranges;
}

function instantMs(date: Date, name: string): number {
  const ms = date.getTime();
  if (Number.isNaN(ms)) throw new RangeError(`${name} is not a valid date`);
  return ms;
}

/**
 * Whether the contractor is available at `instant`: its wall-clock date and time in the contractor's zone
 * fall inside one of that date's ranges (its exceptions if it has any, else the weekly ranges of its weekday).
 */
export function isAvailableAt(availability: Availability, instant: Date): boolean {
  const wall = wallClockMs(availability.timezone, instantMs(instant, "instant"));
  const epochDay = Math.floor(wall / DAY_MS);
  const minute = (wall - epochDay * DAY_MS) / MINUTE_MS;
  return rangesOn(availability, indexExceptions(availability), epochDay).some(
    (range) => range.start <= minute && minute < range.end,
  );
}

/**
 * The UTC instant at which the zone's wall clock reads `time` on `date`. A wall time skipped by a
 * spring-forward gap gives the first instant after the gap; one repeated by a fall-back gives the earlier.
 * `time` may be 24:00, the start of the next day.
 */
export function zonedTimeToUtc(date: string, time: string, zone: string): Date {
  const epochDay = parseDate(date);
  if (epochDay === undefined) throw new RangeError(`${date} is not a calendar date YYYY-MM-DD`);
  const minutes = endMinutes(time);
  if (minutes === undefined) throw new RangeError(`${time} is not a time HH:MM`);
  if (!validTimeZone(zone)) throw new RangeError(`${zone} is not a time zone`);
  const wall = epochDay * DAY_MS + minutes * MINUTE_MS;

  // Reading the wall time as UTC is off by at most a day, so the offsets a day either side of it are the
  // ones in force before and after any transition near the answer.
  const offsets = [...new Set([-DAY_MS, 0, DAY_MS].map((shift) => offsetMs(zone, wall + shift)))];
  const matches = offsets
    .map((offset) => wall - offset)
    .filter((guess) => offsetMs(zone, guess) === wall - guess);
  if (matches.length > 0) return new Date(Math.min(...matches));

  // In a gap the wall clock jumps past `wall`; find the instant where it does.
  let before = wall - Math.max(...offsets);
  let after = wall - Math.min(...offsets);
  while (after - before > 1) {
    const middle = Math.floor((before + after) / 2);
    if (wallClockMs(zone, middle) >= wall) after = middle;
    else before = middle;
  }
  return new Date(after);
}

export interface AvailableRange {
  start: Date;
  end: Date;
}

/**
 * Every interval of [from, to) during which `isAvailableAt` holds, in order, adjacent intervals merged.
 * Worked out per stretch of constant UTC offset, so a range that crosses a transition keeps its real
 * length (00:00–03:00 on a spring-forward day lasts two hours) and a wall time repeated by a fall-back
 * counts both times.
 */
export function availableRanges(availability: Availability, from: Date, to: Date): AvailableRange[] {
  const fromMs = instantMs(from, "from");
  const toMs = instantMs(to, "to");
  if (fromMs >= toMs) return [];
  const segments = offsetSegments(availability.timezone, fromMs, toMs);
  const exceptions = indexExceptions(availability);

  const firstDay = Math.floor(Math.min(...segments.map((s) => s.start + s.offset)) / DAY_MS);
  const lastDay = Math.floor(Math.max(...segments.map((s) => s.end + s.offset)) / DAY_MS);
  const intervals: { start: number; end: number }[] = [];
  for (let epochDay = firstDay; epochDay <= lastDay; epochDay++) {
    for (const range of rangesOn(availability, exceptions, epochDay)) {
      const wallStart = epochDay * DAY_MS + range.start * MINUTE_MS;
      const wallEnd = epochDay * DAY_MS + range.end * MINUTE_MS;
      for (const segment of segments) {
        const start = Math.max(segment.start, wallStart - segment.offset);
        const end = Math.min(segment.end, wallEnd - segment.offset);
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
  const horizon = new Date(instantMs(now, "now") + LOOKAHEAD_DAYS * DAY_MS);
  const next = availableRanges(availability, now, horizon)[0];
  return {
    timezone: availability.timezone,
    availableNow: isAvailableAt(availability, now),
    nextAvailableAt: next ? next.start.toISOString() : null,
  };
}
