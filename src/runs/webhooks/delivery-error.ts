/**
 * Why one delivery attempt failed:
 * - `WEBHOOK_URL_REFUSED`: the URL, or an address its host resolved to, is not allowed (`cause` is the
 *   `WardenError`, `details` its details). Never retryable.
 * - `WEBHOOK_HTTP_STATUS`: the receiver answered with a non-2xx, non-3xx status. Retryable for 5xx, 408 and 429.
 * - `WEBHOOK_REDIRECT`: the receiver answered 3xx. Redirects are not followed (the target could be anywhere), so
 *   this is permanent until the URL is fixed.
 * - `WEBHOOK_TIMEOUT`: no response within the deadline. Retryable.
 * - `WEBHOOK_NETWORK`: DNS, connect, TLS or socket failure. Retryable.
 */
export type WebhookDeliveryErrorCode =
  | "WEBHOOK_URL_REFUSED"
  | "WEBHOOK_HTTP_STATUS"
  | "WEBHOOK_REDIRECT"
  | "WEBHOOK_TIMEOUT"
  | "WEBHOOK_NETWORK";

export interface WebhookDeliveryErrorOptions {
  retryable: boolean;
  statusCode?: number;
  retryAfterMs?: number;
  details?: unknown;
  cause?: unknown;
}

/**
 * A failed delivery attempt, with the verdict the job engine needs: `retryable` says whether another attempt
 * (with backoff) may succeed. `retryAfterMs` is the receiver's `Retry-After` on a 429 or 503, as the receiver
 * sent it: the engine should bound it by its own maximum backoff.
 *
 * @example
 * try {
 *   await deliverWebhook(delivery);
 * } catch (error) {
 *   if (isWebhookDeliveryError(error) && error.retryable) retryLater(error.retryAfterMs);
 *   else giveUp(error);
 * }
 */
export class WebhookDeliveryError extends Error {
  readonly code: WebhookDeliveryErrorCode;
  readonly retryable: boolean;
  readonly statusCode: number | undefined;
  readonly retryAfterMs: number | undefined;
  readonly details: unknown;

  constructor(code: WebhookDeliveryErrorCode, message: string, options: WebhookDeliveryErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "WebhookDeliveryError";
    this.code = code;
    this.retryable = options.retryable;
    this.statusCode = options.statusCode;
    this.retryAfterMs = options.retryAfterMs;
    this.details = options.details;
  }
}

export function isWebhookDeliveryError(error: unknown, code?: WebhookDeliveryErrorCode): error is WebhookDeliveryError {
  return error instanceof WebhookDeliveryError && (code === undefined || error.code === code);
}
