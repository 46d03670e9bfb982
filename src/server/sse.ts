import type { OutgoingHttpHeaders } from "node:http";
import type { FastifyReply, FastifyRequest } from "fastify";
import { isWardenError } from "../errors.js";

/** One Server-Sent Event. `data` is sent as JSON unless it is already a string. */
export interface SseMessage {
  id?: number | string;
  event?: string;
  data: unknown;
}

/** A hijacked reply that writes Server-Sent Events. Writes after the client left are dropped, never thrown. */
export interface EventStream {
  send(message: SseMessage): void;
  /** A comment line (`: text`), ignored by clients; keeps proxies from closing an idle stream. */
  comment(text: string): void;
  /** Ends the response (idempotent). */
  end(): void;
  /** True once the client disconnected or the stream was ended. */
  readonly closed: boolean;
}

export interface EventStreamOptions {
  /** Interval of keep-alive comments in ms (default 15 s). */
  keepAliveMs?: number;
}

/** Serialises one event: `id:`, `event:`, then one `data:` line per line of the payload, then a blank line. */
export function formatSseMessage(message: SseMessage): string {
  let text = "";
  if (message.id !== undefined) text += `id: ${oneLine(String(message.id))}\n`;
  if (message.event !== undefined) text += `event: ${oneLine(message.event)}\n`;
  const data = typeof message.data === "string" ? message.data : JSON.stringify(message.data);
  for (const line of data.split(/\r\n|\r|\n/)) text += `data: ${line}\n`;
  return `${text}\n`;
}

function oneLine(text: string): string {
  return text.replace(/[\r\n]/g, " ");
}

/** True when the client asked for an event stream (`Accept: text/event-stream`). */
export function wantsEventStream(request: FastifyRequest): boolean {
  return (request.headers.accept ?? "").toLowerCase().includes("text/event-stream");
}

/** The error body streamed as an `error` event when a stream fails after it started (status is already 200). */
export function streamErrorBody(error: unknown): { error: { code: string; message: string } } {
  if (isWardenError(error)) return { error: { code: error.code, message: error.message } };
  return { error: { code: "INTERNAL", message: "An unexpected server error ended the stream." } };
}

/**
 * Takes the reply over from Fastify (`reply.hijack()`) and opens an SSE response on the raw socket. Headers
 * plugins already set on the reply (request id, rate-limit headers) are kept. The stream notices a client that
 * disconnects and stops writing; whatever produces the events (a run) is not interrupted.
 */
export function openEventStream(reply: FastifyReply, options: EventStreamOptions = {}): EventStream {
  reply.hijack();
  const raw = reply.raw;
  let closed = false;
  const headers: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(reply.getHeaders())) {
    if (value !== undefined && name !== "content-length") headers[name] = value;
  }
  raw.writeHead(200, {
    ...headers,
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache, no-transform",
    connection: "keep-alive",
    "x-accel-buffering": "no", // nginx: do not buffer the stream
  });
  const keepAlive = setInterval(() => write(": keep-alive\n\n"), options.keepAliveMs ?? 15_000);
  keepAlive.unref();
  const stop = () => {
    closed = true;
    clearInterval(keepAlive);
  };
  raw.on("close", stop);
  raw.on("error", stop); // a reset socket: nothing to report to anyone, the producer goes on
  function write(text: string): void {
    if (closed || raw.destroyed || raw.writableEnded) return;
    raw.write(text);
  }
  write(": stream opened\n\n"); // sends the headers now, so the client sees the stream start at once
  return {
    send: (message) => write(formatSseMessage(message)),
    comment: (text) => write(`: ${oneLine(text)}\n\n`),
    end() {
      if (!raw.writableEnded && !raw.destroyed) raw.end();
      stop();
    },
    get closed() {
      return closed || raw.destroyed || raw.writableEnded;
    },
  };
}
