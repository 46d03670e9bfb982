import type { IncomingHttpHeaders } from "node:http";
import { WebhookDeliveryError } from "./delivery-error.js";

/**
 * What a receiver's status means for the delivery: `undefined` for a 2xx (delivered), otherwise the error to
 * throw. Retryable: 5xx, 408 (request timeout) and 429 (too many requests). Permanent: 3xx (redirects are not
 * followed) and every other 4xx, which a retry would only repeat.
 */
export function responseVerdict(statusCode: number, headers: IncomingHttpHeaders, nowMs: number): WebhookDeliveryError | undefined {
  if (statusCode >= 200 && statusCode < 300) return undefined;
  if (statusCode >= 300 && statusCode < 400) {
    const location = headers.location;
    return new WebhookDeliveryError("WEBHOOK_REDIRECT", `Webhook receiver answered ${statusCode}; redirects are not followed.`, {
      retryable: false,
      statusCode,
      details: location === undefined ? undefined : { location },
    });
  }
  const retryable = statusCode >= 500 || statusCode === 408 || statusCode === 429;
  const retryAfterMs = statusCode === 429 || statusCode === 503 ? parseRetryAfter(headers["retry-after"], nowMs) : undefined;
  return new WebhookDeliveryError("WEBHOOK_HTTP_STATUS", `Webhook receiver answered ${statusCode}.`, { retryable, statusCode, retryAfterMs });
}

const IMF_FIXDATE = /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/;

/**
 * A `Retry-After` value in milliseconds: delay-seconds (`120`) or an HTTP date (`Wed, 21 Oct 2015 07:28:00 GMT`,
 * 0 once past). Anything else is `undefined`: `Date.parse` alone would read `"1.5"` as a date in 2001.
 */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  const text = value?.trim();
  if (text === undefined) return undefined;
  if (/^\d{1,10}$/.test(text)) return Number(text) * 1000;
  if (!IMF_FIXDATE.test(text)) return undefined;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}
