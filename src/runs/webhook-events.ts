import { createHash } from "node:crypto";
import type { Transaction } from "../store/db.js";
import { SETTLED_STATUSES, type RunStatus } from "../contracts/run-status.js";
import type { RunEngine } from "./engine.js";
import { loadRunRecord } from "./run-record.js";

/** The statuses a run's webhook hears about. */
export const WEBHOOK_STATUSES: ReadonlySet<RunStatus> = new Set(SETTLED_STATUSES);

/**
 * The id a receiver dedupes on: one per status a run reached, stable across delivery attempts. `transition` tells
 * apart two visits of one status (a run that waits for a second approval): the lease token of the execution.
 */
export function webhookEventId(tenant: string, runId: string, status: RunStatus, transition: number): string {
  return "evt_" + createHash("sha256").update(`${tenant}\u0000${runId}\u0000${status}\u0000${transition}`).digest("hex").slice(0, 32);
}

/**
 * Queues the webhook of a status change in the transaction that records it (a transactional queue through the job engine):
 * the event exists exactly when the status does. The body is the RunRecord as of this moment, serialised once, so
 * every attempt delivers (and signs) the same bytes.
 */
export async function enqueueRunWebhook(
  tx: Transaction,
  engine: RunEngine,
  event: { tenant: string; runId: string; url: string; status: RunStatus; transition: number },
): Promise<void> {
  const record = await loadRunRecord(tx, event.tenant, event.runId);
  await engine.sendWebhook(
    {
      tenant: event.tenant,
      run_id: event.runId,
      event_id: webhookEventId(event.tenant, event.runId, event.status, event.transition),
      event_type: `run.${event.status}`,
      url: event.url,
      body: JSON.stringify({ type: `run.${event.status}`, created_at: new Date().toISOString(), data: record }),
    },
    tx,
  );
}
