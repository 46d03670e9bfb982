import { STATUS_CODES } from "node:http";
import type { Socket } from "node:net";
import type { FastifyInstance, FastifyServerOptions } from "fastify";
import { WardenError } from "../../errors.js";
import { toErrorReply } from "../error-response.js";

/** How long a client has to send a request; see docs/api.md ("Timeouts"). */
export interface RequestTimeoutOptions {
  /**
   * Time to receive a whole request, headers and body, counted from its first byte (Node's `requestTimeout`).
   * A connection still sending after it gets 408 REQUEST_TIMEOUT and is closed. Default 60 s.
   */
  requestTimeoutMs?: number;
  /**
   * Time to read a request body once a route starts reading it (after auth). Default 30 s. Neither deadline
   * applies to the response: a long run or an event stream is never cut by them.
   */
  bodyTimeoutMs?: number;
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;
export const DEFAULT_BODY_TIMEOUT_MS = 30_000;
/** Node's default header deadline; a shorter request deadline lowers it (Node refuses headers > request). */
const HEADERS_TIMEOUT_MS = 60_000;

/**
 * Node checks its header and request deadlines only every `connectionsCheckingInterval` (30 s by default),
 * so a stalled socket could outlive its deadline by that much: check at a quarter of the deadline, at most
 * once a second, at least every 10 ms.
 */
function checkingIntervalOf(requestTimeoutMs: number): number {
  return Math.min(1_000, Math.max(10, Math.floor(requestTimeoutMs / 4)));
}

type ClientErrorHandler = NonNullable<FastifyServerOptions["clientErrorHandler"]>;

/** What Node reports on a connection, as an error the API's error mapping understands. */
function clientErrorOf(error: NodeJS.ErrnoException): unknown {
  if (error.code === "ERR_HTTP_REQUEST_TIMEOUT") return new WardenError("REQUEST_TIMEOUT", "The request did not arrive in time; the connection is closed.");
  if (error.code === "HPE_HEADER_OVERFLOW") return { statusCode: 431 };
  return new WardenError("VALIDATION_FAILED", "The request is not valid HTTP.");
}

/**
 * Answers errors Node raises on a connection before any route runs (a request past its deadline, a malformed
 * request line, oversized headers) in the API's error shape, then closes the socket. Fastify's default
 * answers in another shape.
 */
const clientErrorHandler: ClientErrorHandler = function (this: FastifyInstance, error: NodeJS.ErrnoException, socket: Socket) {
  if (error.code === "ECONNRESET" || socket.destroyed) return;
  const mapped = toErrorReply(clientErrorOf(error));
  // Timeouts at info (an operator sees slow or stalled clients); other garbage (scanners) only at debug.
  const level = error.code === "ERR_HTTP_REQUEST_TIMEOUT" ? "info" : "debug";
  this.log[level]({ code: mapped.body.error.code, status: mapped.statusCode, remote_address: socket.remoteAddress }, "client error: connection closed");
  // Like Node itself: answer only when no response is under way on this socket (its bytes would be corrupted).
  const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } | null })._httpMessage;
  if (socket.writable && !inFlight?.headersSent) {
    const body = JSON.stringify(mapped.body);
    socket.write(
      `HTTP/1.1 ${mapped.statusCode} ${STATUS_CODES[mapped.statusCode] ?? "Error"}\r\n` +
        `content-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
};

/**
 * The Fastify constructor options that bound how long a client may take to send a request: Node's request
 * and header deadlines (Fastify turns the request deadline off by default, so a socket that sends half a body
 * and goes quiet was held forever), how often Node checks them, and the handler that answers the ones that
 * expire. The body deadline is a plugin (body-timeout.ts).
 */
export function requestTimeoutServerOptions(requestTimeoutMs: number = DEFAULT_REQUEST_TIMEOUT_MS) {
  const headersTimeout = Math.min(HEADERS_TIMEOUT_MS, requestTimeoutMs);
  return {
    requestTimeout: requestTimeoutMs,
    http: { requestTimeout: requestTimeoutMs, headersTimeout, connectionsCheckingInterval: checkingIntervalOf(requestTimeoutMs) },
    clientErrorHandler,
  } satisfies Pick<FastifyServerOptions, "requestTimeout" | "clientErrorHandler"> & { http: object };
}
