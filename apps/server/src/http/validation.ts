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

/** Parses one part of a request with its contract; failures become a 400 naming every bad field. */
export function parseInput<T>(schema: z.ZodType<T>, value: unknown, location: Location): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const errors = fieldErrors(result.error, location);
  const first = errors[0];
  const detail = first
    ? `${first.path === "" ? location : first.path}: ${first.message}${errors.length > 1 ? ` (and ${errors.length - 1} more)` : ""}`
    : "The request is not valid";
  throw new AppError(coreErrors.validation, detail, { errors });
}
