import { Writable } from "node:stream";
import { pino } from "pino";

/** A real pino logger whose lines are kept in memory, to see what the logs would hold. */
export function capturedLogger() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return {
    logger: pino({ level: "trace" }, stream),
    text: () => lines.join(""),
    /** The JSON lines logged so far whose `msg` is `message`. */
    entries: (message: string): Record<string, unknown>[] =>
      lines
        .join("")
        .split("\n")
        .filter((line) => line.length > 0)
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .filter((entry) => entry.msg === message),
  };
}
