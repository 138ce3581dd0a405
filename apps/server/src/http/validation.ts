import { z } from "zod";
import { AppError, coreErrors, type FieldError } from "./errors.js";
import { type FieldCode, isFieldCode } from "./field-codes.js";

export type Location = FieldError["in"];

type Issue = z.core.$ZodIssue;

/** "a" or "an", by the sound of the word's first letter (good enough for the words our messages use). */
export function article(word: string): string {
  return `${/^[aeiou]/i.test(word) ? "an" : "a"} ${word}`;
}

function plural(count: number | bigint, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 || count === 1n ? one : many}`;
}

/** A list of allowed values as a person writes it: `a, b or c`. */
function oneOf(values: readonly unknown[]): string {
  const shown = values.map((value) => (typeof value === "string" ? value : JSON.stringify(value)));
  return shown.length <= 1 ? (shown[0] ?? "") : `${shown.slice(0, -1).join(", ")} or ${shown.at(-1)}`;
}

const typeMessages: Record<string, string> = {
  string: "must be text",
  number: "must be a number",
  int: "must be a whole number",
  bigint: "must be a whole number",
  boolean: "must be true or false",
  object: "must be an object",
  array: "must be a list",
  date: "must be a date",
};

const formatMessages: Record<string, string> = {
  email: "must be an email address",
  uuid: "must be an id (a UUID)",
  guid: "must be an id (a UUID)",
  datetime: "must be an ISO 8601 date-time, e.g. 2026-03-29T09:30:00Z",
  date: "must be a date as YYYY-MM-DD",
  time: "must be a time as HH:MM",
  url: "must be a URL",
  regex: "is not in the expected form",
};

/** Text and lists have a length; numbers and dates have a size. */
function isLength(origin: string): boolean {
  return origin === "string" || origin === "array" || origin === "set" || origin === "file";
}

function unitOf(origin: string, count: number | bigint): string {
  if (origin === "string") return plural(count, "character");
  if (origin === "file") return plural(count, "byte");
  return plural(count, "item");
}

/** The code apps switch on, for one zod issue (unknown keys are split per key before this). */
function codeOf(issue: Issue): FieldCode {
  if (issue.code !== "custom" && issue.input === undefined) return "required";
  switch (issue.code) {
    case "invalid_type":
      return issue.input === null ? "required" : "invalid_type";
    case "too_small":
      return isLength(issue.origin) ? "too_short" : "too_small";
    case "too_big":
      return isLength(issue.origin) ? "too_long" : "too_big";
    case "invalid_format":
      return "invalid_format";
    case "unrecognized_keys":
      return "unknown_field";
    case "custom":
      // Refinements name their code in `params` (`.refine(check, { message, params: { code } })`).
      return isFieldCode(issue.params?.code) ? issue.params.code : "invalid_value";
    default:
      return "invalid_value";
  }
}

/**
 * The message for people when the schema gave none: relative to the field, never the validator's own text
 * ("Too big: expected number to be <=90" becomes "must be at most 90").
 */
function humanMessage(issue: z.core.$ZodRawIssue): string {
  if (issue.code !== "custom" && issue.input === undefined) return "is required";
  switch (issue.code) {
    case "invalid_type": {
      if (issue.input === null) return "is required";
      return typeMessages[issue.expected] ?? `must be ${article(issue.expected)}`;
    }
    case "too_small": {
      const { minimum, origin } = issue;
      if (isLength(origin)) {
        if (issue.exact) return `must be exactly ${unitOf(origin, minimum)}`;
        if (minimum === 1 && origin === "string") return "must not be empty";
        if (minimum === 1) return "must have at least one item";
        return `must have at least ${unitOf(origin, minimum)}`;
      }
      return issue.inclusive === false ? `must be more than ${minimum}` : `must be at least ${minimum}`;
    }
    case "too_big": {
      const { maximum, origin } = issue;
      if (isLength(origin)) {
        if (issue.exact) return `must be exactly ${unitOf(origin, maximum)}`;
        return `must have at most ${unitOf(origin, maximum)}`;
      }
      return issue.inclusive === false ? `must be less than ${maximum}` : `must be at most ${maximum}`;
    }
    case "invalid_format":
      return formatMessages[issue.format] ?? `must be ${article(issue.format)}`;
    case "invalid_value":
      return issue.values.length === 1
        ? `must be ${oneOf(issue.values)}`
        : `must be one of ${oneOf(issue.values)}`;
    case "not_multiple_of":
      return `must be a multiple of ${issue.divisor}`;
    case "unrecognized_keys":
      return "is not a field of this request";
    default:
      return "is not valid";
  }
}

/**
 * `schema` or null, for a schema with a component id (`.meta({ id })`). zod-to-openapi carries the id over to
 * `.nullable()`, so the named component itself would allow null (and with it every list of it, in generated
 * clients) or the nullable field would forbid null (`allOf` with the component); a union keeps the component
 * non-null and documents the field as `anyOf: [component, null]`. Its errors read as the schema's own
 * (`fieldErrors`).
 */
export function orNull<T extends z.ZodType>(schema: T): z.ZodUnion<[T, z.ZodNull]> {
  return z.union([schema, z.null()]);
}

/**
 * A yes/no query parameter: `true`/`false`, or `1`/`0` as many HTTP clients write booleans. Nothing else, so
 * `yes` or an empty value is a 400 rather than a guess.
 */
export function queryBoolean() {
  return z
    .enum(["true", "false", "1", "0"], "must be true or false (or 1 or 0)")
    .transform((value) => value === "true" || value === "1");
}

/** Where PostgreSQL's ISO dates begin: the ISO year 0 (1 BC) is one it stores under another spelling. */
const earliestStorable = Date.parse("0001-01-01T00:00:00Z");

/** Whether PostgreSQL can store and compare `instant` as written (from year 1 on). */
export function isStorableInstant(instant: Date): boolean {
  return instant.getTime() >= earliestStorable;
}

const instantMessage = "must be an ISO 8601 date-time with an offset, e.g. 2026-03-29T09:30:00Z";

/**
 * An instant in a body or a query: an ISO 8601 date-time with an offset that names a real moment (not
 * 30 February), from year 1 on; before it (year 0, or year 1 shifted back by its offset) the value would fail
 * in the database as a 500. Stays a string: add `.transform((value) => new Date(value))` for a Date.
 */
export function isoInstant() {
  return z.iso
    .datetime({ offset: true, message: instantMessage })
    .refine((value) => !Number.isNaN(Date.parse(value)), {
      message: instantMessage,
      params: { code: "invalid_format" },
    })
    .refine((value) => isStorableInstant(new Date(value)), {
      message: "must be in year 1 or later",
      params: { code: "too_small" },
    });
}

function joinPath(path: readonly PropertyKey[]): string {
  return path.map(String).join(".");
}

/** Maps zod issues to field errors: the one place validator output becomes what apps read. */
export function fieldErrors(error: z.ZodError, location: Location): FieldError[] {
  return error.issues.flatMap((issue): FieldError[] => {
    if (issue.code === "invalid_union") {
      // `orNull(schema)`: the value is neither null nor valid, so say what is wrong with it as the schema.
      const branches = issue.errors.filter(
        (branch) =>
          !(branch.length === 1 && branch[0]?.code === "invalid_type" && branch[0].expected === "null"),
      );
      if (branches.length === 1 && issue.errors.length === 2) {
        const inner = (branches[0] ?? []).map((nested) => ({
          ...nested,
          path: [...issue.path, ...nested.path],
        }));
        return fieldErrors(new z.ZodError(inner), location);
      }
    }
    if (issue.code === "unrecognized_keys") {
      // One entry per unknown key, naming it, so an app can point at the field it should not have sent.
      return issue.keys.map((key) => ({
        path: joinPath([...issue.path, key]),
        code: "unknown_field",
        message: location === "query" ? "is not a parameter of this route" : "is not a field of this request",
        in: location,
      }));
    }
    const code = codeOf(issue);
    // A missing value reads "is required" even where the schema's own message describes a bad one.
    const message = code === "required" && issue.code !== "custom" ? "is required" : issue.message;
    return [{ path: joinPath(issue.path), code, message, in: location }];
  });
}

const nulMessage = "must not contain the NUL character (\\u0000)";

/**
 * Paths of every string (value or key) holding a NUL character. PostgreSQL text cannot store NUL, so such a
 * value would fail in the database as a 500; it is refused here for every field of every route at once.
 * Walked with a stack rather than recursion, so a deeply nested body cannot overflow the call stack.
 */
export function nulPaths(root: unknown): string[] {
  // Each entry keeps its key and its parent, not a copy of the whole path: copying would make a deeply
  // nested body cost the square of its depth.
  interface Step {
    key: string;
    parent: Step | undefined;
  }
  const pathOf = (step: Step | undefined): string => {
    const keys: string[] = [];
    for (let at = step; at; at = at.parent) keys.push(at.key.replaceAll("\u0000", "\\u0000"));
    return keys.reverse().join(".");
  };
  const found: string[] = [];
  const pending: [unknown, Step | undefined][] = [[root, undefined]];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [value, step] = next;
    if (typeof value === "string") {
      if (value.includes("\u0000")) found.push(pathOf(step));
    } else if (typeof value === "object" && value !== null) {
      for (const [key, item] of Object.entries(value)) {
        const child = { key, parent: step };
        if (key.includes("\u0000")) found.push(pathOf(child));
        else pending.push([item, child]);
      }
    }
  }
  return found.sort();
}

/** Parses one part of a request with its contract; failures become a 400 naming every bad field. */
export function parseInput<T>(schema: z.ZodType<T>, value: unknown, location: Location): T {
  const withNul = nulPaths(value);
  if (withNul.length > 0) {
    throw invalid(
      withNul.map((path) => ({ path, code: "nul_character", message: nulMessage, in: location })),
      location,
    );
  }
  // Parse options only shape the issues, and zod copies them into every parse: on Node 20 that copy costs
  // four times the parse of a chat message itself. Valid input is parsed without them; invalid input again
  // with them, for the answer. reportInput keeps each issue's input, which tells a missing field from a wrong
  // one; it never reaches the answer. Messages the schema gives win over humanMessage, which fills in the rest.
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const result = schema.safeParse(value, { reportInput: true, error: humanMessage });
  if (result.success) throw new Error("a value failed to parse, then parsed with the issue options");
  throw invalid(fieldErrors(result.error, location), location);
}

function invalid(errors: FieldError[], location: Location): AppError {
  const first = errors[0];
  const detail = first
    ? `${first.path === "" ? location : first.path}: ${first.message}${errors.length > 1 ? ` (and ${errors.length - 1} more)` : ""}`
    : "The request is not valid";
  return new AppError(coreErrors.validation, detail, { errors });
}
