import http, { type IncomingMessage, type OutgoingHttpHeaders } from "node:http";
import https from "node:https";
import type { LookupFunction } from "node:net";
import { performance } from "node:perf_hooks";
import { isWardenError } from "../../errors.js";
import { WebhookDeliveryError } from "./delivery-error.js";
import { responseVerdict } from "./response-verdict.js";
import { signWebhook, type WebhookBody } from "./signature.js";
import { checkWebhookUrl, type WebhookUrlPolicy } from "./url-policy.js";
import { createWebhookLookup, type HostResolver } from "./webhook-lookup.js";

/** The run statuses that send a webhook, as event types (the `Warden-Event` header). */
export const WEBHOOK_EVENT_TYPES = ["run.waiting_approval", "run.completed", "run.denied", "run.escalated", "run.failed"] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

export const WEBHOOK_USER_AGENT = "warden-webhooks/1";

/** The most of a receiver's response body that is read (and discarded) before the connection is dropped. */
const RESPONSE_BODY_LIMIT = 4096;
// setTimeout turns a longer delay into 1 ms.
const MAX_TIMEOUT_MS = 2_147_483_647;

export interface DeliverWebhookInput {
  /** The receiver, checked against `policy` before anything is sent. */
  url: string | URL;
  /** Stable for the event across every attempt: receivers dedupe on it (`Warden-Event-Id`). */
  eventId: string;
  eventType: WebhookEventType;
  /** The JSON text exactly as it goes on the wire; it is signed byte for byte, so serialise once. */
  body: WebhookBody;
  /** The endpoint's signing secret, or the new and old ones while rotating. */
  secret: string | readonly string[];
  policy: WebhookUrlPolicy;
  /** Deadline for the whole attempt: DNS, connect, TLS, request and response. Default 10 000. */
  timeoutMs?: number;
  /** Milliseconds since the epoch (default `Date.now`): the signature's timestamp and `Retry-After` dates. */
  now?: () => number;
  /** How host names are resolved (default the system's `dns.lookup`); a seam for tests. */
  resolve?: HostResolver;
}

export interface WebhookDeliveryResult {
  statusCode: number;
  durationMs: number;
}

/**
 * One delivery attempt: POSTs the signed body once, without following redirects. Resolves on a 2xx; otherwise
 * throws a {@link WebhookDeliveryError} whose `retryable` tells the job engine whether to try again (it owns
 * retries and backoff). Every address connected to is checked against the policy when the socket connects.
 *
 * @example
 * const result = await deliverWebhook({
 *   url: run.webhookUrl,
 *   eventId: `${run.id}:completed`,
 *   eventType: "run.completed",
 *   body: JSON.stringify(run),
 *   secret: tenant.webhookSecret,
 *   policy: parseWebhookUrlPolicy(process.env),
 * });
 */
export async function deliverWebhook(input: DeliverWebhookInput): Promise<WebhookDeliveryResult> {
  const { eventId, eventType, body, secret, policy, timeoutMs = 10_000, now = Date.now } = input;
  if (!/^[\x21-\x7e]{1,200}$/.test(eventId)) {
    // A header value; anything else is a caller bug that no retry would fix.
    throw new RangeError("deliverWebhook: eventId must be 1-200 printable ASCII characters without spaces.");
  }
  const url = checkedUrl(input.url, policy);
  const payload = typeof body === "string" ? Buffer.from(body, "utf8") : body;
  const headers: OutgoingHttpHeaders = {
    "content-type": "application/json",
    "content-length": payload.byteLength,
    "user-agent": WEBHOOK_USER_AGENT,
    "warden-event": eventType,
    "warden-event-id": eventId,
    "warden-signature": signWebhook({ secret, timestamp: Math.floor(now() / 1000), body: payload }),
  };
  const started = performance.now();
  const response = await post(url, payload, headers, {
    timeoutMs: Math.min(Math.max(1, timeoutMs), MAX_TIMEOUT_MS),
    lookup: createWebhookLookup(policy, input.resolve),
  });
  const statusCode = response.statusCode ?? 0;
  const failure = responseVerdict(statusCode, response.headers, now());
  if (failure !== undefined) throw failure;
  return { statusCode, durationMs: performance.now() - started };
}

function checkedUrl(url: string | URL, policy: WebhookUrlPolicy): URL {
  try {
    return checkWebhookUrl(url, policy);
  } catch (error) {
    throw refusal(error);
  }
}

/** Marks the deadline's own abort, to tell it apart from socket errors. */
class DeadlineExceeded extends Error {}

/** Sends the request; resolves with the response head, the body being drained in the background. */
function post(
  url: URL,
  payload: Uint8Array,
  headers: OutgoingHttpHeaders,
  options: { timeoutMs: number; lookup: LookupFunction },
): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const transport = url.protocol === "https:" ? https : http;
    const request = transport.request({
      protocol: url.protocol,
      hostname: url.hostname.replace(/^\[|\]$/g, ""),
      port: url.port === "" ? undefined : Number(url.port),
      path: `${url.pathname}${url.search}`,
      method: "POST",
      headers,
      lookup: options.lookup,
      // No pooling: every attempt makes a fresh, checked connection, and no socket outlives it.
      agent: false,
    });
    // One timer for everything up to the response head and the body drain; it is cleared when the socket closes.
    const deadline = setTimeout(() => request.destroy(new DeadlineExceeded()), options.timeoutMs);
    request.on("close", () => clearTimeout(deadline));
    request.on("response", (response) => {
      discardBody(response);
      resolve(response);
    });
    // `on`, not `once`: a late error (the deadline firing during the drain) must not go unhandled.
    request.on("error", (error) => reject(failureOf(error, options.timeoutMs)));
    request.end(payload);
  });
}

/** Reads at most RESPONSE_BODY_LIMIT bytes and throws them away: the status is the verdict, not the body. */
function discardBody(response: IncomingMessage): void {
  let received = 0;
  response.on("data", (chunk: Buffer) => {
    received += chunk.length;
    if (received >= RESPONSE_BODY_LIMIT) response.destroy();
  });
  response.on("error", () => {});
}

function failureOf(error: Error, timeoutMs: number): WebhookDeliveryError {
  if (error instanceof DeadlineExceeded) {
    return new WebhookDeliveryError("WEBHOOK_TIMEOUT", `Webhook receiver did not answer within ${timeoutMs} ms.`, { retryable: true });
  }
  if (isWardenError(error, "WEBHOOK_URL_REFUSED")) return refusal(error);
  const code = (error as NodeJS.ErrnoException).code;
  return new WebhookDeliveryError("WEBHOOK_NETWORK", `Webhook delivery failed: ${error.message}`, {
    retryable: true,
    details: code === undefined ? undefined : { code },
    cause: error,
  });
}

function refusal(error: unknown): WebhookDeliveryError {
  if (!isWardenError(error, "WEBHOOK_URL_REFUSED")) throw error;
  return new WebhookDeliveryError("WEBHOOK_URL_REFUSED", error.message, { retryable: false, details: error.details, cause: error });
}
