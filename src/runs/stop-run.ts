import { WardenError } from "../errors.js";
import { cancelPendingApprovals } from "../store/approvals.js";
import type { Db } from "../store/db.js";
import { promoteNextQueued } from "../store/run-leases.js";
import { FINAL_STATUSES } from "../contracts/run-status.js";
import { endUnownedRun, getRun, reopenFailedRun, requestStop, type LeaseClaim, type RunRow } from "../store/runs.js";
import { isUniqueViolation } from "../store/store-errors.js";
import type { RunEngine } from "./engine.js";

/**
 * Cancels a run that has not finished. One that no process executes (it waits for an approval, for a worker, or
 * behind its thread's active run) is cancelled here, its approvals with it; one that executes is asked to stop and
 * does so at its next step boundary (its tools get an aborted signal). Returns whether the stop was only requested.
 */
export async function cancelRun(ctx: { db: Db; engine: RunEngine }, tenant: string, runId: string, by: string): Promise<{ requested: boolean }> {
  const run = await getRun(ctx.db, tenant, runId);
  if (!run) throw new WardenError("RUN_NOT_FOUND", `Run ${runId} was not found.`);
  if (FINAL_STATUSES.includes(run.status)) throw new WardenError("RUN_FINISHED", `Run ${runId} has already finished (${run.status}); there is nothing to cancel.`);
  let promoted = false;
  const requested = await ctx.db.transaction(async (tx) => {
    if (await endUnownedRun(tx, tenant, runId, "cancelled")) {
      await cancelPendingApprovals(tx, tenant, runId, by);
      const next = await promoteNextQueued(tx, tenant, run.thread_id);
      if (next) {
        await ctx.engine.sendRun({ tenant, run_id: next, thread_id: run.thread_id, intent: "start" }, { tx });
        promoted = true;
      }
      return false;
    }
    if (await requestStop(tx, tenant, runId, "cancel")) return true;
    throw new WardenError("RUN_FINISHED", `Run ${runId} finished before it could be cancelled.`);
  });
  if (promoted) ctx.engine.wake();
  return { requested };
}

/**
 * Puts a failed run back in progress with a fresh set of attempts (an operator's `recover`): unowned with a job, or
 * leased to the caller (`claimFor`), who executes it at once.
 */
export async function recoverRun(
  ctx: { db: Db; engine: RunEngine },
  tenant: string,
  runId: string,
  claimFor?: LeaseClaim,
): Promise<{ owned?: { run: RunRow; backstop: string | null } }> {
  const run = await getRun(ctx.db, tenant, runId);
  if (!run) throw new WardenError("RUN_NOT_FOUND", `Run ${runId} was not found.`);
  if (run.status !== "failed") throw new WardenError("RUN_NOT_FAILED", `Run ${runId} is ${run.status}, not failed.`);
  let owned: { run: RunRow; backstop: string | null } | undefined;
  try {
    await ctx.db.transaction(async (tx) => {
      const reopened = await reopenFailedRun(tx, tenant, runId, claimFor);
      if (!reopened) throw new WardenError("RUN_NOT_FAILED", `Run ${runId} is no longer failed.`);
      const job = { tenant, run_id: runId, thread_id: run.thread_id, intent: "recover" as const };
      if (claimFor) owned = { run: reopened, backstop: await ctx.engine.sendBackstop(job, claimFor.ttlMs, tx) };
      else await ctx.engine.sendRun(job, { tx });
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw new WardenError("THREAD_BUSY", `Thread ${run.thread_id} has another active run; recover this one when it has finished.`);
    throw error;
  }
  if (!owned) ctx.engine.wake();
  return owned ? { owned } : {};
}
