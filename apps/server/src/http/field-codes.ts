/**
 * The codes of `errors[]` entries in a problem: what is wrong with one field, for apps to switch on (and
 * localise) rather than parse the English message. Declared once here; the OpenAPI `Problem` schema lists
 * them as an enum, so adding one is a change of the documented contract.
 */
export const fieldCodes = [
  /** Missing, or sent as null where a value is needed. */
  "required",
  /** Text, or a list, shorter than allowed (`minimum` in the message). */
  "too_short",
  /** Text, or a list, longer than allowed. */
  "too_long",
  /** A number or date below its lower bound. */
  "too_small",
  /** A number or date above its upper bound. */
  "too_big",
  /** A value of another JSON type (a string where a number belongs). */
  "invalid_type",
  /** Text that does not have the expected form: email, UUID, date-time, phone number, … */
  "invalid_format",
  /** A value outside the allowed set (an enum), or otherwise not acceptable for this field. */
  "invalid_value",
  /** A password that is common or easy to guess. */
  "too_common",
  /** A body field or query parameter this route does not know (`path` names it). */
  "unknown_field",
  /** A list that names the same thing twice. */
  "not_unique",
  /** Text holding the NUL character (U+0000), which is never accepted. */
  "nul_character",
  /** Acceptable only together with another field that is missing (`radiusKm` without `lat`/`lng`). */
  "needs_other_field",
  /** A value someone else already holds, such as a registered email. */
  "already_taken",
  /** A secret that does not match, such as the current password. */
  "incorrect",
  /** A time range that overlaps another one of the same list. */
  "overlaps",
  /** A field that must be left out given another field's value (hours on a day off). */
  "not_allowed",
  /** An id or slug that names nothing the caller may use. */
  "not_found",
  /** A file already attached elsewhere. */
  "in_use",
] as const;

export type FieldCode = (typeof fieldCodes)[number];

export function isFieldCode(value: unknown): value is FieldCode {
  return typeof value === "string" && (fieldCodes as readonly string[]).includes(value);
}
