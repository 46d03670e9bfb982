import { cancelPendingApprovals } from "../store/approvals.js";
import { checkpointThreadId } from "../store/checkpoint-thread.js";
import type { Db } from "../store/db.js";
import { finishRun, type Fence, type RunOutcome } from "../store/run-leases.js";
import { rollbackCheckpoints } from "../store/rollback-checkpoints.js";
import type { RunRow } from "../store/runs.js";
import type { RunEngine } from "./engine.js";
import { enqueueRunWebhook, WEBHOOK_STATUSES } from "./webhook-events.js";

const STOPPED = new Set(["cancelled", "interrupted", "rolled_back"]);

/**
 * Writes an execution's outcome under its lease, and in the same transaction everything that follows from it: the
 * approvals a stopped run leaves are cancelled, a rolled-back run's checkpoints are discarded, the thread's next
 * queued run gets its job, and the run's webhook event is queued. False when the lease was lost (nothing changed).
 */
export async function finalizeRun(ctx: { db: Db; engine: RunEngine }, run: RunRow, fence: Fence, outcome: RunOutcome): Promise<boolean> {
  let promoted = false;
  const finished = await ctx.db.transaction(async (tx) => {
    const result = await finishRun(tx, fence, outcome);
    if (!result.finished) return false;
    if (STOPPED.has(outcome.status)) await cancelPendingApprovals(tx, run.tenant_id, run.run_id, "system:stop");
    if (outcome.status === "rolled_back") await rollbackCheckpoints(tx, checkpointThreadId(run.tenant_id, run.thread_id), run.base_checkpoint_id);
    if (result.promoted) {
      await ctx.engine.sendRun({ tenant: run.tenant_id, run_id: result.promoted.run_id, thread_id: result.promoted.thread_id, intent: "start" }, { tx });
      promoted = true;
    }
    if (run.webhook && WEBHOOK_STATUSES.has(outcome.status)) {
      await enqueueRunWebhook(tx, ctx.engine, { tenant: run.tenant_id, runId: run.run_id, url: run.webhook, status: outcome.status, transition: fence.token });
    }
    return true;
  });
  if (promoted) ctx.engine.wake();
  return finished;
}
