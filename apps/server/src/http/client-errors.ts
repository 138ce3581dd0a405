import { randomUUID } from "node:crypto";
import { type Server, STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
import type { Logger } from "../logger.js";
import { AppError, coreErrors, toProblem } from "./errors.js";

/** Node's HTTP parser error codes, as our errors. */
function refusalOf(code: string | undefined): AppError {
  switch (code) {
    case "HPE_HEADER_OVERFLOW":
      return new AppError(coreErrors.headersTooLarge, "Send a shorter URL and fewer or shorter headers");
    case "HPE_CHUNK_EXTENSIONS_OVERFLOW":
      return new AppError(coreErrors.tooLarge, "The chunk extensions of the body are too large");
    case "ERR_HTTP_REQUEST_TIMEOUT":
      return new AppError(coreErrors.requestTimeout, "The request did not arrive whole in time");
    default:
      return new AppError(coreErrors.malformedRequest, "The request line or a header could not be parsed");
  }
}

/**
 * Answers the requests Node's HTTP parser refuses before the app sees them (a URL and headers over
 * `maxHeaderSize`, a malformed request line or header, a request past Node's deadline) in the API's error
 * format. Node's own answer is a bare status line without a body, which a client that switches on `code`
 * cannot read. As Node does, it answers only where no response has started on the connection (a second
 * answer would corrupt it), then closes the connection: what follows on it cannot be parsed.
 */
export function answerClientErrors(server: Server, logger: Logger): void {
  server.on("clientError", (error: Error & { code?: string }, socket: Duplex) => {
    // Node's own in-flight response of this connection, where one exists (not part of its typed API).
    const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (error.code !== "ECONNRESET" && socket.writable && !inFlight?.headersSent) {
      const refusal = refusalOf(error.code);
      const id = randomUUID();
      const body = JSON.stringify(toProblem(refusal, id));
      socket.write(
        [
          `HTTP/1.1 ${refusal.status} ${STATUS_CODES[refusal.status]}`,
          "Content-Type: application/problem+json; charset=utf-8",
          `Content-Length: ${Buffer.byteLength(body)}`,
          `X-Request-Id: ${id}`,
          "Connection: close",
          "",
          body,
        ].join("\r\n"),
      );
      // Not the error itself: its `rawPacket` holds the request's bytes, credentials included.
      logger.info(
        { req: { id }, res: { statusCode: refusal.status }, parserError: error.code },
        "request refused by the HTTP parser",
      );
    }
    socket.destroy();
  });
}
