import type { Queryable } from "../store/db.js";
import { unownedRuns } from "../store/run-leases.js";
import type { RunEngine } from "./engine.js";
import { createPeriodic } from "./periodic.js";
import type { RunLogger } from "./run-logger.js";

export interface Sweeper {
  start(): void;
  stop(): void;
  /** One sweep now; resolves with the runs it sent jobs for. */
  sweep(): Promise<number>;
}

/**
 * Finds runs in progress that nobody executes — their process died (the lease ran out), a retry's backoff has
 * passed, or their job was lost — and sends each a recovery job; any worker's executor then claims it. Every
 * process sweeps; sending is idempotent (the run queue holds one waiting job per run), so several sweeping at
 * once only find the same runs.
 */
export function createSweeper(options: { db: Queryable; engine: RunEngine; intervalMs: number; graceMs: number; log: RunLogger }): Sweeper {

  async function sweep(): Promise<number> {
    const runs = await unownedRuns(options.db, { graceMs: options.graceMs, limit: 200 });
    for (const run of runs) await options.engine.sendRun({ tenant: run.tenant_id, run_id: run.run_id, thread_id: run.thread_id, intent: "recover" });
    if (runs.length > 0) {
      options.log.info({ runs: runs.length }, "runs without a live owner sent for recovery");
      options.engine.wake();
    }
    return runs.length;
  }

  const periodic = createPeriodic(sweep, options.intervalMs, (error) => options.log.warn({ err: error }, "run recovery sweep failed"));
  return { start: periodic.start, stop: periodic.stop, sweep };
}
