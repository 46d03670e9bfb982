import { WardenError } from "../errors.js";
import { cancelPendingApprovals } from "../store/approvals.js";
import { checkpointThreadId } from "../store/checkpoint-thread.js";
import type { Db, Transaction } from "../store/db.js";
import { promoteNextQueued } from "../store/run-leases.js";
import { rollbackCheckpoints } from "../store/rollback-checkpoints.js";
import { activeRunOfThread, endUnownedRun, getRunByIdempotencyKey, insertRun, requestStop, type LeaseClaim, type NewRun, type RunRow } from "../store/runs.js";
import type { RunEngine } from "./engine.js";
import { isUniqueViolation } from "../store/store-errors.js";

/**
 * What a new run does when its thread already has an active run (LangGraph Platform's double-texting options):
 * - `reject` (default): 409 THREAD_BUSY;
 * - `enqueue`: the new run waits (`queued`) and starts when the active one has finished;
 * - `interrupt`: the active run stops at its next step boundary (`interrupted`, its progress kept on the thread),
 *   then the new run starts from the thread as it is;
 * - `rollback`: the same, and what the active run wrote to the thread is discarded (`rolled_back`) first.
 */
export type MultitaskStrategy = "reject" | "enqueue" | "interrupt" | "rollback";
export const MULTITASK_STRATEGIES = ["reject", "enqueue", "interrupt", "rollback"] as const satisfies readonly MultitaskStrategy[];

export interface CreatedRun {
  run: { run_id: string; thread_id: string };
  /** False: the idempotency key named an existing run, which is returned instead (nothing new was created). */
  created: boolean;
  /** A run of this process that was asked to stop (interrupt/rollback): stop it at once, not at its next heartbeat. */
  stopLocal?: string;
  /** The run, already leased to the caller (`claimFor`): execute it now; `backstop` is the job to cancel after. */
  owned?: { run: RunRow; backstop: string | null };
}

/**
 * Creates a run and its first job in one transaction (the job cannot be lost, and no job exists without its run),
 * applying the thread's multitask strategy. An idempotency key already used by the tenant returns that run, after
 * checking it was the same request (`input_hash`), else IDEMPOTENCY_MISMATCH.
 */
export async function createRun(
  ctx: { db: Db; engine: RunEngine },
  run: Omit<NewRun, "status">,
  strategy: MultitaskStrategy,
  /** Lease the run to this process at once when it can start now (it then executes it itself, no queue hop). */
  claimFor?: LeaseClaim,
): Promise<CreatedRun> {
  for (let round = 0; round < 3; round++) {
    try {
      const created = await ctx.db.transaction((tx) => createIn(tx, ctx.engine, run, strategy, claimFor));
      if (created.created && !created.owned) ctx.engine.wake();
      return created;
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      // The key was taken by a concurrent request, or the thread by a concurrent start.
      const existing = run.idempotency_key ? await getRunByIdempotencyKey(ctx.db, run.tenant_id, run.idempotency_key) : undefined;
      if (existing) return sameRequest(existing, run);
      if (strategy === "reject") throw threadBusy(run.thread_id);
      // Another start took the thread between our check and our insert: decide again against it.
    }
  }
  throw threadBusy(run.thread_id);
}

function threadBusy(threadId: string): WardenError {
  return new WardenError("THREAD_BUSY", `Thread ${threadId} has a run that is still active (use multitask_strategy to queue or interrupt it).`);
}

function sameRequest(existing: RunRow, run: Pick<NewRun, "input_hash">): CreatedRun {
  if (existing.input_hash !== null && existing.input_hash !== run.input_hash) {
    throw new WardenError("IDEMPOTENCY_MISMATCH", "This idempotency key was used for a different run; use a new key for a new request.");
  }
  return { run: { run_id: existing.run_id, thread_id: existing.thread_id }, created: false };
}

async function createIn(tx: Transaction, engine: RunEngine, run: Omit<NewRun, "status">, strategy: MultitaskStrategy, claimFor: LeaseClaim | undefined): Promise<CreatedRun> {
  const start = async (status: "running" | "queued"): Promise<CreatedRun> => {
    const lease = status === "running" ? claimFor : undefined;
    const inserted = await insertRun(tx, { ...run, status }, lease);
    if (!inserted) {
      const existing = await getRunByIdempotencyKey(tx, run.tenant_id, run.idempotency_key!);
      if (!existing) throw new Error("idempotency conflict without a run");
      return sameRequest(existing, run);
    }
    const job = { tenant: run.tenant_id, run_id: run.run_id, thread_id: run.thread_id, intent: "start" as const };
    const created = { run: { run_id: run.run_id, thread_id: run.thread_id }, created: true };
    // Leased to this process: the job only fires if the lease runs out (this process died before finishing it).
    if (lease) return { ...created, owned: { run: inserted, backstop: await engine.sendBackstop(job, lease.ttlMs, tx) } };
    // A queued run gets its job when the run before it finishes (finishRun promotes it).
    if (status === "running") await engine.sendRun(job, { tx });
    return created;
  };
  if (strategy === "reject") return start("running");

  // Locks the active run's row: its executor's outcome write waits for this decision, and vice versa.
  const active = await activeRunOfThread(tx, run.tenant_id, run.thread_id);
  if (!active) return start("running");
  if (strategy === "enqueue") return start("queued");

  const status = strategy === "interrupt" ? "interrupted" : "rolled_back";
  // Nobody executes it (it waits for a person, or for a worker): stop it here and now.
  if (await endUnownedRun(tx, active.tenant_id, active.run_id, status)) {
    await cancelPendingApprovals(tx, active.tenant_id, active.run_id, "system:stop");
    if (status === "rolled_back") await rollbackCheckpoints(tx, checkpointThreadId(active.tenant_id, active.thread_id), active.base_checkpoint_id);
    await promoteNextQueued(tx, run.tenant_id, run.thread_id); // runs queued before this one keep their turn
    const waiting = await activeRunOfThread(tx, run.tenant_id, run.thread_id);
    if (waiting) {
      await engine.sendRun({ tenant: waiting.tenant_id, run_id: waiting.run_id, thread_id: waiting.thread_id, intent: "start" }, { tx });
      return start("queued");
    }
    return start("running");
  }
  // It executes somewhere: it stops at its next step boundary, and its outcome write promotes this run.
  await requestStop(tx, active.tenant_id, active.run_id, strategy);
  const created = await start("queued");
  return { ...created, stopLocal: active.run_id };
}
