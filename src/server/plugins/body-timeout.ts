import { PassThrough } from "node:stream";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { WardenError } from "../../errors.js";
import { unencapsulated } from "./unencapsulated.js";

/** True when the request announces a body (a length above 0, or chunked) that has not fully arrived yet. */
function awaitsBody(request: FastifyRequest): boolean {
  if (request.raw.complete) return false;
  const length = Number(request.headers["content-length"] ?? 0);
  return request.headers["transfer-encoding"] !== undefined || length > 0;
}

/**
 * A deadline for reading the request body: a body still incomplete `timeoutMs` after the route started reading
 * it (after auth) is 408 REQUEST_TIMEOUT in the API's error shape, with `Connection: close`, so the socket is
 * closed and its buffers freed. The timer stops when the body has arrived: the response (a long run, an event
 * stream) is not bounded by it. Node's request deadline (request-timeouts.ts) remains the backstop for
 * requests no route reads.
 */
export const bodyTimeoutPlugin = unencapsulated<{ timeoutMs: number }>("warden-body-timeout", async (app: FastifyInstance, { timeoutMs }) => {
  app.addHook("preParsing", async (request, reply, payload) => {
    if (!awaitsBody(request)) return payload;
    const body = new PassThrough();
    const timer = setTimeout(() => {
      reply.header("connection", "close");
      payload.unpipe(body);
      body.destroy(new WardenError("REQUEST_TIMEOUT", `The request body did not arrive within ${timeoutMs} ms; the connection is closed.`));
    }, timeoutMs);
    const stop = () => clearTimeout(timer);
    payload.once("end", stop);
    payload.once("close", stop);
    body.once("close", stop);
    // pipe() does not pass errors on: a client that aborts must still end the parser's read.
    payload.once("error", (error) => {
      stop();
      body.destroy(error);
    });
    payload.pipe(body);
    return body;
  });
});
