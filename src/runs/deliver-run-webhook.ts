import type { Queryable } from "../store/db.js";
import { getWebhookEndpoint } from "../store/webhook-endpoints.js";
import type { WebhookJob } from "./engine.js";
import type { RunLogger } from "./run-logger.js";
import { deliverWebhook, type WebhookEventType } from "./webhooks/deliver.js";
import { isWebhookDeliveryError } from "./webhooks/delivery-error.js";
import type { WebhookUrlPolicy } from "./webhooks/url-policy.js";

/**
 * One delivery attempt of a queued webhook event. A retryable failure (5xx, 429, timeout, network) throws, so
 * pg-boss retries the job with exponential backoff until its attempts run out; a permanent one (4xx, a redirect, a
 * refused address) is logged and dropped: sending the same bytes again cannot succeed. At least once: a receiver
 * may see an event twice and dedupes on `Warden-Event-Id`.
 */
export async function deliverRunWebhook(
  ctx: { db: Queryable; policy: WebhookUrlPolicy; log: RunLogger; timeoutMs?: number },
  job: WebhookJob,
  attempt: { retryCount: number; retryLimit: number },
): Promise<void> {
  const endpoint = await getWebhookEndpoint(ctx.db, job.tenant);
  if (!endpoint) {
    ctx.log.warn({ run_id: job.run_id, event_id: job.event_id }, "webhook dropped: the tenant has no signing secret");
    return;
  }
  const fields = { run_id: job.run_id, event_id: job.event_id, event: job.event_type, attempt: attempt.retryCount + 1 };
  try {
    const result = await deliverWebhook({
      url: job.url,
      eventId: job.event_id,
      eventType: job.event_type as WebhookEventType,
      body: job.body,
      secret: endpoint.secret,
      policy: ctx.policy,
      ...(ctx.timeoutMs ? { timeoutMs: ctx.timeoutMs } : {}),
    });
    ctx.log.info({ ...fields, status_code: result.statusCode }, "webhook delivered");
  } catch (error) {
    if (isWebhookDeliveryError(error) && !error.retryable) {
      ctx.log.warn({ ...fields, code: error.code, status_code: error.statusCode }, "webhook refused permanently; not retried");
      return;
    }
    const last = attempt.retryCount >= attempt.retryLimit;
    ctx.log.warn({ ...fields, code: isWebhookDeliveryError(error) ? error.code : "WEBHOOK_FAILED", last_attempt: last }, last ? "webhook delivery gave up" : "webhook delivery failed; retrying");
    // Thrown as a plain error: a webhook's network failure must never read as the database being down.
    throw new Error(`webhook delivery failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}
