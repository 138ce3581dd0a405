/** The PostgreSQL error behind a failed query, unwrapping Drizzle's wrapper. */
function pgError(error: unknown): { code?: string; constraint?: string } | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current; depth += 1) {
    if (typeof current === "object" && current !== null && "code" in current && "severity" in current) {
      return current as { code?: string; constraint?: string };
    }
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** True when the error is a unique-constraint violation of `constraint` (SQLSTATE 23505). */
export function isUniqueViolation(error: unknown, constraint: string): boolean {
  const cause = pgError(error);
  return cause?.code === "23505" && cause.constraint === constraint;
}

/**
 * Why a failed database call failed when the fault is the database's availability rather than the request:
 * `unavailable` when it cannot be reached or is shutting down, `busy` when it (or our pool) is overloaded.
 * Undefined for every other error, which stays a bug to log.
 */
export function databaseFault(error: unknown): "unavailable" | "busy" | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && typeof current === "object" && current !== null; depth += 1) {
    const { code, message } = current as { code?: unknown; message?: unknown };
    if (typeof code === "string") {
      // 57P01-57P03: administrator, crash or start-up shutdown; class 08: the connection failed.
      if (/^57P0[123]$/.test(code) || code.startsWith("08")) return "unavailable";
      // 57014: the statement timeout cancelled a query; 53300: PostgreSQL has no connection slot left.
      if (code === "57014" || code === "53300") return "busy";
      if (["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EHOSTUNREACH", "ENOTFOUND", "EPIPE"].includes(code)) {
        return "unavailable";
      }
    }
    if (typeof message === "string") {
      // pg-pool's message when every pooled connection stayed busy for the whole connect timeout.
      if (message === "timeout exceeded when trying to connect") return "busy";
      if (/^Connection terminated/.test(message)) return "unavailable";
    }
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}
