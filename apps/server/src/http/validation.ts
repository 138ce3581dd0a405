import type { z } from "zod";
import { AppError, coreErrors, type FieldError } from "./errors.js";

export type Location = FieldError["in"];

export function fieldErrors(error: z.ZodError, location: Location): FieldError[] {
  return error.issues.map((issue) => ({
    path: issue.path.map(String).join("."),
    message: issue.message,
    in: location,
  }));
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
      withNul.map((path) => ({ path, message: nulMessage, in: location })),
      location,
    );
  }
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw invalid(fieldErrors(result.error, location), location);
}

function invalid(errors: FieldError[], location: Location): AppError {
  const first = errors[0];
  const detail = first
    ? `${first.path === "" ? location : first.path}: ${first.message}${errors.length > 1 ? ` (and ${errors.length - 1} more)` : ""}`
    : "The request is not valid";
  return new AppError(coreErrors.validation, detail, { errors });
}
